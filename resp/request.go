package resp

import (
	"bytes"
	"math"
)

// Default limits, the same as redis-server's.
const (
	// DefaultMaxBulk is redis' proto-max-bulk-len: 512 MiB.
	DefaultMaxBulk = 512 << 20
	// DefaultMaxArgs bounds the argument count of a multibulk request.
	DefaultMaxArgs = 1 << 20
	// DefaultMaxInline is redis' PROTO_INLINE_MAX_SIZE: 64 KiB.
	DefaultMaxInline = 64 << 10
)

// Upper bounds applied to Limits so that length arithmetic cannot overflow.
const (
	maxMaxBulk = 1 << 40
	maxMaxArgs = math.MaxInt32 // redis refuses counts above INT_MAX
)

// Limits bound what a client may send. Zero fields mean the defaults; a
// Limits value is read-only during parsing and safe to share.
type Limits struct {
	// MaxBulk is the largest bulk string argument, in bytes. Zero or negative
	// means DefaultMaxBulk. A longer one is "invalid bulk length".
	MaxBulk int
	// MaxArgs is the most arguments one multibulk request may declare. Zero
	// or negative means DefaultMaxArgs. More is "invalid multibulk length".
	// Inline requests are bounded by MaxInline instead.
	MaxArgs int
	// MaxInline is the longest inline request line, and the longest "*n" or
	// "$n" header line, in bytes. Zero or negative means DefaultMaxInline.
	MaxInline int
}

func (l Limits) withDefaults() Limits {
	if l.MaxBulk <= 0 {
		l.MaxBulk = DefaultMaxBulk
	}
	l.MaxBulk = min(l.MaxBulk, maxMaxBulk)
	if l.MaxArgs <= 0 {
		l.MaxArgs = DefaultMaxArgs
	}
	l.MaxArgs = min(l.MaxArgs, maxMaxArgs)
	if l.MaxInline <= 0 {
		l.MaxInline = DefaultMaxInline
	}
	l.MaxInline = min(l.MaxInline, maxMaxBulk)
	return l
}

// ParseRequest parses one client request from the start of buf, in either
// form redis-server accepts: multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") when
// buf starts with '*', else inline ("GET k\r\n": the line ends at '\n', a '\r'
// before it is optional, and it is split like redis' sdssplitargs, with
// "..." quoting (escapes \n \r \t \b \a \\ \" \xHH) and '...' quoting).
//
// On success it returns n, the bytes consumed, and the arguments appended to
// args[:0]. Each argument is a subslice of buf (no copy), except inline
// arguments that needed unquoting, which share one new buffer. A request may
// have zero arguments ("*0\r\n", "*-1\r\n", an empty line): the caller skips
// it, as redis does.
//
// If buf holds no complete request, ParseRequest returns ErrIncomplete and n,
// the minimum total length buf must reach before parsing again can change
// the outcome (n > len(buf)). n follows the lengths the client declared, so
// callers should bound what they allocate ahead of the data.
//
// Malformed input returns a *ProtocolError with redis-server's text, after
// which the caller replies "-ERR " + err.Error() and closes the connection.
// out is args[:0] plus any arguments parsed before the outcome.
//
// Like redis 7, ParseRequest does not check the two bytes after a "*n"/"$n"
// line's '\r' or after a bulk payload, and a NUL byte in a header or inline
// line makes it wait (as redis' strchr does) until the line is too big.
// Unlike redis, whose verdict on lines just over the limit depends on how
// reads were split, a header or inline line is rejected whenever its end
// is more than lim.MaxInline bytes from its start.
func ParseRequest(buf []byte, args [][]byte, lim Limits) (n int, out [][]byte, err error) {
	args = args[:0]
	if len(buf) == 0 {
		return 1, args, ErrIncomplete
	}
	lim = lim.withDefaults()
	if buf[0] == '*' {
		return parseMultibulk(buf, args, lim)
	}
	return parseInline(buf, args, lim)
}

// parseMultibulk follows processMultibulkBuffer in redis' networking.c.
func parseMultibulk(buf []byte, args [][]byte, lim Limits) (int, [][]byte, error) {
	cr, need, err := headerLine(buf, 0, lim.MaxInline, "too big mbulk count string")
	if cr < 0 {
		return need, args, err
	}
	count, ok := string2ll(buf[1:cr])
	if !ok || count > int64(lim.MaxArgs) {
		return 0, args, protoErr("invalid multibulk length")
	}
	p := cr + 2 // redis skips the byte after '\r' without looking at it
	if count <= 0 {
		return p, args, nil
	}
	for left := int(count); left > 0; left-- {
		cr, need, err := headerLine(buf, p, lim.MaxInline, "too big bulk count string")
		if cr < 0 {
			return need, args, err
		}
		if buf[p] != '$' {
			return 0, args, protoErr("expected '$', got '" + printable(buf[p]) + "'")
		}
		size, ok := string2ll(buf[p+1 : cr])
		if !ok || size < 0 || size > int64(lim.MaxBulk) {
			return 0, args, protoErr("invalid bulk length")
		}
		start := cr + 2
		end := start + int(size) + 2 // redis skips the two bytes after the payload unchecked
		if end > len(buf) {
			return end, args, ErrIncomplete
		}
		args = append(args, buf[start:start+int(size):start+int(size)])
		p = end
	}
	return p, args, nil
}

// headerLine finds the '\r' that ends the "*n" or "$n" line starting at p,
// the way redis does: strchr(p, '\r'), so a NUL byte hides what follows it,
// and the byte after '\r' must be present but is not checked. It returns the
// index of '\r', or -1 with either the buffer length needed (ErrIncomplete)
// or a protocol error saying tooBig when no '\r' shows up within limit bytes.
func headerLine(buf []byte, p, limit int, tooBig string) (cr, need int, err error) {
	i, hidden := indexByteNUL(buf[p:min(len(buf), p+limit+1)], '\r', true)
	switch {
	case i >= 0 && p+i+1 < len(buf):
		return p + i, 0, nil
	case i >= 0:
		return -1, len(buf) + 1, ErrIncomplete
	case len(buf)-p > limit:
		return -1, 0, protoErr(tooBig)
	case hidden:
		return -1, p + limit + 1, ErrIncomplete // redis waits until the limit
	default:
		return -1, min(len(buf)+2, p+limit+1), ErrIncomplete
	}
}

// printable renders the byte redis puts in "expected '$', got '%c'": redis
// replaces CR and LF in error replies by spaces.
func printable(c byte) string {
	if c == '\r' || c == '\n' {
		c = ' '
	}
	return string([]byte{c})
}

// shortLine is how far indexByteNUL looks byte by byte before it calls
// bytes.IndexByte: most lines ("$3", "GET k") are shorter than that.
const shortLine = 16

// indexByteNUL returns the index of the first c in b, or -1. With
// stopAtNUL, a NUL byte before it hides it, as from C strchr: i is -1 and
// hidden is true.
func indexByteNUL(b []byte, c byte, stopAtNUL bool) (i int, hidden bool) {
	n := min(len(b), shortLine)
	for i := range n {
		switch b[i] {
		case c:
			return i, false
		case 0:
			if stopAtNUL {
				return -1, true
			}
		}
	}
	if n == len(b) {
		return -1, false
	}
	i = bytes.IndexByte(b[n:], c)
	before := b[n:]
	if i >= 0 {
		before, i = before[:i], i+n
	}
	if stopAtNUL && bytes.IndexByte(before, 0) >= 0 {
		return -1, true
	}
	return i, false
}
