package proxy

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fae-dev/fae/resp"
	"github.com/fae-dev/fae/testkit"
)

// Tests of faed over links degraded by an in-process toxiproxy (see
// testkit.Toxic): every reply must belong to its own request, no client may
// wait much longer than the pool's timeout, and nothing may outlive Close.

// toxiServers starts n redis-servers, each behind its own toxiproxy.
func toxiServers(t *testing.T, n int) ([]*testkit.Process, []*testkit.Toxic) {
	t.Helper()
	rs := startRedises(t, n)
	xs := make([]*testkit.Toxic, n)
	for i, r := range rs {
		xs[i] = testkit.StartToxiproxy(t, r.Addr)
	}
	return rs, xs
}

// toxiPoolTOML is a pool "p" over the toxiproxies' addresses.
func toxiPoolTOML(xs []*testkit.Toxic, extra string) string {
	var parts []string
	for i, x := range xs {
		parts = append(parts, fmt.Sprintf("%q", fmt.Sprintf("%s:1 s%d", x.Addr(), i)))
	}
	return fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nservers = [%s]\n%s\n", strings.Join(parts, ", "), extra)
}

// wire is a raw RESP connection that reports errors instead of ending the
// test, for use from client goroutines.
type wire struct {
	nc net.Conn
	r  *bufio.Reader
}

func dialWire(t *testing.T, addr string) *wire {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &wire{nc: nc, r: bufio.NewReader(nc)}
}

func (w *wire) write(b []byte) error {
	_ = w.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := w.nc.Write(b)
	return err
}

// read returns the next reply's raw bytes, waiting at most wait.
func (w *wire) read(wait time.Duration) (string, error) {
	_ = w.nc.SetReadDeadline(time.Now().Add(wait))
	b, err := resp.ReadReply(w.r)
	return string(b), err
}

// toxiReq is one request and the only successful reply it may get.
type toxiReq struct {
	args []string
	want string
}

func (q toxiReq) wire(dst []byte) []byte {
	b := make([][]byte, len(q.args))
	for i, a := range q.args {
		b[i] = []byte(a)
	}
	return resp.AppendCommand(dst, b...)
}

func toxiKey(i int) string { return fmt.Sprintf("key:%03d", i) }

// toxiValue is the only value key ever has: a reply carrying another key's
// value belongs to another request.
func toxiValue(key string) string { return "v:" + key }

// randomReq draws GET, SET, MGET, ECHO or PING over keys; ECHO carries a
// message unique to the client and sequence number.
func randomReq(rng *rand.Rand, keys, client, seq int) toxiReq {
	key := toxiKey(rng.IntN(keys))
	switch n := rng.IntN(10); {
	case n < 4:
		return toxiReq{[]string{"GET", key}, bulk(toxiValue(key))}
	case n < 6:
		return toxiReq{[]string{"SET", key, toxiValue(key)}, "+OK\r\n"}
	case n < 8:
		args, want := []string{"MGET"}, ""
		m := 2 + rng.IntN(5)
		for range m {
			k := toxiKey(rng.IntN(keys))
			args, want = append(args, k), want+bulk(toxiValue(k))
		}
		return toxiReq{args, fmt.Sprintf("*%d\r\n%s", m, want)}
	case n < 9:
		msg := fmt.Sprintf("echo:%d:%d", client, seq)
		return toxiReq{[]string{"ECHO", msg}, bulk(msg)}
	default:
		return toxiReq{[]string{"PING"}, "+PONG\r\n"}
	}
}

// local reports whether faed answers q itself (it then never fails).
func (q toxiReq) local() bool { return q.args[0] == "ECHO" || q.args[0] == "PING" }

// faeError reports whether reply is faed's error for a failed server call
// of a forwarded command: it names the server and says what went wrong (a
// timeout, a reset connection, an unreachable server, one that failure
// accrual or a breaker took out of service).
func faeError(q toxiReq, reply string) bool {
	if q.local() || !strings.HasPrefix(reply, "-ERR fae: ") || !strings.HasSuffix(reply, "\r\n") {
		return false
	}
	return strings.Contains(reply, "server 127.0.0.1:") &&
		(strings.Contains(reply, "timeout") || strings.Contains(reply, "connection reset") ||
			strings.Contains(reply, "server unreachable") || strings.Contains(reply, "marked dead") ||
			strings.Contains(reply, "circuit breaker open"))
}

// toxiStats counts the outcomes of a load.
type toxiStats struct {
	ok, failed, timeouts atomic.Int64
	served               atomic.Int64 // ok replies of forwarded requests
	wrong                atomic.Int64 // replies that belong to no request of theirs
}

// check classifies one reply; it reports a reply that is neither the
// request's own nor a fae error.
func (st *toxiStats) check(t *testing.T, who string, q toxiReq, got string) {
	switch {
	case got == q.want:
		st.ok.Add(1)
		if !q.local() {
			st.served.Add(1)
		}
	case faeError(q, got):
		st.failed.Add(1)
		if strings.Contains(got, ": timeout") {
			st.timeouts.Add(1)
		}
	default:
		if st.wrong.Add(1) <= 5 {
			t.Errorf("%s %q: got %q, want %q or a fae error naming the server (a stale or misplaced reply)",
				who, q.args, got, q.want)
		}
	}
}

func (st *toxiStats) String() string {
	return fmt.Sprintf("%d replies as expected (%d forwarded), %d fae errors (%d timeouts), %d wrong",
		st.ok.Load(), st.served.Load(), st.failed.Load(), st.timeouts.Load(), st.wrong.Load())
}

// preload sets every key to its value through addr, pipelined, sending the
// SETs that failed (a timeout on a loaded machine) again.
func preload(t *testing.T, addr string, keys int) {
	t.Helper()
	w := dialWire(t, addr)
	defer w.nc.Close()
	todo := make([]int, keys)
	for i := range todo {
		todo[i] = i
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(todo) > 0 {
		var b []byte
		for _, i := range todo {
			b = toxiReq{args: []string{"SET", toxiKey(i), toxiValue(toxiKey(i))}}.wire(b)
		}
		go func() { _ = w.write(b) }()
		var failed []int
		for _, i := range todo {
			got, err := w.read(10 * time.Second)
			if err != nil {
				t.Fatalf("preload SET %s: %v", toxiKey(i), err)
			}
			if got != "+OK\r\n" {
				failed = append(failed, i)
				if time.Now().After(deadline) {
					t.Fatalf("preload SET %s: got %q", toxiKey(i), got)
				}
			}
		}
		todo = failed
	}
}

// checkStored reads every key from the redis-servers themselves: each key
// must be found, and only with its own value.
func checkStored(t *testing.T, rs []*testkit.Process, keys int) {
	t.Helper()
	args := []string{"MGET"}
	for i := range keys {
		args = append(args, toxiKey(i))
	}
	found := make([]int, keys)
	for _, r := range rs {
		c := dial(t, r.Addr)
		c.send(args...)
		_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if line, err := c.r.ReadString('\n'); line != fmt.Sprintf("*%d\r\n", keys) {
			t.Fatalf("MGET on %s: got %q, %v", r.Addr, line, err)
		}
		for i := range keys {
			switch got := c.read(); got {
			case "$-1\r\n":
			case bulk(toxiValue(toxiKey(i))):
				found[i]++
			default:
				t.Errorf("%s on %s holds %q, want %q", toxiKey(i), r.Addr, got, toxiValue(toxiKey(i)))
			}
		}
		c.nc.Close()
	}
	for i, n := range found {
		if n == 0 {
			t.Errorf("%s is on no server", toxiKey(i))
		}
	}
}

// stallMeter records when the test process ran none of its goroutines for a
// while (CPU starvation on a loaded machine, pauses under -race): a
// goroutine wakes every millisecond and notes how late it woke. A reply late
// by that much is not faed's doing.
type stallMeter struct {
	mu   sync.Mutex
	gaps [][2]time.Time
	stop chan struct{}
	done chan struct{}
}

func startStallMeter(t *testing.T) *stallMeter {
	m := &stallMeter{stop: make(chan struct{}), done: make(chan struct{})}
	go m.run()
	t.Cleanup(m.halt)
	return m
}

func (m *stallMeter) run() {
	defer close(m.done)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		now := time.Now()
		if now.Sub(last) > 10*time.Millisecond {
			m.mu.Lock()
			m.gaps = append(m.gaps, [2]time.Time{last, now})
			m.mu.Unlock()
		}
		last = now
	}
}

// within returns how much of [from, to] the process spent stalled.
func (m *stallMeter) within(from, to time.Time) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	var d time.Duration
	for _, g := range m.gaps {
		if lo, hi := later(g[0], from), earlier(g[1], to); hi.After(lo) {
			d += hi.Sub(lo)
		}
	}
	return d
}

func (m *stallMeter) halt() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// slowest is the longest wait for a reply of one client, less the time the
// process was stalled meanwhile.
type slowest struct {
	mu         sync.Mutex
	wait, raw  time.Duration
	args       []string
	reply, who string
}

func (s *slowest) note(wait, raw time.Duration, who string, q toxiReq, reply string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if wait > s.wait {
		s.wait, s.raw, s.args, s.reply, s.who = wait, raw, q.args, reply, who
	}
}

func (s *slowest) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%v (%v with the process's stalls) for %s %q, reply %q", s.wait, s.raw, s.who, s.args, s.reply)
}

// Replies over slow, jittery links with a short timeout: many requests time
// out, and every reply is still either the request's own or a clear error.
func TestNoStaleReplyUnderLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for several seconds")
	}
	const (
		keys      = 500
		clients   = 4 // client 0 sends one request at a time; 1 to 3 pipeline
		perClient = 3000
		timeout   = 50 * time.Millisecond
		margin    = 250 * time.Millisecond
		budget    = 8 * time.Second
	)
	rs, xs := toxiServers(t, 3)
	// failure accrual would take the slow servers out of service for
	// seconds: keep them in, so that the timeout path runs all along
	_, addr := startProxy(t, toxiPoolTOML(xs, fmt.Sprintf(`timeout = %q
server_connections = 2
failure_accrual = false
reconnect_min = "10ms"
reconnect_max = "50ms"`, timeout)))
	preload(t, addr, keys)
	for _, x := range xs {
		x.AddLatency(t, "jitter", 30*time.Millisecond, 30*time.Millisecond) // 0 to 60ms
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	stalls := startStallMeter(t)
	var st toxiStats
	var single, pipelined slowest
	var wg, pwg sync.WaitGroup
	deadline := time.Now().Add(budget)
	done := make(chan struct{}) // the pipelining clients are done
	for c := range clients {
		w := dialWire(t, addr)
		rng := rand.New(rand.NewPCG(seed, uint64(c)))
		slow, batch := &pipelined, 64
		if c == 0 {
			slow, batch = &single, 1
		} else {
			pwg.Add(1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c > 0 {
				defer pwg.Done()
			}
			for seq := 0; seq < perClient && time.Now().Before(deadline); {
				select {
				case <-done:
					return
				default:
				}
				n := 1 + rng.IntN(batch)
				qs := make([]toxiReq, n)
				var b []byte
				for i := range qs {
					qs[i] = randomReq(rng, keys, c, seq+i)
					b = qs[i].wire(b)
				}
				start := time.Now()
				if err := w.write(b); err != nil {
					t.Errorf("client %d: write: %v", c, err)
					return
				}
				for _, q := range qs {
					who := fmt.Sprintf("client %d request %d", c, seq)
					seq++
					got, err := w.read(5 * time.Second)
					if err != nil {
						t.Errorf("%s %q: no reply: %v (a hang)", who, q.args, err)
						return
					}
					end := time.Now()
					slow.note(end.Sub(start)-stalls.within(start, end), end.Sub(start), who, q, got)
					st.check(t, who, q, got)
				}
			}
		}()
	}
	go func() {
		pwg.Wait()
		close(done)
	}()
	wg.Wait()

	t.Log(&st)
	t.Logf("slowest single request: %v", &single)
	t.Logf("slowest pipelined request: %v", &pipelined)
	if st.wrong.Load() > 0 {
		t.Fatalf("%d replies belonged to another request (seed %d)", st.wrong.Load(), seed)
	}
	if st.timeouts.Load() == 0 || st.served.Load() == 0 {
		t.Errorf("%d forwarded requests served and %d timeouts: want both, or the test did not exercise the timeout path",
			st.served.Load(), st.timeouts.Load())
	}
	if single.wait > timeout+margin {
		t.Errorf("a single request waited %v, want at most timeout %v + %v", &single, timeout, margin)
	}
	checkStored(t, rs, keys)
}

// openFDs lists the process's open file descriptors and their targets.
func openFDs(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count file descriptors: %v", err)
	}
	var out []string
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		out = append(out, e.Name()+" -> "+target)
	}
	return out
}

// newFDs lists the entries of now that are not in before.
func newFDs(before, now []string) []string {
	var out []string
	for _, e := range now {
		if !slices.Contains(before, e) {
			out = append(out, e)
		}
	}
	return out
}

// toxiLoad runs pipelined traffic from a few clients until halted,
// counting per server the fae errors that name it.
type toxiLoad struct {
	st      toxiStats
	byAddr  map[string]*atomic.Int64 // toxiproxy address -> errors naming it
	stop    chan struct{}
	wg      sync.WaitGroup
	clients []*wire
}

func startLoad(t *testing.T, addr string, xs []*testkit.Toxic, clients, keys int, seed uint64) *toxiLoad {
	t.Helper()
	l := &toxiLoad{stop: make(chan struct{}), byAddr: map[string]*atomic.Int64{}}
	for _, x := range xs {
		l.byAddr[x.Addr()] = new(atomic.Int64)
	}
	for c := range clients {
		w := dialWire(t, addr)
		l.clients = append(l.clients, w)
		rng := rand.New(rand.NewPCG(seed, uint64(c)))
		l.wg.Add(1)
		go l.run(t, c, w, rng, keys)
	}
	t.Cleanup(l.halt)
	return l
}

func (l *toxiLoad) run(t *testing.T, c int, w *wire, rng *rand.Rand, keys int) {
	defer l.wg.Done()
	for seq := 0; ; {
		select {
		case <-l.stop:
			return
		default:
		}
		qs := make([]toxiReq, 1+rng.IntN(16))
		var b []byte
		for i := range qs {
			qs[i] = randomReq(rng, keys, c, seq+i)
			b = qs[i].wire(b)
		}
		if err := w.write(b); err != nil {
			t.Errorf("client %d: write: %v", c, err)
			return
		}
		for _, q := range qs {
			who := fmt.Sprintf("client %d request %d", c, seq)
			seq++
			got, err := w.read(5 * time.Second)
			if err != nil {
				t.Errorf("%s %q: no reply: %v (a hang)", who, q.args, err)
				return
			}
			l.st.check(t, who, q, got)
			if strings.HasPrefix(got, "-ERR fae: ") {
				for a, n := range l.byAddr {
					if strings.Contains(got, a) {
						n.Add(1)
					}
				}
			}
		}
	}
}

// errorsFor returns how many fae errors named x so far.
func (l *toxiLoad) errorsFor(x *testkit.Toxic) int64 { return l.byAddr[x.Addr()].Load() }

// halt stops the clients, waits for them and closes their connections; it
// is idempotent.
func (l *toxiLoad) halt() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
	for _, w := range l.clients {
		w.nc.Close()
	}
}

// After resets, stalls and a cut link, closing faed leaves no goroutine and
// no file descriptor behind.
func TestNoLeakAfterFaults(t *testing.T) {
	// IgnoreCurrent first: everything started from here on must end
	leaks := goleak.IgnoreCurrent()
	const keys = 200
	rs := startRedises(t, 2)
	fds := openFDs(t) // the redis-servers' process handles stay open until cleanup
	xs := make([]*testkit.Toxic, len(rs))
	for i, r := range rs {
		xs[i] = testkit.StartToxiproxy(t, r.Addr)
	}
	// quick failure accrual, health probes and reconnects, so that the
	// faults take servers out and bring them back within the test
	srv, addr := startProxy(t, toxiPoolTOML(xs, `timeout = "100ms"
server_connections = 2
accrual_dead_min = "100ms"
accrual_dead_max = "400ms"
health_check_interval = "50ms"
reconnect_min = "20ms"
reconnect_max = "200ms"`))
	preload(t, addr, keys)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	load := startLoad(t, addr, xs, 3, keys, seed)

	// each fault must show up as errors naming its server, then clear
	fault := func(what string, x *testkit.Toxic, apply, clear func()) {
		t.Helper()
		before := load.errorsFor(x)
		apply()
		eventually(t, 5*time.Second, what+": errors naming "+x.Addr(), func() bool {
			return load.errorsFor(x) > before+10
		})
		clear()
	}
	fault("reset_peer", xs[0], func() { xs[0].AddResetPeer(t, "rst", 0) }, func() { xs[0].Remove(t, "rst") })
	fault("stall", xs[1], func() { xs[1].AddTimeout(t, "stall", 0) }, func() { xs[1].Remove(t, "stall") })
	fault("link down", xs[0], func() { xs[0].Disable(t) }, func() { xs[0].Enable(t) })
	fault("stall then close", xs[1], func() { xs[1].AddTimeout(t, "cut", 50*time.Millisecond) }, func() { xs[1].Remove(t, "cut") })
	fault("slow reset", xs[0], func() { xs[0].AddResetPeer(t, "rst2", 20*time.Millisecond) }, func() { xs[0].Remove(t, "rst2") })

	// the faults are gone: faed reconnects, and 1000 forwarded requests in a
	// row succeed
	errs, served := load.st.failed.Load(), load.st.served.Load()
	eventually(t, 15*time.Second, "1000 forwarded requests in a row succeed after the faults", func() bool {
		if e := load.st.failed.Load(); e != errs {
			errs, served = e, load.st.served.Load()
		}
		return load.st.served.Load() > served+1000
	})
	load.halt()
	t.Log(&load.st)
	if load.st.wrong.Load() > 0 {
		t.Fatalf("%d replies belonged to another request (seed %d)", load.st.wrong.Load(), seed)
	}
	checkStored(t, rs, keys)

	// close everything this test opened but the redis-servers
	srv.Close()
	for _, x := range xs {
		x.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for now := openFDs(t); len(now) > len(fds); now = openFDs(t) {
		if time.Now().After(deadline) {
			t.Fatalf("%d file descriptors open after Close, %d before:\nnew: %q",
				len(now), len(fds), newFDs(fds, now))
		}
		time.Sleep(10 * time.Millisecond) // poll interval, bounded by the deadline
	}
	opts := []goleak.Option{leaks}
	for _, f := range testkit.ToxiproxyGoroutines() {
		opts = append(opts, goleak.IgnoreAnyFunction(f))
	}
	goleak.VerifyNone(t, opts...)
}
