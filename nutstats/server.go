package nutstats

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/fae-dev/fae/admin"
)

// Nutcracker's defaults for its stats listener (`nutcracker -h`: "-s,
// --stats-port=N ... (default: 22222)", "-a, --stats-addr=S ... (default:
// 0.0.0.0)").
const (
	DefaultPort = 22222
	DefaultAddr = "0.0.0.0"
)

// Timeouts of one stats connection.
const (
	// writeTimeout bounds writing the document to a client that does not read.
	writeTimeout = 5 * time.Second
	// lingerTimeout bounds waiting for the client to close after the
	// document was sent (see serve).
	lingerTimeout = 500 * time.Millisecond
)

// Accept back-off on temporary errors: 5 ms doubling to 1 s.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// Server serves nutcracker's stats port: it writes one Render of a fresh
// snapshot to each TCP connection it accepts, then closes the connection.
// Its methods are safe for concurrent use.
type Server struct {
	ln       net.Listener
	snapshot func() admin.Stats
	source   string

	quit chan struct{} // closed by Close
	wg   sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{} // being served
	closed bool
	err    error // what Close returned the first time
}

// Listen listens on addr (host:port, as nutcracker's -a and -s give it) and
// serves stats until Close. snapshot is called once per connection and must
// be safe for concurrent use. source is written as the document's "source";
// empty means the host name (os.Hostname), or "unknown" if that fails.
func Listen(addr string, snapshot func() admin.Stats, source string) (*Server, error) {
	if snapshot == nil {
		return nil, errors.New("nutstats: nil snapshot func")
	}
	if source == "" {
		source = hostname()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("nutstats: %w", err)
	}
	s := &Server{ln: ln, snapshot: snapshot, source: source,
		quit: make(chan struct{}), conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops accepting, closes the connections being served and waits for
// every goroutine of s to return. It returns the error of closing the
// listener; later calls return the same error and do nothing else.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return s.err
	}
	s.closed = true
	close(s.quit)
	s.err = s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	err := s.err
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// accept runs the accept loop until the listener is closed, backing off on
// other errors (too many open files, for one).
func (s *Server) accept() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			t := time.NewTimer(backoff)
			select {
			case <-s.quit:
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		backoff = 0
		if !s.track(c) {
			c.Close()
			return
		}
		go s.serve(c)
	}
}

// track registers c and counts its goroutine; false means s is closed.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

// serve writes the document to c and closes it. Like nutcracker it reads
// nothing; unlike nutcracker it half-closes first and lets the client close
// (within lingerTimeout), so that bytes the client sent do not make the
// kernel reset the connection and drop the document before it is read.
func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := c.Write(Render(s.snapshot(), s.source)); err != nil {
		return
	}
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(lingerTimeout))
	_, _ = io.Copy(io.Discard, c)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}
