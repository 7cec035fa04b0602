package resp

import (
	"math"
	"strconv"
)

// MaxDepth is how deeply arrays may nest in a reply. Deeper replies are
// protocol errors.
const MaxDepth = 64

// maxLenLine bounds the "$n", "*n" and ":n" lines of a reply: 20 bytes of
// number (redis' LONG_STR_SIZE-1) and '\r'.
const maxLenLine = 21

// ReplyLen returns the byte length of the one complete RESP2 reply at the
// start of buf: a simple string (+), error (-), integer (:), bulk string ($,
// or the null bulk $-1) or array (*, or the null array *-1) whose elements
// nest at most MaxDepth deep. Bulk payloads are jumped over, not scanned.
//
// If buf holds only part of the reply, ReplyLen returns ErrIncomplete with
// the minimum total length buf must reach before the outcome can change
// (more than len(buf)); for a large bulk string that is the end of its
// payload, found from its header alone.
//
// Malformed replies, and RESP3 types (the proxy speaks RESP2 to servers),
// return a *ProtocolError. Only that error allocates. Each call starts over
// at buf[0], so for a long array a caller should wait until buf holds the
// length returned with ErrIncomplete before calling again.
func ReplyLen(buf []byte) (int, error) {
	var left [MaxDepth]int // elements still to come in each open array
	depth, p := 0, 0
	for {
		next, elems, err := replyItem(buf, p)
		if err != nil {
			return next, err
		}
		p = next
		if elems > 0 {
			if depth == MaxDepth {
				return 0, protoErr("reply nests arrays too deeply")
			}
			left[depth] = elems
			depth++
			continue
		}
		for depth > 0 {
			left[depth-1]--
			if left[depth-1] > 0 {
				break
			}
			depth--
		}
		if depth == 0 {
			return p, nil
		}
	}
}

// replyItem parses the reply or array header at p. It returns the index
// after it and, for an array header, the number of elements that follow.
// With ErrIncomplete, next is the buffer length needed.
func replyItem(buf []byte, p int) (next, elems int, err error) {
	if p >= len(buf) {
		return p + 1, 0, ErrIncomplete
	}
	switch t := buf[p]; t {
	case '+', '-':
		end, err := lineEnd(buf, p+1, math.MaxInt)
		return end, 0, err
	case ':':
		end, err := lineEnd(buf, p+1, p+1+maxLenLine)
		if err == nil {
			if _, ok := string2ll(buf[p+1 : end-2]); !ok {
				return 0, 0, protoErr("invalid integer reply")
			}
		}
		return end, 0, err
	case '$':
		end, size, err := lengthLine(buf, p, "invalid bulk length")
		if err != nil || size == -1 {
			return end, 0, err
		}
		if size > int64(math.MaxInt-end-2) {
			return 0, 0, protoErr("invalid bulk length")
		}
		last := end + int(size)
		if last+2 > len(buf) {
			return last + 2, 0, ErrIncomplete
		}
		if buf[last] != '\r' || buf[last+1] != '\n' {
			return 0, 0, protoErr("bulk string not followed by CRLF")
		}
		return last + 2, 0, nil
	case '*':
		end, count, err := lengthLine(buf, p, "invalid multibulk length")
		if err != nil || count <= 0 {
			return end, 0, err
		}
		if count > math.MaxInt32 {
			return 0, 0, protoErr("invalid multibulk length")
		}
		return end, int(count), nil
	case '_', ',', '#', '!', '=', '(', '%', '~', '>', '|':
		return 0, 0, protoErr("unexpected RESP3 reply type " + quoteByte(t))
	default:
		return 0, 0, protoErr("invalid reply type " + quoteByte(t))
	}
}

// lengthLine parses the "$n" or "*n" line at p: n is -1 (null) or more. It
// returns the index after the line.
func lengthLine(buf []byte, p int, bad string) (next int, n int64, err error) {
	end, err := lineEnd(buf, p+1, p+1+maxLenLine)
	if err == ErrIncomplete {
		return end, 0, err
	}
	if err != nil {
		return 0, 0, protoErr(bad)
	}
	n, ok := string2ll(buf[p+1 : end-2])
	if !ok || n < -1 {
		return 0, 0, protoErr(bad)
	}
	return end, n, nil
}

// lineEnd finds the "\r\n" that ends the line whose text starts at p; the
// '\r' must come before index limit (math.MaxInt for no limit). It returns the index after "\r\n".
func lineEnd(buf []byte, p, limit int) (int, error) {
	i, _ := indexByteNUL(buf[p:min(len(buf), limit)], '\r', false)
	switch {
	case i < 0 && len(buf) >= limit:
		return 0, protoErr("reply line too long")
	case i < 0:
		return min(len(buf)+2, limit), ErrIncomplete
	case p+i+1 == len(buf):
		return len(buf) + 1, ErrIncomplete
	case buf[p+i+1] != '\n':
		return 0, protoErr("reply line has CR without LF")
	}
	return p + i + 2, nil
}

// ParseInt returns the value of the integer reply ":n\r\n" that reply holds
// exactly; ok is false for anything else.
func ParseInt(reply []byte) (int64, bool) {
	if len(reply) < 4 || reply[0] != ':' || reply[len(reply)-2] != '\r' || reply[len(reply)-1] != '\n' {
		return 0, false
	}
	return string2ll(reply[1 : len(reply)-2])
}

// ArrayElems appends to dst the raw bytes of each element of the array reply
// at the start of reply (each a complete reply, a subslice of reply) and
// returns the extended slice. ok is false, and dst is returned unchanged, if
// reply does not start with a complete, well-formed array: an error reply,
// the null array *-1, or a truncated one. Bytes after the array are ignored.
func ArrayElems(reply []byte, dst [][]byte) (elems [][]byte, ok bool) {
	if len(reply) == 0 || reply[0] != '*' {
		return dst, false
	}
	p, count, err := lengthLine(reply, 0, "")
	if err != nil || count < 0 {
		return dst, false
	}
	orig := len(dst)
	for ; count > 0; count-- {
		n, err := ReplyLen(reply[p:])
		if err != nil {
			return dst[:orig], false
		}
		dst = append(dst, reply[p:p+n:p+n])
		p += n
	}
	return dst, true
}

// quoteByte renders c for an error message: 'c' when printable ASCII, else
// its hex value.
func quoteByte(c byte) string {
	if c >= ' ' && c <= '~' {
		return "'" + string(rune(c)) + "'"
	}
	return "0x" + strconv.FormatUint(uint64(c), 16)
}
