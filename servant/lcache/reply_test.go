package lcache

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// readReply reads one RESP2 reply from r and returns its exact bytes. It is a
// small reader for tests only, independent of the resp package's parser.
func readReply(r *bufio.Reader) ([]byte, error) {
	var out []byte
	err := readReplyInto(r, &out)
	return out, err
}

func readReplyInto(r *bufio.Reader, out *[]byte) error {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return fmt.Errorf("malformed reply line %q", line)
	}
	*out = append(*out, line...)
	switch line[0] {
	case '+', '-', ':':
		return nil
	case '$':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil || n < 0 {
			return err
		}
		body := make([]byte, n+2)
		if _, err := io.ReadFull(r, body); err != nil {
			return err
		}
		*out = append(*out, body...)
		return nil
	case '*':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := readReplyInto(r, out); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown reply type %q", line)
}
