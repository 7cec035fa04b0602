package resp

import (
	"strconv"
	"strings"
)

// AppendSimple appends a simple string reply "+s\r\n". CR and LF in s are
// replaced by spaces so the reply stays one line.
func AppendSimple(dst []byte, s string) []byte {
	dst = append(dst, '+')
	dst = appendLine(dst, s)
	return append(dst, '\r', '\n')
}

// AppendError appends an error reply "-msg\r\n". CR and LF in msg are replaced
// by spaces. msg should start with an error code such as "ERR".
func AppendError(dst []byte, msg string) []byte {
	dst = append(dst, '-')
	dst = appendLine(dst, msg)
	return append(dst, '\r', '\n')
}

// AppendInt appends an integer reply ":n\r\n".
func AppendInt(dst []byte, n int64) []byte {
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, '\r', '\n')
}

// AppendBulk appends a bulk string reply holding b. A nil b is still an empty
// bulk string; use AppendNull for a null reply.
func AppendBulk(dst []byte, b []byte) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// AppendBulkString appends a bulk string reply holding s.
func AppendBulkString(dst []byte, s string) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendNull appends the RESP2 null bulk string "$-1\r\n".
func AppendNull(dst []byte) []byte { return append(dst, "$-1\r\n"...) }

// AppendNullArray appends the RESP2 null array "*-1\r\n".
func AppendNullArray(dst []byte) []byte { return append(dst, "*-1\r\n"...) }

// AppendArrayHeader appends "*n\r\n"; the n elements must follow.
func AppendArrayHeader(dst []byte, n int) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}

// AppendCommand appends a request as an array of bulk strings, the form every
// Redis server accepts.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = AppendArrayHeader(dst, len(args))
	for _, a := range args {
		dst = AppendBulk(dst, a)
	}
	return dst
}

func appendLine(dst []byte, s string) []byte {
	if !strings.ContainsAny(s, "\r\n") {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}
