package loadkit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// AppendCommand appends args to dst as a RESP command (an array of bulk
// strings) and returns the extended slice.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = append(strconv.AppendInt(append(dst, '*'), int64(len(args)), 10), "\r\n"...)
	for _, a := range args {
		dst = append(strconv.AppendInt(append(dst, '$'), int64(len(a)), 10), "\r\n"...)
		dst = append(append(dst, a...), "\r\n"...)
	}
	return dst
}

// ReadLine reads one CRLF-terminated line and returns it without the CRLF;
// the slice is valid until the next read from br. An end of file before the
// end of the line, even before its first byte, is io.ErrUnexpectedEOF.
func ReadLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("line without CRLF: %q", line)
	}
	return line[:len(line)-2], nil
}

// ReadReply reads and discards one whole RESP reply, nested arrays included.
// msg is the text of a top-level error reply ("(empty error)" for a bare
// "-"), "" for any other reply; err is an I/O error or a reply that does not
// parse.
func ReadReply(br *bufio.Reader) (msg string, err error) {
	line, err := ReadLine(br)
	if err != nil {
		return "", err
	}
	if len(line) == 0 {
		return "", errors.New("empty reply line")
	}
	switch line[0] {
	case '-':
		if len(line) == 1 {
			return "(empty error)", nil
		}
		return string(line[1:]), nil
	case '+', ':':
		return "", nil
	case '$':
		n, err := strconv.Atoi(string(line[1:]))
		if err != nil {
			return "", fmt.Errorf("bad bulk length %q", line)
		}
		if n < 0 {
			return "", nil
		}
		if _, err := br.Discard(n + 2); err != nil {
			return "", err
		}
		return "", nil
	case '*':
		n, err := strconv.Atoi(string(line[1:]))
		if err != nil {
			return "", fmt.Errorf("bad array length %q", line)
		}
		for range n {
			if _, err := ReadReply(br); err != nil {
				return "", err
			}
		}
		return "", nil
	}
	return "", fmt.Errorf("bad reply line %q", line)
}

// ErrorReply is an error reply ("-ERR ...") from a Redis server, without the
// leading '-'.
type ErrorReply string

func (e ErrorReply) Error() string { return string(e) }

// Client is one RESP connection that sends a command and waits for its
// reply, dialing Addr on first use and again after an I/O error. The zero
// Timeout means no deadline. A Client is not safe for concurrent use.
type Client struct {
	// Addr is the server's host:port.
	Addr string
	// Timeout bounds a dial, and a command's write and reply together.
	Timeout time.Duration

	nc net.Conn
	br *bufio.Reader
	w  []byte
}

// Do sends one command and reads its reply: a bulk string (nil for a nil
// reply), a simple string, or an ErrorReply error. Any other error is an I/O
// error or a reply Do does not read (integers, arrays); the connection is
// then closed, and the next Do dials again.
func (c *Client) Do(args ...[]byte) ([]byte, error) {
	if c.nc == nil {
		nc, err := net.DialTimeout("tcp", c.Addr, c.Timeout)
		if err != nil {
			return nil, err
		}
		c.nc, c.br = nc, bufio.NewReaderSize(nc, 16<<10)
	}
	c.w = AppendCommand(c.w[:0], args...)
	if c.Timeout > 0 {
		c.nc.SetDeadline(time.Now().Add(c.Timeout))
	}
	if _, err := c.nc.Write(c.w); err != nil {
		c.Close()
		return nil, err
	}
	v, err := c.read()
	if err != nil {
		var er ErrorReply
		if !errors.As(err, &er) {
			c.Close()
		}
	}
	return v, err
}

// Close closes the connection, if open; the next Do dials again. It is a
// no-op on a closed Client.
func (c *Client) Close() {
	if c.nc != nil {
		c.nc.Close()
		c.nc = nil
	}
}

func (c *Client) read() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("bad reply line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return append([]byte{}, body...), nil
	case '-':
		return nil, ErrorReply(body)
	case '$':
		n, err := strconv.Atoi(string(body))
		if err != nil {
			return nil, fmt.Errorf("bad bulk length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(c.br, b); err != nil {
			return nil, err
		}
		if b[n] != '\r' || b[n+1] != '\n' {
			return nil, errors.New("bulk string not ended by CRLF")
		}
		return b[:n], nil
	default:
		return nil, fmt.Errorf("unexpected reply %q", line)
	}
}
