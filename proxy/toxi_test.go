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
func toxiServers(t *testing.T, n int) []*testkit.Toxic {
	t.Helper()
	xs := make([]*testkit.Toxic, n)
	for i, r := range startRedises(t, n) {
		xs[i] = testkit.StartToxiproxy(t, r.Addr)
	}
	return xs
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

// faeError reports whether reply is faed's error for a failed server call
// of a forwarded command: it names the server and says what went wrong (a
// timeout, a reset connection, an unreachable server, one that failure
// accrual or a breaker took out of service).
func faeError(q toxiReq, reply string) bool {
	if q.args[0] == "ECHO" || q.args[0] == "PING" {
		return false // answered by faed itself: never fails
	}
	if !strings.HasPrefix(reply, "-ERR fae: ") || !strings.HasSuffix(reply, "\r\n") {
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
		if q.args[0] != "ECHO" && q.args[0] != "PING" {
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

// preload sets every key to its value through addr, in one pipelined batch.
func preload(t *testing.T, addr string, keys int) {
	t.Helper()
	w := dialWire(t, addr)
	defer w.nc.Close()
	var b []byte
	for i := range keys {
		b = toxiReq{args: []string{"SET", toxiKey(i), toxiValue(toxiKey(i))}}.wire(b)
	}
	go func() { _ = w.write(b) }()
	for i := range keys {
		if got, err := w.read(10 * time.Second); got != "+OK\r\n" {
			t.Fatalf("preload SET %s: got %q, %v", toxiKey(i), got, err)
		}
	}
}

// checkValues reads every key back through addr with one MGET.
func checkValues(t *testing.T, addr string, keys int) {
	t.Helper()
	args, want := []string{"MGET"}, fmt.Sprintf("*%d\r\n", keys)
	for i := range keys {
		args, want = append(args, toxiKey(i)), want+bulk(toxiValue(toxiKey(i)))
	}
	w := dialWire(t, addr)
	defer w.nc.Close()
	if err := w.write(toxiReq{args: args}.wire(nil)); err != nil {
		t.Fatal(err)
	}
	if got, err := w.read(10 * time.Second); got != want {
		t.Fatalf("MGET of every key after the load: got %.200q, %v", got, err)
	}
}

// Replies over slow, jittery links with a short timeout: many requests time
// out, and every reply is still either the request's own or a clear error.
func TestNoStaleReplyUnderLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for several seconds")
	}
	const (
		keys      = 500
		clients   = 4 // client 0 sends one request at a time and times each
		perClient = 3000
		timeout   = 50 * time.Millisecond
		margin    = 250 * time.Millisecond
		budget    = 8 * time.Second
	)
	xs := toxiServers(t, 3)
	// failure accrual would take the slow servers out of service for
	// seconds: keep them in, so that the timeout path runs all along
	_, addr := startProxy(t, toxiPoolTOML(xs, fmt.Sprintf(
		"timeout = %q\nserver_connections = 2\nfailure_accrual = false", timeout)))
	preload(t, addr, keys)
	for _, x := range xs {
		x.AddLatency(t, "jitter", 30*time.Millisecond, 30*time.Millisecond) // 0 to 60ms
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	var st toxiStats
	var slowest [clients]atomic.Int64 // per client: longest wait for a reply
	var wg sync.WaitGroup
	deadline := time.Now().Add(budget)
	pipelined := make(chan struct{}) // closed when the pipelining clients are done
	var pwg sync.WaitGroup
	for c := range clients {
		w := dialWire(t, addr)
		rng := rand.New(rand.NewPCG(seed, uint64(c)))
		wg.Add(1)
		if c > 0 {
			pwg.Add(1)
		}
		go func() {
			defer wg.Done()
			if c > 0 {
				defer pwg.Done()
			}
			for seq := 0; seq < perClient && time.Now().Before(deadline); {
				if c == 0 {
					select {
					case <-pipelined:
						return
					default:
					}
				}
				n := 1
				if c > 0 {
					n = 1 + rng.IntN(64)
				}
				batch := make([]toxiReq, 0, n)
				var b []byte
				for range n {
					q := randomReq(rng, keys, c, seq)
					batch, b = append(batch, q), q.wire(b)
					seq++
				}
				start := time.Now()
				if err := w.write(b); err != nil {
					t.Errorf("client %d: write: %v", c, err)
					return
				}
				for i, q := range batch {
					got, err := w.read(5 * time.Second)
					if err != nil {
						t.Errorf("client %d request %d %q: no reply: %v (a hang)", c, seq-n+i, q.args, err)
						return
					}
					st.check(t, fmt.Sprintf("client %d request %d", c, seq-n+i), q, got)
				}
				if took := time.Since(start); took > time.Duration(slowest[c].Load()) {
					slowest[c].Store(int64(took))
				}
			}
		}()
	}
	go func() {
		pwg.Wait()
		close(pipelined)
	}()
	wg.Wait()

	t.Logf("%d replies as expected, %d fae errors (%d timeouts), %d wrong",
		st.ok.Load(), st.failed.Load(), st.timeouts.Load(), st.wrong.Load())
	for c := range clients {
		t.Logf("client %d: slowest batch %v", c, time.Duration(slowest[c].Load()))
	}
	if st.wrong.Load() > 0 {
		t.Fatalf("%d replies belonged to another request (seed %d)", st.wrong.Load(), seed)
	}
	if st.timeouts.Load() == 0 || st.ok.Load() == 0 {
		t.Errorf("%d successes and %d timeouts: want both, or the test did not exercise the timeout path",
			st.ok.Load(), st.timeouts.Load())
	}
	if got := time.Duration(slowest[0].Load()); got > timeout+margin {
		t.Errorf("a single request waited %v for its reply, want at most timeout %v + %v", got, timeout, margin)
	}

	for _, x := range xs {
		x.Remove(t, "jitter")
	}
	checkValues(t, addr, keys)
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

// toxiLoad runs pipelined traffic from a few clients until stopped, counting
// per server the fae errors that name it.
type toxiLoad struct {
	st      toxiStats
	byAddr  sync.Map // toxiproxy address -> *atomic.Int64 errors naming it
	stop    chan struct{}
	wg      sync.WaitGroup
	clients []*wire
}

func startLoad(t *testing.T, addr string, xs []*testkit.Toxic, clients, keys int, seed uint64) *toxiLoad {
	t.Helper()
	l := &toxiLoad{stop: make(chan struct{})}
	for _, x := range xs {
		l.byAddr.Store(x.Addr(), new(atomic.Int64))
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
		batch := make([]toxiReq, 1+rng.IntN(16))
		var b []byte
		for i := range batch {
			batch[i] = randomReq(rng, keys, c, seq)
			b = batch[i].wire(b)
			seq++
		}
		if err := w.write(b); err != nil {
			t.Errorf("client %d: write: %v", c, err)
			return
		}
		for _, q := range batch {
			got, err := w.read(5 * time.Second)
			if err != nil {
				t.Errorf("client %d %q: no reply: %v (a hang)", c, q.args, err)
				return
			}
			l.st.check(t, fmt.Sprintf("client %d", c), q, got)
			if strings.HasPrefix(got, "-ERR fae: ") {
				l.byAddr.Range(func(a, n any) bool {
					if strings.Contains(got, a.(string)) {
						n.(*atomic.Int64).Add(1)
					}
					return true
				})
			}
		}
	}
}

// errorsFor returns how many fae errors named x so far.
func (l *toxiLoad) errorsFor(x *testkit.Toxic) int64 {
	n, _ := l.byAddr.Load(x.Addr())
	return n.(*atomic.Int64).Load()
}

// halt stops the clients and waits for them; it is idempotent.
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

	// quick failure accrual, health probes and reconnects, so that every
	// fault takes servers out and brings them back within the test
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

	// each fault must show up as errors naming the server, then clear
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

	// the faults are gone: faed reconnects and the servers answer again,
	// without a single error over 1000 forwarded requests
	errs, served := load.st.failed.Load(), load.st.served.Load()
	eventually(t, 15*time.Second, "1000 forwarded requests in a row succeed after the faults", func() bool {
		if e := load.st.failed.Load(); e != errs {
			errs, served = e, load.st.served.Load()
		}
		return load.st.served.Load() > served+1000
	})
	load.halt()
	t.Logf("%d replies as expected (%d forwarded), %d fae errors (%d timeouts), %d wrong",
		load.st.ok.Load(), load.st.served.Load(), load.st.failed.Load(), load.st.timeouts.Load(), load.st.wrong.Load())
	if load.st.wrong.Load() > 0 {
		t.Fatalf("%d replies belonged to another request (seed %d)", load.st.wrong.Load(), seed)
	}
	checkValues(t, addr, keys)

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
	goleak.VerifyNone(t, leaks)
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
