package loadkit

import "bytes"

// IsErrorLine reports whether a memcache reply line (without its CRLF) is an
// error: ERROR, CLIENT_ERROR ... or SERVER_ERROR ....
func IsErrorLine(line []byte) bool {
	return string(line) == "ERROR" || bytes.HasPrefix(line, []byte("CLIENT_ERROR")) ||
		bytes.HasPrefix(line, []byte("SERVER_ERROR"))
}
