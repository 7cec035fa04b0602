package backend

import "time"

// Call is one request to a server and, once done, its reply.
//
// The sender owns a Call until it passes it to Send; from then until Done is
// called the backend owns it. Done is called exactly once, from any goroutine,
// and must not block. Calls are meant to be reused (pooled) by their owners.
type Call struct {
	// Req holds the raw request bytes, written unchanged.
	Req []byte
	// Reply receives the raw reply bytes (appended to Reply[:0]).
	Reply []byte
	// Err is set instead of Reply when the call failed; it is an *Error.
	Err error
	// Deadline is when the call times out; zero means never.
	Deadline time.Time
	// Hint is passed to the server's ScanFunc for this call's reply: the
	// shape of a memcache reply depends on the request. Redis ignores it.
	Hint uint8
	// Done is called once when Reply or Err is set. Nil means nobody waits.
	Done func()
}

// ScanFunc returns the length of the complete reply at the start of buf to a
// call with the given Hint, or an error: Config.Incomplete when it needs more
// bytes, any other error for a malformed reply.
type ScanFunc func(buf []byte, hint uint8) (int, error)

func (c *Call) finish(err error) {
	c.Err = err
	if c.Done != nil {
		c.Done()
	}
}

// queue is a FIFO of calls: a ring buffer that grows as needed.
type queue struct {
	buf        []*Call
	head, size int
}

func (q *queue) push(c *Call) {
	if q.size == len(q.buf) {
		n := make([]*Call, max(16, 2*len(q.buf)))
		for i := 0; i < q.size; i++ {
			n[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = n, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = c
	q.size++
}

func (q *queue) peek() *Call {
	if q.size == 0 {
		return nil
	}
	return q.buf[q.head]
}

func (q *queue) pop() *Call {
	if q.size == 0 {
		return nil
	}
	c := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.size--
	return c
}

// drain removes every call, appending them to dst in order.
func (q *queue) drain(dst []*Call) []*Call {
	for c := q.pop(); c != nil; c = q.pop() {
		dst = append(dst, c)
	}
	return dst
}
