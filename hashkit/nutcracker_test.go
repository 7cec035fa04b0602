package hashkit

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/testkit"
)

// livePool is a pool of the live test: its config, the memcached each of its
// servers points at, and the keys sent through it.
type livePool struct {
	name     string
	pool     twemPool
	backends []int // index into the started memcacheds, per server
	keys     [][]byte
}

// TestNutcrackerLive compares Locate with a running nutcracker 0.5 for every
// hash under ketama and modula (random keys with bytes >= 0x80, and the
// known-answer keys), modula's name-ordered slots, a hash tag, a weight mix
// where float32 rounding removes points, and tied ring points in both server
// orders.
func TestNutcrackerLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nutcracker and memcached")
	}
	testkit.Need(t, "nutcracker", "nutcracker")
	var mcs []*testkit.Process
	for range 5 {
		mcs = append(mcs, testkit.StartMemcached(t))
	}
	pools := livePools(t, mcs)
	var conf strings.Builder
	for _, p := range pools {
		fmt.Fprintf(&conf, "%s:\n  listen: %s\n  hash: %s\n  distribution: %s\n", p.name, p.pool.Listen, p.pool.Hash, p.pool.Distribution)
		if p.pool.HashTag != "" {
			fmt.Fprintf(&conf, "  hash_tag: %q\n", p.pool.HashTag)
		}
		conf.WriteString("  servers:\n")
		for _, s := range p.pool.Servers {
			fmt.Fprintf(&conf, "   - %s\n", s)
		}
	}
	testkit.StartNutcracker(t, conf.String())

	for _, p := range pools {
		t.Run(p.name, func(t *testing.T) {
			h, d := p.pool.build(t)
			setAll(t, p.pool.Listen, p.keys)
			owner := findOwners(t, mcs, p.keys)
			for _, key := range p.keys {
				want := slices.Index(p.backends, owner[string(key)])
				if got := Locate(d, h, p.pool.HashTag, key); got != want {
					t.Errorf("key %q: got server %d, nutcracker chose %d", key, got, want)
				}
			}
		})
	}
}

func livePools(t *testing.T, mcs []*testkit.Process) []*livePool {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	server := func(i, weight int, name string) string {
		s := fmt.Sprintf("%s:%d", mcs[i].Addr, weight)
		if name != "" {
			s += " " + name
		}
		return s
	}
	var pools []*livePool
	used := map[int]bool{}
	for _, mc := range mcs {
		used[mc.Port] = true
	}
	freePort := func() int { // FreePort may hand out a port twice
		for {
			if p := testkit.FreePort(t); !used[p] {
				used[p] = true
				return p
			}
		}
	}
	add := func(name, hash, dist, tag string, backends []int, servers []string) *livePool {
		p := &livePool{name: name, backends: backends, pool: twemPool{
			Listen: fmt.Sprintf("127.0.0.1:%d", freePort()), Hash: hash,
			HashTag: tag, Distribution: dist, Servers: servers}}
		prefix := fmt.Sprintf("%d:", len(pools))
		for range 150 {
			p.keys = append(p.keys, randomKey(rng, prefix, tag != ""))
		}
		for _, ka := range knownAnswers {
			if !strings.ContainsAny(ka.key, " \r\n") {
				p.keys = append(p.keys, []byte(prefix+ka.key))
			}
		}
		pools = append(pools, p)
		return p
	}
	for _, h := range Names() {
		add("ketama_"+h, h, "ketama", "", []int{0, 1, 2, 3},
			[]string{server(0, 1, ""), server(1, 2, ""), server(2, 3, ""), server(3, 1, "")})
		add("modula_"+h, h, "modula", "", []int{0, 1, 2, 3},
			[]string{server(0, 1, ""), server(1, 2, ""), server(2, 1, ""), server(3, 3, "")})
	}
	// Slots follow name order: z, y, x in config order are x, y, z in twemproxy.
	add("modula_name_order", "fnv1a_64", "modula", "", []int{0, 1, 2},
		[]string{server(0, 1, "z"), server(1, 2, "y"), server(2, 1, "x")})
	add("tag_murmur", "murmur", "ketama", "{}", []int{0, 1, 2},
		[]string{server(0, 1, "a"), server(1, 1, "b"), server(2, 1, "c")})
	// 1/25 of the weight among 5 servers is 8 hashes exactly, 7 in float32.
	add("float32_weights", "crc32a", "ketama", "", []int{0, 1, 2, 3, 4},
		[]string{server(0, 1, ""), server(1, 2, ""), server(2, 3, ""), server(3, 4, ""), server(4, 15, "")})
	for _, order := range [][2]int{{0, 1}, {1, 0}} {
		names := [2]string{tieA, tieB}
		p := add(fmt.Sprintf("tie_%s_first", names[order[0]]), "fnv1a_64", "ketama", "", []int{order[0], order[1]},
			[]string{server(order[0], 1, names[order[0]]), server(order[1], 1, names[order[1]])})
		p.keys = append(p.keys, tieKeys(t, fmt.Sprintf("%d:", len(pools)-1), 10)...)
	}
	return pools
}

// randomKey returns a memcache-legal key of printable and >= 0x80 bytes,
// with a {tag} somewhere in most keys when tagged.
func randomKey(rng *rand.Rand, prefix string, tagged bool) []byte {
	key := []byte(prefix)
	for range 1 + rng.IntN(30) {
		var b byte
		if rng.IntN(3) == 0 {
			b = byte(0x80 + rng.IntN(0x80))
		} else {
			b = byte(0x21 + rng.IntN(0x7f-0x21))
		}
		if tagged && rng.IntN(6) == 0 {
			b = "{}"[rng.IntN(2)]
		}
		key = append(key, b)
	}
	return key
}

// tieKeys returns n keys whose fnv1a_64 hash lands on the tied ring point.
func tieKeys(t *testing.T, prefix string, n int) [][]byte {
	t.Helper()
	d, _ := NewDistribution("ketama", []Node{{tieA, 1}, {tieB, 1}})
	k := d.(*ketama)
	var keys [][]byte
	for i := 0; len(keys) < n; i++ {
		if i > 1e6 {
			t.Fatal("no key lands on the tied point")
		}
		key := fmt.Appendf(nil, "%stie%d", prefix, i)
		j, _ := slices.BinarySearch(k.values, fnv1a64(key))
		if j < len(k.values) && k.values[j] == tieValue {
			keys = append(keys, key)
		}
	}
	return keys
}

// setAll stores every key through nutcracker, pipelined on one connection.
func setAll(t *testing.T, addr string, keys [][]byte) {
	t.Helper()
	c, r := dial(t, addr)
	var req []byte
	for _, k := range keys {
		req = fmt.Appendf(req, "set %s 0 0 1\r\nx\r\n", k)
	}
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		line, err := r.ReadString('\n')
		if err != nil || line != "STORED\r\n" {
			t.Fatalf("set %q through nutcracker: %q, %v", k, line, err)
		}
	}
}

// findOwners reads every key from every memcached directly and returns the
// index of the one holding each key.
func findOwners(t *testing.T, mcs []*testkit.Process, keys [][]byte) map[string]int {
	t.Helper()
	owner := map[string]int{}
	for i, mc := range mcs {
		c, r := dial(t, mc.Addr)
		for batch := range slices.Chunk(keys, 20) {
			req := []byte("get")
			for _, k := range batch {
				req = append(append(req, ' '), k...)
			}
			if _, err := c.Write(append(req, "\r\n"...)); err != nil {
				t.Fatal(err)
			}
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("get from %s: %v", mc.Addr, err)
				}
				if line == "END\r\n" {
					break
				}
				f := strings.Fields(line)
				if len(f) != 4 || f[0] != "VALUE" {
					t.Fatalf("get from %s: unexpected %q", mc.Addr, line)
				}
				if prev, dup := owner[f[1]]; dup {
					t.Fatalf("key %q on memcached %d and %d", f[1], prev, i)
				}
				owner[f[1]] = i
				if _, err := r.ReadString('\n'); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, k := range keys {
		if _, ok := owner[string(k)]; !ok {
			t.Fatalf("key %q is on no memcached", k)
		}
	}
	return owner
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}
