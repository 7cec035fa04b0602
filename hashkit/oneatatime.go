package hashkit

// oneAtATime is twemproxy's one_at_a_time: Bob Jenkins' one-at-a-time hash
// over sign-extended bytes.
func oneAtATime(key []byte) uint32 {
	var h uint32
	for _, b := range key {
		h += signed(b)
		h += h << 10
		h ^= h >> 6
	}
	h += h << 3
	h ^= h >> 11
	h += h << 15
	return h
}
