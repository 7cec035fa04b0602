package nutstats

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/admin"
	"github.com/fae-dev/fae/testkit"
)

// TestMatchesNutcracker reads a live nutcracker's stats port and checks that
// Render writes, for the same pools and servers, a document with the same
// keys in the same order at every level, the same kinds of values and the
// same layout (spaces, separators, trailing newline): only values differ.
func TestMatchesNutcracker(t *testing.T) {
	r1, r2 := testkit.StartRedis(t), testkit.StartRedis(t)
	ports := testkit.FreePorts(t, 3)
	sock := filepath.Join(t.TempDir(), "none.sock") // never connected to
	// Pools and servers are deliberately out of nutcracker's order (it sorts
	// both by name, shorter first). "first" is a server's configured name.
	conf := fmt.Sprintf(`alpha:
  listen: 127.0.0.1:%d
  redis: true
  hash: fnv1a_64
  distribution: ketama
  servers:
   - %s:1 first
   - %s:1
beta:
  listen: 127.0.0.1:%d
  redis: true
  servers:
   - %s:1
gamma:
  listen: 127.0.0.1:%d
  redis: true
  servers:
   - 127.0.0.1:11211:1
   - %s:1
`, ports[0], r1.Addr, r2.Addr, ports[1], r1.Addr, ports[2], sock)
	nut := testkit.StartNutcracker(t, conf)
	send(t, fmt.Sprintf("127.0.0.1:%d", ports[0]), "SET a 1", "SET b 2", "GET a", "MGET a b c", "DEL a b")
	send(t, fmt.Sprintf("127.0.0.1:%d", ports[1]), "SET a 1", "GET a")

	want := nutcrackerStats(t, nut)
	// The same pools for faed, in config order. admin.ServerStats.Name is
	// the address; for a server with a configured name the proxy has to
	// supply that name instead ("first"), as nutcracker keys it by it.
	st := admin.Stats{Version: "0.0.0", Time: time.Now(), Pools: []admin.PoolStats{
		{Name: "alpha", Servers: []admin.ServerStats{{Name: "first"}, {Name: r2.Addr}}},
		{Name: "beta", Servers: []admin.ServerStats{{Name: r1.Addr}}},
		{Name: "gamma", Servers: []admin.ServerStats{{Name: "127.0.0.1:11211"}, {Name: sock}}},
	}}
	got := Render(st, "host")
	t.Logf("nutcracker: %s", want)
	t.Logf("faed:       %s", got)

	compareTrees(t, "", tree(t, got), tree(t, want))
	if g, w := skeleton(got), skeleton(want); g != w {
		t.Errorf("layout differs:\ngot  %q\nwant %q", g, w)
	}
	if !strings.HasPrefix(string(want), `{"service":"nutcracker",`) {
		t.Errorf("nutcracker's document starts %.40q", want)
	}
	// Nutcracker's order, which Render must reproduce: pools and servers
	// sorted by name length, then bytes.
	ms := tree(t, want)
	var pools []string
	for _, m := range ms {
		if m.Kind == "object" {
			pools = append(pools, m.Key)
		}
	}
	if w := []string{"beta", "alpha", "gamma"}; !slices.Equal(pools, w) {
		t.Errorf("nutcracker's pools: got %q, want %q", pools, w)
	}
}

// send sends each space-separated command to a Redis-speaking addr and reads
// one reply line for each (a multi-bulk reply's header is enough: the
// connection is closed after the last).
func send(t *testing.T, addr string, cmds ...string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	for _, cmd := range cmds {
		args := strings.Fields(cmd)
		req := fmt.Sprintf("*%d\r\n", len(args))
		for _, a := range args {
			req += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		buf := make([]byte, 512)
		if n, err := c.Read(buf); err != nil || n == 0 {
			t.Fatalf("%s: no reply: %v", cmd, err)
		}
	}
}

// nutcrackerStats reads nut's stats port. testkit passes the port on the
// command line (-a 127.0.0.1 -s PORT) without exposing it, so it is read
// back from /proc. The stats listener may come up after the pools' listeners
// testkit waited for: dialing is retried until a deadline.
func nutcrackerStats(t *testing.T, nut *testkit.Process) []byte {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", nut.Pid()))
	if err != nil {
		t.Fatalf("nutcracker's command line: %v", err)
	}
	args := strings.Split(string(b), "\x00")
	i := slices.Index(args, "-s")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("no -s in nutcracker's command line %q", args)
	}
	addr := net.JoinHostPort("127.0.0.1", args[i+1])
	deadline := time.Now().Add(testkit.StartTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return fetch(t, addr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("nutcracker's stats port %s: %v\n%s", addr, err, nut.Output())
		}
		time.Sleep(10 * time.Millisecond) // poll interval, bounded by the deadline
	}
}
