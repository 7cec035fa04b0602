package proxy

import (
	"errors"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

// Idle parking. A client connection that has been idle for ParkAfter costs
// two goroutine stacks, buffers and a net.Conn while it waits; most clients of
// a proxy (persistent connections of PHP-FPM or Python workers) are idle most
// of the time. The parker takes such a connection over: it keeps only a
// duplicate of the socket's file descriptor in an epoll set of its own and the
// small session struct (auth state, client name). When the socket becomes
// readable (a request, or the client closing), the parker makes a net.Conn
// from the descriptor again and restarts the session's goroutines.
//
// The parker's epoll descriptor is itself registered with Go's network
// poller, so waiting for events blocks no OS thread.

// DefaultParkAfter is how long a client connection stays idle before its
// session is parked.
const DefaultParkAfter = time.Second

// freeOSMemoryEvery rate-limits returning freed stacks and buffers to the OS
// after many sessions were parked in one sweep.
const freeOSMemoryEvery = time.Second

// parked is all that is kept of a parked session: its pool, id and the
// connection state a client may have set (authentication, CLIENT SETNAME).
type parked struct {
	slot *poolSlot
	id   uint32
	auth bool
	name []byte
}

type parker struct {
	srv      *Server
	epfd     int
	file     *os.File // epfd, registered with Go's poller
	mu       sync.Mutex
	parked   map[int32]parked
	closed   bool
	stopOnce sync.Once
	done     chan struct{}
}

func newParker(srv *Server) (*parker, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	p := &parker{srv: srv, epfd: epfd, file: os.NewFile(uintptr(epfd), "epoll"),
		parked: map[int32]parked{}, done: make(chan struct{})}
	go p.loop()
	return p, nil
}

// count returns how many sessions are parked.
func (p *parker) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.parked)
}

// park takes over sess's connection. On success the net.Conn is closed and
// only a duplicate descriptor remains; on failure the connection is left as
// it was and the session goes on.
func (p *parker) park(sess *session) bool {
	fd, err := dupConn(sess.nc)
	if err != nil {
		return false
	}
	// resume looks sessions up under p.mu, so holding it until the session
	// is fully parked keeps a quick event from resuming a half-parked one.
	p.mu.Lock()
	defer p.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: int32(fd)}
	if p.closed || syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev) != nil {
		syscall.Close(fd)
		return false
	}
	p.parked[int32(fd)] = parked{slot: sess.slot, id: sess.id, auth: sess.auth, name: sess.name}
	sess.nc.Close()
	return true
}

// dupConn returns a close-on-exec duplicate of nc's descriptor.
func dupConn(nc net.Conn) (int, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1, errors.ErrUnsupported
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, dupErr := -1, error(nil)
	err = rc.Control(func(s uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, s, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			dupErr = e
			return
		}
		fd = int(r)
	})
	if err == nil {
		err = dupErr
	}
	return fd, err
}

// loop waits for parked descriptors to become readable and resumes their
// sessions. It ends when the parker is closed.
func (p *parker) loop() {
	defer close(p.done)
	rc, err := p.file.SyscallConn()
	if err != nil {
		return
	}
	events := make([]syscall.EpollEvent, 128)
	for {
		n := 0
		err := rc.Read(func(fd uintptr) bool {
			var e error
			n, e = syscall.EpollWait(int(fd), events, 0)
			return n > 0 || (e != nil && e != syscall.EINTR)
		})
		if err != nil {
			return // closed
		}
		for _, ev := range events[:n] {
			p.resume(int(ev.Fd))
		}
	}
}

// resume hands a parked descriptor back to its session as a net.Conn.
func (p *parker) resume(fd int) {
	p.mu.Lock()
	pk, ok := p.parked[int32(fd)]
	delete(p.parked, int32(fd))
	p.mu.Unlock()
	if !ok {
		return
	}
	_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	f := os.NewFile(uintptr(fd), "client")
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		p.srv.log.Warn("cannot resume a parked client", "err", err)
		p.srv.forget(pk.slot)
		return
	}
	sess := newSession(p.srv, pk.slot, nc, pk.id)
	sess.auth, sess.name = pk.auth, pk.name
	p.srv.resume(sess)
}

// close stops the parker and closes every parked connection.
func (p *parker) close() {
	p.stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for fd, pk := range p.parked {
		syscall.Close(int(fd))
		p.srv.forget(pk.slot)
	}
	clear(p.parked)
}

// stop ends the parker's loop and refuses new parkings. Idempotent.
func (p *parker) stop() {
	p.stopOnce.Do(func() {
		p.file.Close()
		<-p.done
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
	})
}

// resumeAll stops the parker and hands every parked connection back to a
// session, for a graceful shutdown: the session then closes it the way it
// closes an active one (end of file after the last reply, never a reset,
// even when a request arrives at that moment).
func (p *parker) resumeAll() {
	p.stop()
	p.mu.Lock()
	fds := make([]int, 0, len(p.parked))
	for fd := range p.parked {
		fds = append(fds, int(fd))
	}
	p.mu.Unlock()
	for _, fd := range fds {
		p.resume(fd)
	}
}

// sweep runs in its own goroutine until the server closes: every half
// ParkAfter it asks sessions idle for ParkAfter to park.
func (s *Server) sweep(quit <-chan struct{}) {
	defer s.wg.Done()
	t := time.NewTicker(s.ParkAfter / 2)
	defer t.Stop()
	var lastFree time.Time
	freedAt := 0   // parked count at the last FreeOSMemory
	lastCount := 0 // parked count at the previous tick
	for {
		select {
		case <-quit:
			return
		case <-t.C:
		}
		tick := s.tick.Add(1)
		idle := int64(2) // ticks: at least ParkAfter
		s.mu.Lock()
		for nc, sess := range s.sessions {
			if tick-sess.active.Load() >= idle && sess.parkReq.CompareAndSwap(false, true) {
				_ = nc.SetReadDeadline(time.Now())
			}
		}
		s.mu.Unlock()
		// give the stacks and buffers of newly parked sessions back to the
		// OS (the runtime's scavenger would take minutes): during a wave
		// of parking every 1024 sessions, and once more when it settles
		n := s.parker.count()
		if n < freedAt {
			freedAt = n
		}
		grew, settled := n-freedAt, n == lastCount
		lastCount = n
		if (grew >= 1024 || grew >= 64 && settled) && time.Since(lastFree) > freeOSMemoryEvery {
			freedAt, lastFree = n, time.Now()
			debug.FreeOSMemory()
		}
	}
}
