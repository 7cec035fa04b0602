package resp

import (
	"bufio"
	"errors"
	"io"
	"math"
)

// readChunk bounds how much ReadReply allocates ahead of the data for a bulk
// string, so a bogus length cannot make it allocate gigabytes up front.
const readChunk = 64 << 10

// ReadReply reads one complete reply from r and returns its raw bytes, in a
// new slice. It is meant for clients and tests, not the proxy's hot path.
// It returns io.EOF if r ends before the reply starts, io.ErrUnexpectedEOF
// if it ends inside it, and a *ProtocolError (the same one ReplyLen gives)
// if the reply is malformed. It reads no byte past the reply.
func ReadReply(r *bufio.Reader) ([]byte, error) {
	out, err := readReply(r, nil, 0)
	if err != nil {
		if errors.Is(err, io.EOF) && len(out) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if _, err := ReplyLen(out); err != nil {
		return nil, err
	}
	return out, nil
}

// readReply appends one reply to out, reading lines up to "\r\n" and bulk
// payloads by their length. Structure errors are left to ReplyLen, except
// those that decide how much to read.
func readReply(r *bufio.Reader, out []byte, depth int) ([]byte, error) {
	start := len(out)
	out, err := readLine(r, out)
	if err != nil {
		return out, err
	}
	switch out[start] {
	case '$':
		end, size, err := lengthLine(out, start, "invalid bulk length")
		if err != nil || size < 0 {
			return out, err
		}
		return readFull(r, out[:end], size+2)
	case '*':
		end, count, err := lengthLine(out, start, "invalid multibulk length")
		if err != nil {
			return out, err
		}
		if count > math.MaxInt32 {
			return out, protoErr("invalid multibulk length")
		}
		if count > 0 && depth == MaxDepth {
			return out, protoErr("reply nests arrays too deeply")
		}
		out = out[:end]
		for ; count > 0 && err == nil; count-- {
			out, err = readReply(r, out, depth+1)
		}
		return out, err
	}
	return out, nil
}

// readLine appends bytes up to and including the next "\r\n".
func readLine(r *bufio.Reader, out []byte) ([]byte, error) {
	for {
		frag, err := r.ReadSlice('\n')
		out = append(out, frag...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil:
			return out, err
		case len(out) >= 2 && out[len(out)-2] == '\r':
			return out, nil
		}
	}
}

// readFull appends n bytes, growing out as data arrives.
func readFull(r *bufio.Reader, out []byte, n int64) ([]byte, error) {
	for n > 0 {
		k := int(min(n, readChunk))
		l := len(out)
		out = append(out, make([]byte, k)...)
		if _, err := io.ReadFull(r, out[l:]); err != nil {
			return out[:l], err
		}
		n -= int64(k)
	}
	return out, nil
}
