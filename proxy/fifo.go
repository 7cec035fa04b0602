package proxy

import "sync"

// fifo is the bounded queue between a session's reader and its writer. It
// starts small and grows up to max, so an idle session holds almost nothing.
//
// The writer goroutine lives only while there is work: push starts it when
// the queue goes from idle to busy, and it exits once it finds the queue
// empty after flushing. So an idle connection costs one goroutine, not two.
type fifo struct {
	mu      sync.Mutex
	notFull sync.Cond
	idle    sync.Cond // signalled when the writer exits
	buf     []*call
	head, n int
	max     int
	writer  bool // a writer goroutine is running
}

func newFIFO(max int) *fifo {
	q := &fifo{max: max}
	q.notFull.L = &q.mu
	q.idle.L = &q.mu
	return q
}

// push appends c, blocking while the queue holds max calls; before it blocks
// it calls full (without the lock). It returns true when the caller must
// start a writer goroutine.
func (q *fifo) push(c *call, full func()) (startWriter bool) {
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
	startWriter = !q.writer
	q.writer = true
	q.mu.Unlock()
	return startWriter
}

// next removes the oldest call for the writer. When the queue is empty it
// calls flush (without the lock); if the queue is still empty afterwards the
// writer must exit: next returns nil and marks the writer gone.
func (q *fifo) next(flush func()) *call {
	q.mu.Lock()
	if q.n == 0 {
		q.mu.Unlock()
		flush()
		q.mu.Lock()
		if q.n == 0 {
			q.writer = false
			if len(q.buf) > 64 {
				q.buf, q.head = nil, 0 // give a burst's memory back
			}
			q.idle.Broadcast()
			q.mu.Unlock()
			return nil
		}
	}
	c := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	if q.n == q.max-1 {
		q.notFull.Signal()
	}
	q.mu.Unlock()
	return c
}

// wait blocks until no writer is running: every queued reply is written.
func (q *fifo) wait() {
	q.mu.Lock()
	for q.writer {
		q.idle.Wait()
	}
	q.mu.Unlock()
}
