package hashkit

// hsieh is twemproxy's hsieh: Paul Hsieh's SuperFastHash. 16-bit reads are
// little-endian and unsigned, but the third byte of a trailing 3-byte block is
// read as a signed char. An empty key hashes to 0.
func hsieh(key []byte) uint32 {
	if len(key) == 0 {
		return 0
	}
	var h uint32
	for ; len(key) >= 4; key = key[4:] {
		h += le16(key)
		tmp := le16(key[2:])<<11 ^ h
		h = h<<16 ^ tmp
		h += h >> 11
	}
	switch len(key) {
	case 3:
		h += le16(key)
		h ^= h << 16
		h ^= signed(key[2]) << 18
		h += h >> 11
	case 2:
		h += le16(key)
		h ^= h << 11
		h += h >> 17
	case 1:
		h += uint32(key[0])
		h ^= h << 10
		h += h >> 1
	}
	h ^= h << 3
	h += h >> 5
	h ^= h << 4
	h += h >> 17
	h ^= h << 25
	h += h >> 6
	return h
}

func le16(b []byte) uint32 { return uint32(b[1])<<8 | uint32(b[0]) }
