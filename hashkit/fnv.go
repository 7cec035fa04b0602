package hashkit

// FNV constants as twemproxy declares them. fnv1a_64 uses only the low 32 bits
// of the 64-bit ones.
const (
	fnv64Offset = 0xcbf29ce484222325
	fnv64Prime  = 0x100000001b3
	fnv32Offset = 2166136261
	fnv32Prime  = 16777619
)

// fnv1x64 is twemproxy's fnv1_64: FNV-1 in 64 bits over sign-extended bytes,
// truncated to 32 bits.
func fnv1x64(key []byte) uint32 {
	var h uint64 = fnv64Offset
	for _, b := range key {
		h *= fnv64Prime
		h ^= uint64(int64(int8(b)))
	}
	return uint32(h)
}

// fnv1a64 is twemproxy's fnv1a_64: despite its name, FNV-1a in 32 bits with
// the truncated 64-bit offset (0x84222325) and prime (0x1b3), over
// sign-extended bytes.
func fnv1a64(key []byte) uint32 {
	h := uint32(fnv64Offset & 0xffffffff)
	for _, b := range key {
		h ^= signed(b)
		h *= fnv64Prime & 0xffffffff
	}
	return h
}

// fnv1x32 is twemproxy's fnv1_32: 32-bit FNV-1 over sign-extended bytes.
func fnv1x32(key []byte) uint32 {
	h := uint32(fnv32Offset)
	for _, b := range key {
		h *= fnv32Prime
		h ^= signed(b)
	}
	return h
}

// fnv1a32 is twemproxy's fnv1a_32: 32-bit FNV-1a over sign-extended bytes.
func fnv1a32(key []byte) uint32 {
	h := uint32(fnv32Offset)
	for _, b := range key {
		h ^= signed(b)
		h *= fnv32Prime
	}
	return h
}
