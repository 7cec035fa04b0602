package memcache

import (
	"bytes"
	"math"
)

// MaxKey is the longest key memcached accepts, in bytes (KEY_MAX_LENGTH).
// For a meta command with the b flag it bounds the base64 text as sent.
const MaxKey = 250

// Default limits.
const (
	// DefaultMaxValue is the largest data block of a storage command: 1 MiB,
	// memcached's default item size. memcached's own bound is a little
	// lower, since it counts the item's header and key too.
	DefaultMaxValue = 1 << 20
	// DefaultMaxKeys bounds the keys of one get, gets, gat or gats.
	DefaultMaxKeys = 1 << 16
	// DefaultMaxLine is the longest command line: memcached closes a
	// connection whose buffer holds more than 2048 bytes without a newline,
	// except for get and gets.
	DefaultMaxLine = 2048
)

// maxSize bounds the data lengths ParseRequest and ReplyLen accept, so that
// length arithmetic cannot overflow.
const maxSize = 1 << 40

// Limits bound what a client may send. Zero fields mean the defaults; a
// Limits value is only read, and safe to share.
type Limits struct {
	// MaxValue is the largest data block of a storage command (set, add,
	// replace, append, prepend, cas, ms), in bytes. Zero or negative means
	// DefaultMaxValue. A longer one is ErrTooLarge.
	MaxValue int
	// MaxKeys is the most keys one get, gets, gat or gats may carry. Zero or
	// negative means DefaultMaxKeys. More is ErrTooManyKeys.
	MaxKeys int
	// MaxLine is the longest command line, without its "\r\n". Zero or
	// negative means DefaultMaxLine. A get or gets line (after at most 100
	// spaces, as memcached checks) may be longer: up to MaxLine +
	// MaxKeys*(MaxKey+1) bytes. Longer lines are ErrLineTooLong.
	MaxLine int
}

func (l Limits) withDefaults() Limits {
	if l.MaxValue <= 0 {
		l.MaxValue = DefaultMaxValue
	}
	l.MaxValue = min(l.MaxValue, math.MaxInt32-2) // memcached's own bound
	if l.MaxKeys <= 0 {
		l.MaxKeys = DefaultMaxKeys
	}
	l.MaxKeys = min(l.MaxKeys, 1<<24)
	if l.MaxLine <= 0 {
		l.MaxLine = DefaultMaxLine
	}
	l.MaxLine = min(l.MaxLine, 1<<24)
	return l
}

// fetchLineMax is the longest get or gets line.
func (l Limits) fetchLineMax() int { return l.MaxLine + l.MaxKeys*(MaxKey+1) }

// Request is one parsed client request. Its byte slices alias the buffer
// given to ParseRequest and stay valid until the caller reuses that space.
// ParseRequest resets every field and reuses the Args array, so one Request
// per session parses any number of requests without allocating. The zero
// value is ready to use. A Request is not safe for concurrent use.
type Request struct {
	// Kind is the command. KindUnknown when the name is not one memcached
	// knows.
	Kind Kind
	// Name is the command name as sent ("get", "bget", "ms"): Args[0].
	Name []byte
	// Args holds every token of the command line, split on spaces as
	// memcached does (a tab is part of a token), the name first. A NUL byte
	// ends the line for memcached, so what follows it is not here. Forward
	// the request rebuilt from Args (AppendRequest) or as the raw bytes
	// ParseRequest consumed.
	Args [][]byte
	// Keys are the keys: all of them for get, gets, gat and gats (may be
	// empty for gat and gats, whose reply is then just END), the one key of
	// the other keyed commands and of meta commands (base64 text when Base64
	// is set). Nil for commands without a key. A subslice of Args.
	Keys [][]byte
	// Flags is the client flags of a storage command: memcached keeps the
	// low 32 bits of what was sent.
	Flags uint32
	// Exptime is the expiration time of a storage command, touch, gat and
	// gats, or the delay of flush_all, as memcached reads it (the low 32
	// bits, sign-extended).
	Exptime int64
	// Cas is the cas unique of a cas command.
	Cas uint64
	// Delta is the amount of incr and decr.
	Delta uint64
	// Value is the data block of a storage command or ms, without its
	// trailing "\r\n".
	Value []byte
	// NoReply reports a classic command's "noreply" token: memcached sends
	// no reply at all, not even for an error.
	NoReply bool
	// MetaFlags are the flag tokens of a meta command as sent ("v", "T30",
	// "Oabc", "q"), after the key (after the data length for ms). A
	// subslice of Args. ParseRequest does not check them: the server
	// answers bad flags itself, so a newer server's flags pass.
	MetaFlags [][]byte
	// Quiet reports a meta command's q flag: memcached leaves out the
	// nominal reply (see Omitted).
	Quiet bool
	// Opaque is the value of a meta command's first O flag (nil if none),
	// which memcached echoes in the reply.
	Opaque []byte
	// Base64 reports a meta command's b flag: the key token is base64 and
	// memcached stores the decoded bytes, so route by the decoded key.
	Base64 bool
}

func (r *Request) reset() {
	*r = Request{Args: r.Args[:0]}
}

// ParseRequest parses the request at the start of buf, as memcached 1.6
// reads it from a connection: a command line ending in "\n" (a "\r" before
// it is dropped) and, for storage commands and ms, a data block of the
// declared length followed by "\r\n". It fills req (slices alias buf) and
// returns n, the bytes the request takes.
//
// If buf holds only part of a request, ParseRequest returns ErrIncomplete
// and n, the total length buf must reach before parsing again can change
// the outcome; for a storage command whose line is complete, that is the
// end of its data block.
//
// A request memcached refuses gives an *Error (see the Err variables) with
// n set to exactly what memcached consumes: the line alone after a bad
// command line (memcached then reads a storage command's data block as
// commands of its own), the line and data block after a bad data chunk.
// After ErrTooLarge n covers the declared data block, which may extend
// past buf: the caller discards n bytes in all, as they arrive, without
// buffering them. After ErrLineTooLong (Close set) n is 0 and the
// connection must be closed. Send err.(*Error).AppendReply, which is empty
// when the request said noreply. req holds what was parsed up to the
// refusal.
//
// Where memcached's verdict depends on how reads were split, ParseRequest
// picks the split-independent one: a line longer than MaxLine is refused
// even when its newline came in the same read.
func ParseRequest(buf []byte, req *Request, lim Limits) (n int, err error) {
	req.reset()
	lim = lim.withDefaults()
	nl, need, err := findLine(buf, lim)
	if err != nil {
		return need, err
	}
	line := buf[:nl]
	if len(line) > 1 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i] // memcached's tokenizer stops at a C string's end
	}
	req.Args = tokenize(line, req.Args)
	return parseCommand(buf, nl+1, req, lim)
}

// findLine returns the index of the '\n' that ends the command line at the
// start of buf, or the length needed and ErrIncomplete, or ErrLineTooLong.
func findLine(buf []byte, lim Limits) (nl, need int, err error) {
	if i := bytes.IndexByte(buf[:min(len(buf), lim.MaxLine+1)], '\n'); i >= 0 {
		return i, 0, nil
	}
	if len(buf) <= lim.MaxLine {
		return -1, len(buf) + 1, ErrIncomplete
	}
	switch isGetLine(buf) {
	case undecided:
		return -1, len(buf) + 1, ErrIncomplete
	case no:
		return -1, 0, ErrLineTooLong
	}
	limit := lim.fetchLineMax()
	if i := bytes.IndexByte(buf[lim.MaxLine+1:min(len(buf), limit+1)], '\n'); i >= 0 {
		return lim.MaxLine + 1 + i, 0, nil
	}
	if len(buf) <= limit {
		return -1, len(buf) + 1, ErrIncomplete
	}
	return -1, 0, ErrLineTooLong
}

type answer uint8

const (
	no answer = iota
	yes
	undecided
)

// maxLeadingSpaces is how many spaces memcached lets precede a long get.
const maxLeadingSpaces = 100

// isGetLine reports whether a line that has not ended yet is one memcached
// keeps reading: "get " or "gets " after at most 100 spaces.
func isGetLine(buf []byte) answer {
	p := 0
	for p < len(buf) && buf[p] == ' ' {
		p++
	}
	switch {
	case p > maxLeadingSpaces:
		return no
	case len(buf)-p < len("gets "):
		return undecided
	case bytes.HasPrefix(buf[p:], []byte("get ")), bytes.HasPrefix(buf[p:], []byte("gets ")):
		return yes
	}
	return no
}

// tokenize appends the tokens of line to args: runs of bytes other than
// ' ', as memcached's tokenize_command splits.
func tokenize(line []byte, args [][]byte) [][]byte {
	for p := 0; p < len(line); {
		if line[p] == ' ' {
			p++
			continue
		}
		start := p
		for p < len(line) && line[p] != ' ' {
			p++
		}
		args = append(args, line[start:p:p])
	}
	return args
}
