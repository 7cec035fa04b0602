package proxy

import "sync"

// fifo is the bounded queue between a session's reader and writer. It starts
// small and grows up to max, so an idle session holds almost nothing.
type fifo struct {
	mu       sync.Mutex
	notEmpty sync.Cond
	notFull  sync.Cond
	buf      []*call
	head, n  int
	max      int
	closed   bool
}

func newFIFO(max int) *fifo {
	q := &fifo{max: max}
	q.notEmpty.L = &q.mu
	q.notFull.L = &q.mu
	return q
}

// push appends c, blocking while the queue holds max calls; before it
// blocks it calls full (without the lock).
func (q *fifo) push(c *call, full func()) {
	q.mu.Lock()
	if q.n == q.max && full != nil {
		q.mu.Unlock()
		full()
		q.mu.Lock()
	}
	for q.n == q.max {
		q.notFull.Wait()
	}
	if q.n == len(q.buf) {
		nb := make([]*call, min(q.max, max(4, 2*len(q.buf))))
		for i := 0; i < q.n; i++ {
			nb[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = c
	q.n++
	if q.n == 1 {
		q.notEmpty.Signal()
	}
	q.mu.Unlock()
}

// pop removes the oldest call. If the queue is empty it calls idle (without
// the lock) once, then blocks. It returns nil when closed and empty.
func (q *fifo) pop(idle func()) *call {
	q.mu.Lock()
	if q.n == 0 && idle != nil && !q.closed {
		q.mu.Unlock()
		idle()
		q.mu.Lock()
	}
	for q.n == 0 {
		if q.closed {
			q.mu.Unlock()
			return nil
		}
		q.notEmpty.Wait()
	}
	c := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	if q.n == q.max-1 {
		q.notFull.Signal()
	}
	if q.n == 0 && len(q.buf) > 64 {
		q.buf, q.head = nil, 0 // give a burst's memory back
	}
	q.mu.Unlock()
	return c
}

// close wakes the writer; calls already queued are still popped.
func (q *fifo) close() {
	q.mu.Lock()
	q.closed = true
	q.notEmpty.Broadcast()
	q.mu.Unlock()
}
