package hashkit

import "hash/crc32"

// crc16Table is the table of CRC-16/XMODEM (polynomial 0x1021, not
// reflected), the one in the nutcracker 0.5.0 binary. Later twemproxy sources
// switched to a CRC-16/ARC table; 0.5.0 placement needs this one.
var crc16Table = makeCRC16Table()

func makeCRC16Table() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}

// crc16 is twemproxy 0.5.0's crc16: the table-driven CRC-16/XMODEM loop run
// on a 32-bit register that is never masked to 16 bits. The low 16 bits are
// CRC-16/XMODEM; the high 16 keep bits shifted out of earlier steps, so for
// keys of two or more bytes the result usually exceeds 0xffff.
func crc16(key []byte) uint32 {
	var c uint32
	for _, b := range key {
		c = c<<8 ^ uint32(crc16Table[byte(c>>8)^b])
	}
	return c
}

// crc32Short is twemproxy's crc32, compatible with libmemcached: bits 16..30
// of the IEEE CRC-32, a value below 0x8000.
func crc32Short(key []byte) uint32 {
	return crc32.ChecksumIEEE(key) >> 16 & 0x7fff
}

// crc32a is twemproxy's crc32a: the full IEEE CRC-32.
func crc32a(key []byte) uint32 {
	return crc32.ChecksumIEEE(key)
}
