package testkit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// redisConn is a raw connection through a toxiproxy to a redis-server.
type redisConn struct {
	nc net.Conn
	r  *bufio.Reader
}

func dialRedis(t *testing.T, addr string) *redisConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	return &redisConn{nc: nc, r: bufio.NewReader(nc)}
}

// roundTrip writes req and reads one line within wait.
func (c *redisConn) roundTrip(req string, wait time.Duration) (string, error) {
	_ = c.nc.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c.nc, req); err != nil {
		return "", err
	}
	return c.r.ReadString('\n')
}

// ping checks that a PING gets +PONG within wait and returns how long it took.
func (c *redisConn) ping(t *testing.T, wait time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	got, err := c.roundTrip("PING\r\n", wait)
	if err != nil || got != "+PONG\r\n" {
		t.Fatalf("PING: got %q, %v; want +PONG", got, err)
	}
	return time.Since(start)
}

func TestToxiproxyRelays(t *testing.T) {
	r := StartRedis(t)
	x := StartToxiproxy(t, r.Addr)
	if x.Addr() == r.Addr || !strings.HasPrefix(x.Addr(), "127.0.0.1:") {
		t.Fatalf("Addr() = %q, want a loopback port of its own", x.Addr())
	}
	c := dialRedis(t, x.Addr())
	c.ping(t, 2*time.Second)
	if got, err := c.roundTrip("SET k v\r\n", 2*time.Second); got != "+OK\r\n" {
		t.Fatalf("SET: got %q, %v", got, err)
	}
	d := dialRedis(t, r.Addr)
	if got, err := d.roundTrip("GET k\r\n", 2*time.Second); got != "$1\r\n" {
		t.Fatalf("GET on the server: got %q, %v; want the value set through the proxy", got, err)
	}
}

func TestToxiproxyLatency(t *testing.T) {
	const latency = 150 * time.Millisecond
	r := StartRedis(t)
	x := StartToxiproxy(t, r.Addr)
	c := dialRedis(t, x.Addr())
	c.ping(t, 2*time.Second)

	x.AddLatency(t, "slow", latency, 0)
	for i := 0; i < 3; i++ {
		if took := c.ping(t, 5*time.Second); took < latency {
			t.Errorf("PING %d with %v latency took %v", i, latency, took)
		}
	}
	// a connection opened later gets the latency too
	d := dialRedis(t, x.Addr())
	if took := d.ping(t, 5*time.Second); took < latency {
		t.Errorf("PING on a new connection took %v, want at least %v", took, latency)
	}

	x.Remove(t, "slow")
	if took := c.ping(t, 5*time.Second); took >= latency {
		t.Errorf("PING after removing the latency took %v, want under %v", took, latency)
	}
}

func TestToxiproxyLatencyJitter(t *testing.T) {
	const latency, jitter = 60 * time.Millisecond, 40 * time.Millisecond
	r := StartRedis(t)
	x := StartToxiproxy(t, r.Addr)
	c := dialRedis(t, x.Addr())
	x.AddLatency(t, "jitter", latency, jitter)
	lo, hi := time.Hour, time.Duration(0)
	for i := 0; i < 15; i++ {
		took := c.ping(t, 5*time.Second)
		lo, hi = min(lo, took), max(hi, took)
	}
	if lo < latency-jitter || hi < latency {
		t.Errorf("PINGs took %v to %v, want within %v±%v and spread", lo, hi, latency, jitter)
	}
}

func TestToxiproxyTimeout(t *testing.T) {
	r := StartRedis(t)
	x := StartToxiproxy(t, r.Addr)
	c := dialRedis(t, x.Addr())
	c.ping(t, 2*time.Second)

	// timeout 0: the connection stays open but nothing comes back
	x.AddTimeout(t, "stall", 0)
	got, err := c.roundTrip("PING\r\n", 300*time.Millisecond)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("PING through a stalled link: got %q, %v; want a read deadline error", got, err)
	}
	// removing it closes the stalled connection, as toxiproxy does
	x.Remove(t, "stall")
	if got, err := c.roundTrip("", 2*time.Second); !errors.Is(err, io.EOF) {
		t.Fatalf("read after removing the stall: got %q, %v; want EOF", got, err)
	}
	dialRedis(t, x.Addr()).ping(t, 2*time.Second)

	// timeout d: the connection is closed after d
	const d = 200 * time.Millisecond
	x.AddTimeout(t, "close", d)
	e := dialRedis(t, x.Addr())
	start := time.Now()
	got, err = e.roundTrip("PING\r\n", 5*time.Second)
	if took := time.Since(start); !errors.Is(err, io.EOF) || took < d {
		t.Fatalf("PING with a %v timeout toxic: got %q, %v after %v; want EOF after %v", d, got, err, took, d)
	}
}

func TestToxiproxyResetPeer(t *testing.T) {
	r := StartRedis(t)
	x := StartToxiproxy(t, r.Addr)
	x.AddResetPeer(t, "rst", 0)
	c := dialRedis(t, x.Addr())
	got, err := c.roundTrip("PING\r\n", 2*time.Second)
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("PING through reset_peer: got %q, %v; want the connection cut", got, err)
	}
	x.Remove(t, "rst")
	dialRedis(t, x.Addr()).ping(t, 2*time.Second)
}

func TestToxiproxyDisableEnable(t *testing.T) {
	r := StartRedis(t)
	x := StartToxiproxy(t, r.Addr)
	c := dialRedis(t, x.Addr())
	c.ping(t, 2*time.Second)

	x.Disable(t)
	if got, err := c.roundTrip("PING\r\n", 2*time.Second); err == nil {
		t.Fatalf("PING on a connection of a disabled proxy: got %q, want an error", got)
	}
	if nc, err := net.DialTimeout("tcp", x.Addr(), time.Second); err == nil {
		nc.Close()
		t.Fatal("dial of a disabled proxy succeeded, want refused")
	}
	x.Disable(t) // idempotent

	x.Enable(t)
	x.Enable(t) // idempotent
	dialRedis(t, x.Addr()).ping(t, 2*time.Second)
}

func TestToxiproxySlicerBandwidth(t *testing.T) {
	r := StartRedis(t)
	x := StartToxiproxy(t, r.Addr)
	c := dialRedis(t, x.Addr())
	value := strings.Repeat("0123456789", 5000) // 50 kB
	if got, err := c.roundTrip(fmt.Sprintf("SET big %s\r\n", value), 2*time.Second); got != "+OK\r\n" {
		t.Fatalf("SET: got %q, %v", got, err)
	}

	// sliced into small chunks, the reply still arrives whole and intact
	x.AddSlicer(t, "slice", 100, 50, 10*time.Microsecond)
	want := fmt.Sprintf("$%d\r\n%s\r\n", len(value), value)
	get := func() (string, time.Duration) {
		t.Helper()
		start := time.Now()
		_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c.nc, "GET big\r\n"); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, len(want))
		if _, err := io.ReadFull(c.r, b); err != nil {
			t.Fatalf("GET big: %v", err)
		}
		return string(b), time.Since(start)
	}
	if got, _ := get(); got != want {
		t.Fatalf("GET through the slicer: got %d bytes, want %d intact", len(got), len(want))
	}
	x.Remove(t, "slice")

	// 100 kB/s: 50 kB take about half a second
	x.AddBandwidth(t, "narrow", 100)
	got, took := get()
	if got != want {
		t.Fatalf("GET through the bandwidth limit: got %d bytes, want %d intact", len(got), len(want))
	}
	if took < 300*time.Millisecond {
		t.Errorf("50 kB at 100 kB/s took %v, want about 500ms", took)
	}
}

func TestToxiproxyAddErrors(t *testing.T) {
	r := StartRedis(t)
	x := StartToxiproxy(t, r.Addr)
	x.AddLatency(t, "dup", time.Millisecond, 0)
	// the failures end a test: run them on a recorder
	for name, add := range map[string]func(tb testing.TB){
		"duplicate name": func(tb testing.TB) { x.AddLatency(tb, "dup", time.Millisecond, 0) },
		"unknown type":   func(tb testing.TB) { x.Add(tb, "bad", "no_such_toxic", Downstream, nil) },
		"bad direction":  func(tb testing.TB) { x.Add(tb, "bad", "latency", "sideways", nil) },
		"remove missing": func(tb testing.TB) { x.Remove(tb, "missing") },
	} {
		rec := &recorder{TB: t}
		done := make(chan struct{})
		go func() { // Fatalf ends the goroutine with runtime.Goexit
			defer close(done)
			add(rec)
		}()
		<-done
		if !rec.failed {
			t.Errorf("%s: did not fail the test", name)
		}
	}
}

// recorder is a testing.TB whose Fatalf records the failure and stops the
// calling goroutine without failing the real test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.TB.Logf("recorded: "+format, args...)
	runtime.Goexit()
}
