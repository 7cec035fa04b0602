package backend

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fae-dev/fae/resp"
	"github.com/fae-dev/fae/testkit"
)

// redisConfig is a Config for a redis-server at addr.
func redisConfig(addr string) Config {
	return Config{Addr: addr, Scan: scanRESP, Incomplete: resp.ErrIncomplete,
		InitOK: func(r []byte) bool { return len(r) > 0 && r[0] != '-' }}
}

func scanRESP(buf []byte, _ uint8) (int, error) { return resp.ReplyLen(buf) }

// do sends one request and waits for it.
func do(t *testing.T, c *Conn, deadline time.Duration, args ...string) *Call {
	t.Helper()
	call := newCall(deadline, args...)
	done := make(chan struct{})
	call.Done = func() { close(done) }
	c.Send(call)
	c.Flush()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%q: no completion", args)
	}
	return call
}

func newCall(deadline time.Duration, args ...string) *Call {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	call := &Call{Req: resp.AppendCommand(nil, b...)}
	if deadline > 0 {
		call.Deadline = time.Now().Add(deadline)
	}
	return call
}

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s := New(cfg)
	t.Cleanup(s.Close)
	return s
}

// Concurrent senders share one connection; every reply reaches its own call.
func TestFIFOMatching(t *testing.T) {
	r := testkit.StartRedis(t)
	s := newServer(t, redisConfig(r.Addr))
	c := s.Conn(0)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				k, v := fmt.Sprintf("g%d:%d", g, i), fmt.Sprintf("v%d-%d", g, i)
				var calls []*Call
				var pending sync.WaitGroup
				for _, args := range [][]string{{"SET", k, v}, {"GET", k}} {
					call := newCall(0, args...)
					pending.Add(1)
					call.Done = pending.Done
					c.Send(call)
					calls = append(calls, call)
				}
				c.Flush()
				pending.Wait()
				want := fmt.Sprintf("$%d\r\n%s\r\n", len(v), v)
				if calls[0].Err != nil || string(calls[1].Reply) != want {
					errs <- fmt.Errorf("%s: got %q / %v, want %q", k, calls[1].Reply, calls[1].Err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A timed-out call fails with ErrTimeout, the calls behind it with ErrReset,
// and the late replies of the old socket never reach later calls.
func TestTimeoutResetsConnection(t *testing.T) {
	r := testkit.StartRedis(t)
	s := newServer(t, redisConfig(r.Addr))
	c := s.Conn(0)
	if call := do(t, c, time.Second, "SET", "k", "v"); call.Err != nil {
		t.Fatal(call.Err)
	}
	r.Pause()
	first := newCall(100*time.Millisecond, "GET", "k")
	second := newCall(5*time.Second, "GET", "k")
	var wg sync.WaitGroup
	wg.Add(2)
	first.Done, second.Done = wg.Done, wg.Done
	start := time.Now()
	c.Send(first)
	c.Send(second)
	c.Flush()
	wg.Wait()
	took := time.Since(start)
	r.Resume()
	if !errors.Is(first.Err, ErrTimeout) {
		t.Errorf("first: got %v, want ErrTimeout", first.Err)
	}
	if !errors.Is(second.Err, ErrReset) {
		t.Errorf("second: got %v, want ErrReset", second.Err)
	}
	var be *Error
	if !errors.As(first.Err, &be) || be.Server != r.Addr {
		t.Errorf("error %v does not name the server %s", first.Err, r.Addr)
	}
	if took > time.Second {
		t.Errorf("timeout took %v, want about 100ms", took)
	}
	if s.Failures() != 1 {
		t.Errorf("failures: got %d, want 1", s.Failures())
	}
	for i := 0; i < 10; i++ {
		v := fmt.Sprint(i)
		do(t, c, time.Second, "SET", "n", v)
		if call := do(t, c, time.Second, "GET", "n"); string(call.Reply) != "$1\r\n"+v+"\r\n" {
			t.Fatalf("after reset: got %q / %v, want %q", call.Reply, call.Err, v)
		}
	}
	if s.Failures() != 0 {
		t.Errorf("failures after success: got %d, want 0", s.Failures())
	}
}

// A server whose connections cannot be set up fails calls at once while the
// connection backs off: no new connection attempt until the backoff ends.
// OnFailures fires at FailureLimit.
func TestUnreachableBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepts atomic.Int32
	go func() { // accepts, refuses the AUTH set-up, hangs up
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			go func() {
				buf := make([]byte, 512)
				_, _ = nc.Read(buf)
				_, _ = nc.Write([]byte("-ERR no\r\n"))
				nc.Close()
			}()
		}
	}()
	fired := make(chan struct{}, 10)
	cfg := redisConfig(ln.Addr().String())
	cfg.Init = [][]byte{resp.AppendCommand(nil, []byte("AUTH"), []byte("x"))}
	cfg.FailureLimit = 2
	cfg.OnFailures = func(*Server) { fired <- struct{}{} }
	cfg.BackoffMin, cfg.BackoffMax = 500*time.Millisecond, time.Second
	s := newServer(t, cfg)
	c := s.Conn(0)
	if call := do(t, c, 0, "PING"); !errors.Is(call.Err, ErrUnreachable) {
		t.Fatalf("got %v, want ErrUnreachable", call.Err)
	}
	if n := accepts.Load(); n != 1 {
		t.Fatalf("%d connection attempts, want 1", n)
	}
	for i := 0; i < 20; i++ { // within the backoff: fail fast, no new attempt
		if call := do(t, c, 0, "PING"); !errors.Is(call.Err, ErrUnreachable) {
			t.Fatalf("during backoff: got %v, want ErrUnreachable", call.Err)
		}
	}
	if n := accepts.Load(); n != 1 {
		t.Errorf("%d connection attempts during the backoff, want 1", n)
	}
	// after the backoff the next call tries again: a second failure
	deadline := time.Now().Add(5 * time.Second)
	for accepts.Load() < 2 && time.Now().Before(deadline) {
		do(t, c, 0, "PING")
		time.Sleep(20 * time.Millisecond)
	}
	if accepts.Load() < 2 {
		t.Error("no new connection attempt after the backoff")
	}
	select {
	case <-fired:
	case <-time.After(5 * time.Second):
		t.Error("OnFailures not called after FailureLimit failures")
	}
}

// Bytes that are not a reply reset the connection with ErrBadReply.
func TestBadReply(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 512)
				_, _ = nc.Read(buf)
				_, _ = nc.Write([]byte("?garbage\r\n"))
			}()
		}
	}()
	s := newServer(t, redisConfig(ln.Addr().String()))
	if call := do(t, s.Conn(0), time.Second, "PING"); !errors.Is(call.Err, ErrBadReply) {
		t.Errorf("got %v, want ErrBadReply", call.Err)
	}
}

// Init commands authenticate every new connection; a refused AUTH fails the
// connect with ErrInit and the server's answer.
func TestInit(t *testing.T) {
	r := testkit.StartRedis(t, "--requirepass", "pw")
	cfg := redisConfig(r.Addr)
	cfg.Init = [][]byte{resp.AppendCommand(nil, []byte("AUTH"), []byte("pw")), resp.AppendCommand(nil, []byte("SELECT"), []byte("2"))}
	s := newServer(t, cfg)
	do(t, s.Conn(0), time.Second, "SET", "x", "1")
	d := newServer(t, redisConfig(r.Addr))
	if call := do(t, d.Conn(0), time.Second, "GET", "x"); !bytes.HasPrefix(call.Reply, []byte("-NOAUTH")) {
		t.Errorf("without AUTH: got %q", call.Reply)
	}
	bad := redisConfig(r.Addr)
	bad.Init = [][]byte{resp.AppendCommand(nil, []byte("AUTH"), []byte("wrong"))}
	b := newServer(t, bad)
	call := do(t, b.Conn(0), time.Second, "GET", "x")
	if !errors.Is(call.Err, ErrUnreachable) || !bytes.Contains([]byte(call.Err.Error()), []byte("WRONGPASS")) {
		t.Errorf("wrong password: got %v, want an init failure quoting WRONGPASS", call.Err)
	}
}

// Close fails queued calls with ErrClosed and leaves no goroutine behind.
func TestCloseFailsQueued(t *testing.T) {
	r := testkit.StartRedis(t)
	before := runtime.NumGoroutine()
	s := New(redisConfig(r.Addr))
	c := s.Conn(0)
	do(t, c, time.Second, "PING")
	r.Pause()
	defer r.Resume()
	call := newCall(0, "GET", "k")
	done := make(chan struct{})
	call.Done = func() { close(done) }
	c.Send(call)
	c.Flush()
	s.Close()
	<-done
	if !errors.Is(call.Err, ErrClosed) {
		t.Errorf("got %v, want ErrClosed", call.Err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("goroutines: %d before, %d after Close", before, n)
	}
	if after := newCall(0, "PING"); true {
		c.Send(after)
		if !errors.Is(after.Err, ErrClosed) {
			t.Errorf("send after Close: got %v, want ErrClosed", after.Err)
		}
	}
}

// After a write larger than the buffers faed keeps (1 MiB), concurrent
// senders must not append into the array still being written: every reply
// stays matched to its request.
func TestLargeWriteThenConcurrentSends(t *testing.T) {
	r := testkit.StartRedis(t)
	s := newServer(t, redisConfig(r.Addr))
	c := s.Conn(0)
	big := string(bytes.Repeat([]byte("x"), 2<<20))
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if call := do(t, c, 10*time.Second, "SET", "big", big); string(call.Reply) != "+OK\r\n" {
				errs <- fmt.Errorf("big SET: %q %v", call.Reply, call.Err)
			}
		}()
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					k, v := fmt.Sprintf("r%d:g%d:%d", round, g, i), fmt.Sprint(i)
					do(t, c, 10*time.Second, "SET", k, v)
					if call := do(t, c, 10*time.Second, "GET", k); string(call.Reply) != fmt.Sprintf("$%d\r\n%s\r\n", len(v), v) {
						errs <- fmt.Errorf("%s: got %q %v", k, call.Reply, call.Err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
}
