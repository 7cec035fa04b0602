package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/fae-dev/fae/backend"
	"github.com/fae-dev/fae/memcache"
	"github.com/fae-dev/fae/resp"
)

const (
	readBufMin   = 4 << 10  // a session's first read buffer
	writeFlushAt = 64 << 10 // the writer flushes at least this often
	keepBufLimit = 1 << 20  // larger buffers are dropped once empty
	maxPipeline  = 1024     // pending requests per client before reads block
)

// session serves one client connection: the reader goroutine (readLoop)
// parses requests, routes them and queues them on q; the writer goroutine
// (writeLoop) waits for each queued call in order and writes its reply.
type session struct {
	front frontend
	slot  *poolSlot
	p     *Pool // the slot's pool version for the batch being read (reader only)
	srv   *Server
	nc    net.Conn
	id    uint32
	q     *fifo
	lim   resp.Limits
	auth  bool // authenticated, or no password is needed

	// reader-only state
	args       [][]byte
	keys       []int
	dirty      []*backend.Conn  // connections with unflushed requests
	scratch    []int            // per-key server index in a split
	byServ     []int32          // server index -> part index in a split
	partServer []int32          // part index -> server index in a split
	name       []byte           // CLIENT SETNAME
	mc         memcache.Request // the memcache request being parsed
	skip       int              // bytes of a refused memcache value still to discard
	cmdIdx     int              // counter index of the command being handled
	chainQ     chan func()      // the chain worker's queue (tiered.go); nil when none runs
	sw         *switchSet       // the slot's switches for the batch being read

	// shared between the reader, the writer and the sweeper
	active   atomic.Int64 // server tick of the last read
	parkReq  atomic.Bool  // the sweeper asks this idle session to park
	inflight atomic.Int32 // requests read whose replies are not written yet
	// chain requests queued and not yet answered (reader and chain worker)
	chainPending atomic.Int32

	// writer-only state
	wbuf []byte
	dead bool // the client connection failed; replies are discarded
}

func newSession(srv *Server, sl *poolSlot, nc net.Conn, id uint32) *session {
	p := sl.pool()
	return &session{
		front: p.front, slot: sl, p: p, srv: srv, nc: nc, id: id,
		q:    newFIFO(maxPipeline),
		auth: p.cfg.RedisAuth == "",
	}
}

// run serves the connection until the client leaves, a protocol error, QUIT
// or server shutdown (false: the caller closes the connection), or until the
// session is parked (true: the parker owns the connection now).
func (s *session) run() (parked bool) {
	for {
		if !s.serveOnce() {
			return false
		}
		if p := s.srv.parker; p != nil && p.park(s) {
			return true // the parker owns s now: touch nothing
		}
		_ = s.nc.SetReadDeadline(time.Time{}) // could not park: carry on
	}
}

// serveOnce runs the reader until it stops and waits until every reply is
// written; it returns true when the reader stopped to park.
func (s *session) serveOnce() bool {
	parkable := s.readLoop()
	s.q.wait()
	s.stopChainWorker()
	return parkable
}

// readLoop reads and dispatches requests. It returns true when it stopped
// because the sweeper asked an idle session to park and nothing is pending.
func (s *session) readLoop() (parkable bool) {
	buf := make([]byte, readBufMin)
	r, w := 0, 0
	for {
		s.p, s.sw = s.slot.pool(), s.slot.switches.Load() // a reload takes effect here
		for r < w {
			n, need, stop := s.front.next(s, buf[r:w])
			if stop {
				s.flushDirty()
				return false
			}
			if n == 0 {
				// need follows lengths the client declared: grow towards
				// it geometrically, never allocating ahead of the data.
				if need > len(buf)-r {
					buf, r, w = grow(buf, r, w, min(need, 2*len(buf)))
				}
				break
			}
			r += n
		}
		s.flushDirty()
		if r == w {
			r, w = 0, 0
			if len(buf) > keepBufLimit {
				buf = make([]byte, readBufMin)
			}
		} else if w == len(buf) {
			buf, r, w = grow(buf, r, w, 2*(w-r))
		}
		if s.srv.ops.draining.Load() {
			return false // shutting down: finish what was read, then close
		}
		n, err := s.nc.Read(buf[w:])
		if n > 0 {
			w += n
			s.active.Store(s.srv.tick.Load())
			continue
		}
		if err == nil {
			continue
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) || !s.parkReq.Swap(false) {
			if errors.Is(err, io.EOF) {
				s.slot.counters.clientEOF.Add(1)
			}
			return false
		}
		if r == w && s.inflight.Load() == 0 && s.skip == 0 {
			return true
		}
		_ = s.nc.SetReadDeadline(time.Time{}) // busy after all
	}
}

// grow returns a buffer holding buf[r:w] at its start with room for at least
// need bytes in all.
func grow(buf []byte, r, w, need int) ([]byte, int, int) {
	if need <= len(buf) {
		copy(buf, buf[r:w])
		return buf, 0, w - r
	}
	nb := make([]byte, max(need, 2*len(buf)))
	copy(nb, buf[r:w])
	return nb, 0, w - r
}

// push queues c for the writer, flushing the session's backend requests
// first if the queue is full (the writer may be waiting for them).
func (s *session) push(c *call) {
	c.pool, c.cmdIdx = s.p, int32(s.cmdIdx)
	if s.srv.metricsOn {
		c.t0 = time.Now()
	}
	s.p.inflight.Add(1)
	s.srv.ops.inflight.Add(1)
	s.inflight.Add(1)
	if s.q.push(c, s.flushDirty) {
		go s.writeLoop()
	}
}

// pushLocal queues a reply the proxy produced itself.
func (s *session) pushLocal(reply []byte, closeAfter bool) {
	c := newCall()
	c.Reply = append(c.Reply[:0], reply...)
	c.closeAfter = closeAfter
	c.markReady()
	s.push(c)
}

// send hands a forwarded call to the connection of target si, or executes
// it in place for a servant. c.read and c.routeKey are set by the caller.
func (s *session) send(si int, c *call, args [][]byte) {
	sv := s.p.targets[si]
	if sv.cache != nil {
		c.Reply = sv.cache.Do(c.Reply[:0], args)
		c.Done()
		return
	}
	if s.p.cfg.Timeout > 0 || s.p.stack != nil {
		now := c.t0
		if now.IsZero() {
			now = time.Now()
		}
		if s.p.cfg.Timeout > 0 {
			c.Deadline = now.Add(s.p.cfg.Timeout)
		}
		if s.p.stack != nil {
			c.pool, c.connIdx = s.p, s.id
			if !s.p.begin(c, sv, now) {
				return
			}
		}
	}
	conn := sv.be.Conn(s.id)
	conn.Send(&c.Call)
	if !slices.Contains(s.dirty, conn) {
		s.dirty = append(s.dirty, conn)
	}
}

func (s *session) flushDirty() {
	for i, c := range s.dirty {
		c.Flush()
		s.dirty[i] = nil
	}
	s.dirty = s.dirty[:0]
}

// writeLoop writes replies in request order until the queue is empty and
// flushed; push starts it again for the next request.
func (s *session) writeLoop() {
	for {
		c := s.q.next(s.flushOut)
		if c == nil {
			return
		}
		select {
		case <-c.ready:
		default:
			if len(s.wbuf) > 0 {
				// let the backend readers run once: more of this batch's
				// replies may be ready, and they then share one write
				runtime.Gosched()
			}
			select {
			case <-c.ready:
			default:
				s.flushOut()
				<-c.ready
			}
		}
		if !s.dead {
			n := len(s.wbuf)
			s.wbuf = s.front.appendReply(s, s.wbuf, c)
			s.observe(c, s.wbuf[n:])
		}
		closeAfter, pool := c.closeAfter, c.pool
		c.release()
		pool.callDone()
		s.srv.ops.done()
		s.inflight.Add(-1)
		if len(s.wbuf) >= writeFlushAt || closeAfter {
			s.flushOut()
		}
		if closeAfter {
			s.fail()
		}
	}
}

// flushOut writes the buffered replies to the client.
func (s *session) flushOut() {
	if len(s.wbuf) == 0 {
		return
	}
	if !s.dead {
		if _, err := s.nc.Write(s.wbuf); err != nil {
			s.fail()
		}
	}
	if cap(s.wbuf) > keepBufLimit {
		s.wbuf = nil
	} else {
		s.wbuf = s.wbuf[:0]
	}
}

// fail stops the session: later replies are dropped and the reader's next
// read fails because the connection is closed.
func (s *session) fail() {
	s.dead = true
	s.nc.Close()
}

func appendBackendError(dst []byte, err error) []byte {
	return resp.AppendError(dst, "ERR fae: "+err.Error())
}

// groupParts gives c one part per server of s.scratch (the server of every
// key), in the order the servers first appear, each part's Hint set to hint.
// s.byServ maps a server to its part and s.partServer a part to its server.
func (s *session) groupParts(c *call, hint uint8) {
	n := len(s.p.targets)
	if cap(s.byServ) < n {
		s.byServ = make([]int32, n)
	}
	s.byServ = s.byServ[:n]
	for i := range s.byServ {
		s.byServ[i] = -1
	}
	s.partServer = s.partServer[:0]
	for _, si := range s.scratch {
		if s.byServ[si] >= 0 {
			continue
		}
		s.byServ[si] = int32(len(c.parts))
		part := newCall()
		part.parent, part.Hint = c, hint
		c.parts = append(c.parts, part)
		s.partServer = append(s.partServer, int32(si))
	}
	c.pending.Store(int32(len(c.parts)))
}
