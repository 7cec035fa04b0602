package backend

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
)

const (
	readBufSize  = 16 << 10
	keepBufLimit = 1 << 20 // buffers larger than this are dropped when empty
)

// Conn is one pipelined connection to a server. Safe for concurrent use.
type Conn struct {
	srv *Server

	mu       sync.Mutex
	nc       net.Conn // nil while down or dialing
	gen      uint64   // incremented for every established socket
	dialing  bool
	closed   bool
	queue    queue // calls written or buffered, awaiting replies
	wbuf     []byte
	spare    []byte
	flushing bool      // a goroutine is writing; others only append
	deadline time.Time // read deadline currently set on nc
	nextDial time.Time // no connect before this after a failure
	lastErr  error
	bo       *backoff.ExponentialBackOff
	redial   *time.Timer // background reconnect after a failed connect
	openedAt time.Time   // when nc was established

	wake chan struct{}
}

func newConn(s *Server) *Conn {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = s.cfg.BackoffMin
	bo.MaxInterval = s.cfg.BackoffMax
	return &Conn{srv: s, bo: bo, wake: make(chan struct{}, 1)}
}

// Send queues c to be written by the next Flush. If the server cannot be
// reached now, c completes at once with ErrUnreachable.
func (c *Conn) Send(call *Call) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		call.finish(c.srv.errorf(ErrClosed))
		return
	}
	if c.nc == nil && !c.dialing {
		now := time.Now()
		if now.Before(c.nextDial) {
			err := c.lastErr
			c.mu.Unlock()
			call.finish(c.srv.errorf(fmt.Errorf("%w: %v", ErrUnreachable, err)))
			return
		}
		c.startDialLocked(now)
	}
	c.queue.push(call)
	c.wbuf = append(c.wbuf, call.Req...)
	if !call.Deadline.IsZero() && c.nc != nil && (c.deadline.IsZero() || call.Deadline.Before(c.deadline)) {
		c.deadline = call.Deadline
		_ = c.nc.SetReadDeadline(call.Deadline)
	}
	c.mu.Unlock()
}

// Flush makes sure what Send buffered gets written: the connection's writer
// goroutine wakes and writes everything buffered by then, so requests that
// several sessions flush at about the same time share one syscall.
func (c *Conn) Flush() {
	c.mu.Lock()
	if c.flushing || len(c.wbuf) == 0 || c.nc == nil {
		c.mu.Unlock()
		return
	}
	c.flushing = true
	c.mu.Unlock()
	c.kick()
}

// writeOnce writes the buffered bytes once. Called with mu held and flushing
// claimed; returns with mu held.
func (c *Conn) writeOnce() {
	buf, nc, gen := c.wbuf, c.nc, c.gen
	c.wbuf, c.spare = c.spare[:0], nil // its array now backs wbuf: never hand it out twice
	c.mu.Unlock()
	_, err := nc.Write(buf)
	c.mu.Lock()
	if cap(buf) <= keepBufLimit {
		c.spare = buf[:0]
	}
	if err != nil {
		failed := c.resetLocked(gen)
		c.mu.Unlock()
		c.fail(failed, c.srv.errorf(fmt.Errorf("%w: write: %v", ErrReset, err)), nil)
		c.mu.Lock()
	}
}

func (c *Conn) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// writer flushes for senders whose write left bytes behind, and after a
// connect. It runs for the life of the Server.
func (c *Conn) writer() {
	defer c.srv.wg.Done()
	for {
		select {
		case <-c.wake:
		case <-c.srv.quit:
			return
		}
		// let runnable senders append first: their requests then share
		// this write (an event loop gets the same effect for free)
		runtime.Gosched()
		c.mu.Lock()
		for len(c.wbuf) > 0 && c.nc != nil {
			c.writeOnce()
		}
		c.flushing = false
		c.mu.Unlock()
	}
}

func (c *Conn) startDialLocked(now time.Time) {
	if c.dialing || c.nc != nil || c.closed || now.Before(c.nextDial) {
		return
	}
	c.dialing = true
	c.srv.wg.Add(1)
	go c.dial()
}

func (c *Conn) dial() {
	defer c.srv.wg.Done()
	cfg := &c.srv.cfg
	d := net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: -1}
	if cfg.KeepAlive {
		d.KeepAlive = 0 // Go's default probe interval
	}
	nc, err := d.Dial(cfg.Network, cfg.Addr)
	if err == nil {
		if err = c.initConn(nc); err != nil {
			nc.Close()
		}
	}
	c.mu.Lock()
	c.dialing = false
	if c.closed {
		if err == nil {
			nc.Close()
		}
		failed := c.queue.drain(nil)
		c.mu.Unlock()
		c.fail(failed, c.srv.errorf(ErrClosed), nil)
		return
	}
	if err != nil {
		c.lastErr = err
		wait := c.bo.NextBackOff()
		c.nextDial = time.Now().Add(wait)
		c.scheduleRedialLocked(wait)
		failed := c.queue.drain(nil)
		c.wbuf = c.wbuf[:0]
		c.mu.Unlock()
		c.srv.failure()
		c.fail(failed, c.srv.errorf(fmt.Errorf("%w: %v", ErrUnreachable, err)), nil)
		return
	}
	c.bo.Reset()
	c.nc, c.lastErr = nc, nil
	c.openedAt = time.Now()
	if f := c.srv.cfg.OnConnect; f != nil {
		f()
	}
	c.gen++
	c.deadline = time.Time{}
	if head := c.queue.peek(); head != nil && !head.Deadline.IsZero() {
		c.deadline = head.Deadline
		_ = nc.SetReadDeadline(head.Deadline)
	}
	c.srv.wg.Add(1)
	go c.reader(nc, c.gen)
	if len(c.wbuf) > 0 && !c.flushing {
		c.flushing = true
		c.kick()
	}
	c.mu.Unlock()
}

// initConn runs the Init requests on a fresh socket and checks each reply.
func (c *Conn) initConn(nc net.Conn) error {
	cfg := &c.srv.cfg
	if len(cfg.Init) == 0 {
		return nil
	}
	_ = nc.SetDeadline(time.Now().Add(cfg.DialTimeout))
	defer nc.SetDeadline(time.Time{})
	if _, err := nc.Write(bytes.Join(cfg.Init, nil)); err != nil {
		return err
	}
	buf := make([]byte, 0, 512)
	for range cfg.Init {
		var n int
		for {
			var err error
			if n, err = cfg.Scan(buf, cfg.InitHint); err == nil {
				break
			} else if !errors.Is(err, cfg.Incomplete) {
				return fmt.Errorf("%w: %v", ErrInit, err)
			}
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			m, err := nc.Read(buf[len(buf):cap(buf)])
			if err != nil {
				return err
			}
			buf = buf[:len(buf)+m]
		}
		if cfg.InitOK != nil && !cfg.InitOK(buf[:n]) {
			return fmt.Errorf("%w: %s", ErrInit, bytes.TrimSpace(buf[:n]))
		}
		buf = append(buf[:0], buf[n:]...)
	}
	return nil
}

// reader matches replies on one socket to queued calls until the socket
// fails or is replaced.
func (c *Conn) reader(nc net.Conn, gen uint64) {
	defer c.srv.wg.Done()
	buf := make([]byte, readBufSize)
	r, w := 0, 0
	for {
		for r < w {
			n, ok := c.deliver(buf[r:w], gen)
			if !ok {
				return
			}
			if n == 0 {
				break
			}
			r += n
		}
		buf, r, w = compact(buf, r, w)
		n, err := nc.Read(buf[w:])
		w += n
		if err != nil && !c.readFailed(err, gen) {
			return
		}
	}
}

// deliver completes the queue head with the reply at the start of b. It
// returns the reply's length (0 when incomplete) and false when the reader
// must stop.
func (c *Conn) deliver(b []byte, gen uint64) (int, bool) {
	c.mu.Lock()
	if c.gen != gen || c.nc == nil {
		c.mu.Unlock()
		return 0, false
	}
	head := c.queue.peek()
	var n int
	var err error
	switch {
	case head == nil:
		err = errors.New("reply with no request")
	default:
		n, err = c.srv.cfg.Scan(b, head.Hint)
	}
	if errors.Is(err, c.srv.cfg.Incomplete) {
		c.mu.Unlock()
		return 0, true
	}
	if err != nil {
		failed := c.resetLocked(gen)
		c.mu.Unlock()
		c.srv.failure()
		c.fail(failed, c.srv.errorf(fmt.Errorf("%w: %v", ErrBadReply, err)), nil)
		return 0, false
	}
	c.queue.pop()
	c.mu.Unlock()
	head.Reply = append(head.Reply[:0], b[:n]...)
	c.srv.success()
	head.finish(nil)
	return n, true
}

// readFailed handles a read error; it returns true when reading goes on.
func (c *Conn) readFailed(err error, gen uint64) bool {
	c.mu.Lock()
	if c.gen != gen || c.nc == nil {
		c.mu.Unlock()
		return false
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		head := c.queue.peek()
		now := time.Now()
		switch {
		case head == nil || head.Deadline.IsZero():
			c.deadline = time.Time{}
			_ = c.nc.SetReadDeadline(time.Time{})
			c.mu.Unlock()
			return true
		case now.Before(head.Deadline):
			c.deadline = head.Deadline
			_ = c.nc.SetReadDeadline(head.Deadline)
			c.mu.Unlock()
			return true
		}
		failed := c.resetLocked(gen)
		c.mu.Unlock()
		c.srv.failure()
		c.fail(failed, c.srv.errorf(ErrTimeout), c.srv.errorf(fmt.Errorf("%w (an earlier request timed out)", ErrReset)))
		return false
	}
	failed := c.resetLocked(gen)
	c.mu.Unlock()
	c.srv.failure()
	c.fail(failed, c.srv.errorf(fmt.Errorf("%w: %v", ErrReset, err)), nil)
	return false
}

// resetLocked closes socket generation gen and takes every queued call. The
// bytes not yet written belong to those calls and are dropped with them.
func (c *Conn) resetLocked(gen uint64) []*Call {
	if c.gen != gen || c.nc == nil {
		return nil
	}
	c.closeNCLocked()
	c.deadline = time.Time{}
	c.wbuf = c.wbuf[:0]
	return c.queue.drain(nil)
}

// closeNCLocked closes the established socket and reports how long it was open.
func (c *Conn) closeNCLocked() {
	c.nc.Close()
	c.nc = nil
	if f := c.srv.cfg.OnDisconnect; f != nil {
		f(time.Since(c.openedAt))
	}
}

// scheduleRedialLocked reconnects in the background after wait, so the
// connection comes back even when no call asks for it (fail fast in
// between). The timer's dial is owned like any other: Close stops it.
func (c *Conn) scheduleRedialLocked(wait time.Duration) {
	redial := func() {
		c.mu.Lock()
		c.startDialLocked(time.Now())
		c.mu.Unlock()
	}
	if c.redial == nil {
		c.redial = time.AfterFunc(wait, redial)
		return
	}
	c.redial.Reset(wait)
}

// fail completes calls: the first with first, the rest with rest (or first
// when rest is nil).
func (c *Conn) fail(calls []*Call, first, rest error) {
	if rest == nil {
		rest = first
	}
	for i, call := range calls {
		if i == 0 {
			call.finish(first)
		} else {
			call.finish(rest)
		}
	}
}

func (c *Conn) close() {
	c.mu.Lock()
	c.closed = true
	var failed []*Call
	if c.nc != nil {
		c.closeNCLocked()
	}
	if c.redial != nil {
		c.redial.Stop()
	}
	failed = c.queue.drain(nil)
	c.wbuf = c.wbuf[:0]
	c.mu.Unlock()
	c.fail(failed, c.srv.errorf(ErrClosed), nil)
}

// compact moves unread bytes to the front of buf, growing it when full and
// shrinking it back once a large reply is done.
func compact(buf []byte, r, w int) ([]byte, int, int) {
	if r == w {
		if len(buf) > keepBufLimit {
			buf = make([]byte, readBufSize)
		}
		return buf, 0, 0
	}
	if r > 0 {
		copy(buf, buf[r:w])
		w -= r
	}
	if w == len(buf) {
		nb := make([]byte, 2*len(buf))
		copy(nb, buf[:w])
		buf = nb
	}
	return buf, 0, w
}
