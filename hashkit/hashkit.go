package hashkit

import (
	"errors"
	"fmt"
)

// Errors returned by Lookup and NewDistribution; test for them with errors.Is.
var (
	// ErrUnknownHash reports a hash name that twemproxy 0.5 does not know.
	ErrUnknownHash = errors.New("hashkit: unknown hash")
	// ErrUnknownDistribution reports a distribution name other than ketama,
	// modula or random.
	ErrUnknownDistribution = errors.New("hashkit: unknown distribution")
	// ErrBadWeight reports a node whose weight is not positive; twemproxy
	// rejects such a server in its config.
	ErrBadWeight = errors.New("hashkit: node weight must be positive")
	// ErrDuplicateName reports two nodes with the same ring name; twemproxy
	// rejects such a pool in its config.
	ErrDuplicateName = errors.New("hashkit: duplicate node name")
)

// Func hashes a key to 32 bits exactly as twemproxy 0.5 does on x86-64. It
// accepts a nil or empty key (twemproxy itself never hashes an empty key: see
// Locate). A Func is safe for concurrent use and does not allocate.
type Func func(key []byte) uint32

// hashes lists twemproxy's hash names in the order of its hash_type enum.
var hashes = [...]struct {
	name string
	fn   Func
}{
	{"one_at_a_time", oneAtATime},
	{"md5", md5Hash},
	{"crc16", crc16},
	{"crc32", crc32Short},
	{"crc32a", crc32a},
	{"fnv1_64", fnv1x64},
	{"fnv1a_64", fnv1a64},
	{"fnv1_32", fnv1x32},
	{"fnv1a_32", fnv1a32},
	{"hsieh", hsieh},
	{"murmur", murmur},
	{"jenkins", jenkins},
}

// Lookup returns the hash function for a twemproxy hash name, such as
// "fnv1a_64". Names are case-sensitive, as in twemproxy. An unknown name gives
// an error wrapping ErrUnknownHash.
func Lookup(name string) (Func, error) {
	for _, h := range hashes {
		if h.name == name {
			return h.fn, nil
		}
	}
	return nil, fmt.Errorf("%w %q (want one of %v)", ErrUnknownHash, name, Names())
}

// Names returns the twelve hash names Lookup accepts, in twemproxy's order, in
// a new slice the caller may modify.
func Names() []string {
	names := make([]string, len(hashes))
	for i, h := range hashes {
		names[i] = h.name
	}
	return names
}

// signed widens a key byte the way C's (uint32_t) cast of a signed char does
// on x86-64: bytes >= 0x80 are sign-extended.
func signed(b byte) uint32 { return uint32(int32(int8(b))) }
