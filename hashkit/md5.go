package hashkit

import (
	"crypto/md5"
	"encoding/binary"
)

// md5Hash is twemproxy's md5: the first four bytes of the MD5 digest of the
// key, read little-endian.
func md5Hash(key []byte) uint32 {
	sum := md5.Sum(key)
	return binary.LittleEndian.Uint32(sum[:4])
}
