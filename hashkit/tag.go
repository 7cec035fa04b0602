package hashkit

import "bytes"

// Tag returns the part of key to hash given a twemproxy hash_tag of two
// characters, such as "{}": the text between the first occurrence of tag[0]
// and the next tag[1] after it, when that text is non-empty; otherwise the
// whole key. An empty tag returns key; a tag of other than two bytes uses its
// first two (twemproxy accepts only two). The result is a subslice of key; Tag
// does not allocate.
func Tag(key []byte, tag string) []byte {
	if len(tag) < 2 {
		return key
	}
	open := bytes.IndexByte(key, tag[0])
	if open < 0 {
		return key
	}
	n := bytes.IndexByte(key[open+1:], tag[1])
	if n <= 0 {
		return key
	}
	return key[open+1 : open+1+n]
}
