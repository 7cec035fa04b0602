package logs

import (
	"sync"
	"sync/atomic"
)

// maxPooled is the capacity above which a record buffer is left to the
// garbage collector instead of going back to the pool, so that one huge
// record does not pin its memory for good.
const maxPooled = 16 << 10

// queue is the io.Writer the slog handlers write to. Each Write is one
// formatted record (slog's handlers write a whole record at once); queue
// copies it into a pooled buffer and hands it to the writer goroutine
// without ever waiting: when the channel is full the record is dropped and
// counted. Safe for concurrent use.
type queue struct {
	ch      chan *[]byte
	dropped atomic.Int64 // records lost: queue full, or written after close
	pool    sync.Pool    // of *[]byte

	mu     sync.RWMutex // read-held by Write, held by close: no send on a closed ch
	closed bool
}

func newQueue(size int) *queue {
	q := &queue{ch: make(chan *[]byte, size)}
	q.pool.New = func() any { b := make([]byte, 0, 512); return &b }
	return q
}

// Write queues a copy of p. It never blocks and never fails: a record that
// does not fit, or that comes after close, is counted in dropped.
func (q *queue) Write(p []byte) (int, error) {
	bp := q.pool.Get().(*[]byte)
	*bp = append((*bp)[:0], p...)
	q.mu.RLock()
	sent := false
	if !q.closed {
		select {
		case q.ch <- bp:
			sent = true
		default:
		}
	}
	q.mu.RUnlock()
	if !sent {
		q.put(bp)
		q.dropped.Add(1)
	}
	return len(p), nil
}

// put returns a record buffer to the pool.
func (q *queue) put(bp *[]byte) {
	if cap(*bp) > maxPooled {
		return
	}
	*bp = (*bp)[:0]
	q.pool.Put(bp)
}

// close closes the channel, so that the writer goroutine drains it and
// exits; later Writes are dropped. It is idempotent.
func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
}
