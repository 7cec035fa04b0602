package hashkit

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// hashOrder is the order of the want arrays in knownAnswers.
var hashOrder = [12]string{"one_at_a_time", "md5", "crc16", "crc32", "crc32a",
	"fnv1_64", "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"}

// knownAnswers were computed by twemproxy's own C hash functions (src/hashkit,
// compiled with gcc on x86-64, where char is signed; crc16 as disassembled
// from the nutcracker 0.5.0 binary, see crc.go), md5 and crc32 by Python's
// hashlib and zlib. Keys cover every tail length of the block hashes
// and bytes >= 0x80 in every position that a signed char changes.
var knownAnswers = []struct {
	key  string
	want [12]uint32
}{
	{"", [12]uint32{0x00000000, 0xd98c1dd4, 0x00000000, 0x00000000, 0x00000000, 0x84222325, 0x84222325, 0x811c9dc5, 0x811c9dc5, 0x00000000, 0x00000000, 0xdeadbefc}},
	{"a", [12]uint32{0xca2e9442, 0xb975c10c, 0x00007c87, 0x000068b7, 0xe8b7be43, 0x8601b7be, 0x8601ec8c, 0x050c5d7e, 0xe40c292c, 0x93642e87, 0x4b41757c, 0xe0a38690}},
	{"ab", [12]uint32{0x45e61e58, 0x43f47e18, 0x007c74ff, 0x00001e83, 0x9e83486d, 0xb4eb37b8, 0xb545986a, 0x70772d38, 0x4d2505ca, 0x5b8c0ec3, 0xe3b54dfb, 0xc1b5695b}},
	{"abc", [12]uint32{0xed131f5b, 0x98500190, 0x7c749dd6, 0x00003524, 0x352441c2, 0x6bafadcb, 0x0541574b, 0x439c2f4b, 0x1a47e90b, 0xe5186b3a, 0x7b0cc428, 0x8f415600}},
	{"abcd", [12]uint32{0xcd8b6206, 0x4c71fce2, 0x749da836, 0x00006d82, 0xed82cd11, 0xfb844f95, 0xee0724dd, 0xb9de7375, 0xce3479bd, 0x3ab452d8, 0xef6a86af, 0xd512151a}},
	{"hello", [12]uint32{0xc8fd181b, 0x2a40415d, 0x6b4fc362, 0x00003610, 0x3610a686, 0xbdbdd4c7, 0x80aabd0b, 0xb6fa7167, 0x4f9f2cab, 0x13842ac5, 0x521b0bff, 0x2e0cc8f3}},
	{"key:123", [12]uint32{0x7f89f0b7, 0xec0aaf2e, 0x9a3582c6, 0x000050b9, 0x50b97933, 0x738045e4, 0xc1387676, 0xb3b7e5c4, 0x01e091b6, 0xeed50c16, 0xebaabad3, 0x3d013236}},
	{"foo{bar}baz", [12]uint32{0xbd22d2ae, 0xe6e544c8, 0xbf80fd55, 0x00004349, 0xc349e68e, 0x2c68949d, 0xb09ec879, 0x9a5f1c3d, 0x5a1893d9, 0xc54f6c55, 0xe9376e36, 0xc778e022}},
	{"\x80", [12]uint32{0xc31d4e27, 0x7edd398d, 0x00009188, 0x00003fba, 0x3fba6cad, 0x79fe485f, 0x79fdec5f, 0xfaf3a29f, 0x04f3b29f, 0xd6f4cb32, 0x90556245, 0xb16fde48}},
	{"\xff", [12]uint32{0xae65a494, 0xd44f5900, 0x00001ef0, 0x00007f00, 0xff000000, 0x79fe4820, 0x79fe466e, 0xfaf3a2e0, 0xf9f3a14e, 0x02a6dba8, 0xdb530a9c, 0xe1964da8}},
	{"ab\x80", [12]uint32{0xc8dd56b0, 0x610ba2d6, 0x7c74509b, 0x00000c27, 0x0c27f200, 0x94505228, 0xfabe929e, 0xbc63d0a8, 0xd8b8027e, 0x584d72a3, 0xbf8a58ae, 0x6dd44e68}},
	{"abcdxy\xc3", [12]uint32{0xedeefd25, 0x6be26d0c, 0xfdac9149, 0x00003935, 0x393533ea, 0x93c2c887, 0x46a032a3, 0x6898e2a7, 0x20cd7383, 0xd853d0d6, 0xfe5b9578, 0xde924931}},
	{"\xff\xfe\xfd\xfc", [12]uint32{0x53643f41, 0xfdaa558a, 0x0dc1f8fe, 0x00005502, 0x5502a6f0, 0xa2b04a99, 0xea3c8011, 0x3d77b1f9, 0x91fc3ff1, 0xa7ba1454, 0x8174d4f9, 0xe551315f}},
	{"\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b", [12]uint32{0x2b85cdbf, 0xc9d81a4f, 0xb4d346fd, 0x00002b2a, 0xab2ae7e6, 0x2c4b7861, 0x06f78eb9, 0x60f81d01, 0x65ed8e59, 0x0052860c, 0x72c5483b, 0x8b943bbb}},
	{"h\xc3\xa9llo w\xc3\xb6rld", [12]uint32{0x5032af65, 0xcc220ced, 0xd8e5dea9, 0x0000151d, 0x151d5fb9, 0x7758e978, 0x60e8b822, 0x2811d218, 0x2ebe3fa2, 0x9c7b084a, 0xb63e0339, 0x6c76add0}},
	{"0123456789abcdef", [12]uint32{0xf02202c7, 0x8daf3240, 0xd663e8a5, 0x000068c4, 0x68c4f033, 0x3b82ecc1, 0xe5ad677d, 0x9e1b6f41, 0x87bc333d, 0xb89ff08b, 0x02923d2d, 0xe022e949}},
	{"0123456789abc", [12]uint32{0xcae77770, 0x71d9312d, 0x66f21798, 0x00004e68, 0xce68ad26, 0x0d0f5624, 0x0bd2b7f6, 0x54a63804, 0x8136b5b6, 0x9aefedfa, 0xc23faf3e, 0x37f93ead}},
	{"\xe0\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xeb\xec\xed\xee\xef\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8", [12]uint32{0xb7a75b6b, 0x726f0bd2, 0x770a475d, 0x00001be9, 0x1be91a87, 0x91b3d6b7, 0x149c9b8f, 0xddb93ff7, 0x48a4d98f, 0x51937c61, 0xd8e53dcf, 0xafdf2dca}},
	{"123456789", [12]uint32{0xc66b58c5, 0x94e7f925, 0x869031c3, 0x00004bf4, 0xcbf43926, 0x2bf916d6, 0x23c6cdfc, 0x24148816, 0xbb86b11c, 0xe4fc1670, 0xb7760690, 0x19777af6}},
}

func TestHashKnownAnswers(t *testing.T) {
	for i, name := range hashOrder {
		f, err := Lookup(name)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", name, err)
		}
		for _, ka := range knownAnswers {
			t.Run(fmt.Sprintf("%s/%x", name, ka.key), func(t *testing.T) {
				if got := f([]byte(ka.key)); got != ka.want[i] {
					t.Errorf("%s(%q) = %#08x, want %#08x", name, ka.key, got, ka.want[i])
				}
			})
		}
	}
}

// Published check values, independent of twemproxy.
func TestHashCheckValues(t *testing.T) {
	tests := []struct {
		name, hash, key string
		mask, want      uint32
	}{
		{"crc16 low half is CRC-16/XMODEM", "crc16", "123456789", 0xffff, 0x31c3},
		{"crc16 of one byte is CRC-16/XMODEM", "crc16", "1", ^uint32(0), 0x2672},
		{"crc32a is IEEE CRC-32", "crc32a", "123456789", ^uint32(0), 0xcbf43926},
		{"fnv1a_32 of a", "fnv1a_32", "a", ^uint32(0), 0xe40c292c},
		{"fnv1_32 of a", "fnv1_32", "a", ^uint32(0), 0x050c5d7e},
		{"fnv1_64 of a is low half of 0xaf63bd4c8601b7be", "fnv1_64", "a", ^uint32(0), 0x8601b7be},
		{"one_at_a_time of a", "one_at_a_time", "a", ^uint32(0), 0xca2e9442},
		{"md5 of empty is d41d8cd9 read little-endian", "md5", "", ^uint32(0), 0xd98c1dd4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Lookup(tt.hash)
			if err != nil {
				t.Fatal(err)
			}
			if got := f([]byte(tt.key)); got&tt.mask != tt.want {
				t.Errorf("got %#08x (masked %#x), want %#x", got, got&tt.mask, tt.want)
			}
		})
	}
}

// TestSignedBytes shows which hashes twemproxy's signed char changes: for
// each, the value gcc gives with -funsigned-char is a different, wrong answer.
// crc16, crc32, crc32a, md5, murmur, jenkins and hsieh's other bytes do not
// depend on it.
func TestSignedBytes(t *testing.T) {
	tests := []struct {
		hash, key      string
		want, unsigned uint32
	}{
		{"one_at_a_time", "\x80", 0xc31d4e27, 0x277fcedb},
		{"fnv1_64", "\x80", 0x79fe485f, 0x8601b75f},
		{"fnv1a_64", "\x80", 0x79fdec5f, 0x8602915f},
		{"fnv1_32", "\xff", 0xfaf3a2e0, 0x050c5de0},
		{"fnv1a_32", "\xff", 0xf9f3a14e, 0x7a0b824e},
		{"hsieh", "ab\x80", 0x584d72a3, 0xf9d2e04a},
		{"hsieh", "y\xc3", 0xed88e3a3, 0xed88e3a3}, // 2-byte tail: unsigned
		{"murmur", "ab\x80", 0xbf8a58ae, 0xbf8a58ae},
		{"jenkins", "ab\x80", 0x6dd44e68, 0x6dd44e68},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%x", tt.hash, tt.key), func(t *testing.T) {
			f, err := Lookup(tt.hash)
			if err != nil {
				t.Fatal(err)
			}
			got := f([]byte(tt.key))
			if got != tt.want {
				t.Errorf("got %#08x, want %#08x (unsigned-char value %#08x)", got, tt.want, tt.unsigned)
			}
		})
	}
}

func TestCRC16Table(t *testing.T) {
	// Entries of the crc16 table read from the nutcracker 0.5.0 binary.
	want := map[int]uint16{0: 0x0000, 1: 0x1021, 2: 0x2042, 3: 0x3063,
		128: 0x9188, 200: 0x5844, 255: 0x1ef0}
	for i, w := range want {
		if got := crc16Table[i]; got != w {
			t.Errorf("crc16Table[%d] = %#04x, want %#04x", i, got, w)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, name := range hashOrder {
		if f, err := Lookup(name); err != nil || f == nil {
			t.Errorf("Lookup(%q) = %v, %v; want a function, nil", name, f, err)
		}
	}
	for _, name := range []string{"", "FNV1A_64", "fnv1a", "crc32b", "rcrc32", "md5 "} {
		f, err := Lookup(name)
		if !errors.Is(err, ErrUnknownHash) || f != nil {
			t.Errorf("Lookup(%q) = %v, %v; want nil, ErrUnknownHash", name, f, err)
		}
	}
}

func TestNames(t *testing.T) {
	got := Names()
	if !slices.Equal(got, hashOrder[:]) {
		t.Fatalf("Names() = %v, want %v", got, hashOrder)
	}
	got[0] = "changed"
	if Names()[0] != "one_at_a_time" {
		t.Error("Names() returned shared state: a change by the caller showed up in the next call")
	}
}

func TestHashNoAlloc(t *testing.T) {
	key := []byte("0123456789abcdef")
	for _, name := range hashOrder {
		f, _ := Lookup(name)
		if n := testing.AllocsPerRun(100, func() { f(key) }); n != 0 {
			t.Errorf("%s: got %v allocs per hash, want 0", name, n)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	key := []byte("0123456789abcdef")
	for _, name := range hashOrder {
		f, _ := Lookup(name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(key)))
			var sink uint32
			for b.Loop() {
				sink += f(key)
			}
			_ = sink
		})
	}
}

// FuzzHashes checks that every hash accepts any key, is deterministic, and
// that jenkins (whose C source reads words) agrees with a byte-at-a-time
// reading of the same algorithm.
func FuzzHashes(f *testing.F) {
	for _, ka := range knownAnswers {
		f.Add([]byte(ka.key))
	}
	f.Fuzz(func(t *testing.T, key []byte) {
		for _, name := range hashOrder {
			h, _ := Lookup(name)
			if a, b := h(key), h(slices.Clone(key)); a != b {
				t.Fatalf("%s(%x) not deterministic: %#x then %#x", name, key, a, b)
			}
		}
		if got, want := jenkins(key), jenkinsBytes(key); got != want {
			t.Fatalf("jenkins(%x) = %#x, byte-wise reference %#x", key, got, want)
		}
	})
}

// jenkinsBytes is lookup3's hashlittle as its byte-at-a-time branch reads
// the key, with twemproxy's initval: a reference for jenkins.
func jenkinsBytes(k []byte) uint32 {
	a := 0xdeadbeef + uint32(len(k)) + 13
	b, c := a, a
	n := len(k)
	for n > 12 {
		a += uint32(k[0]) + uint32(k[1])<<8 + uint32(k[2])<<16 + uint32(k[3])<<24
		b += uint32(k[4]) + uint32(k[5])<<8 + uint32(k[6])<<16 + uint32(k[7])<<24
		c += uint32(k[8]) + uint32(k[9])<<8 + uint32(k[10])<<16 + uint32(k[11])<<24
		a, b, c = jenkinsMix(a, b, c)
		n -= 12
		k = k[12:]
	}
	if n == 0 {
		return c
	}
	words := [3]*uint32{&a, &b, &c}
	for i := n - 1; i >= 0; i-- {
		*words[i/4] += uint32(k[i]) << (8 * (i % 4))
	}
	return jenkinsFinal(a, b, c)
}
