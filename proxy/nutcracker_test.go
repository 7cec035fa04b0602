package proxy

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"

	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/hashkit"
	"github.com/fae-dev/fae/testkit"
)

// TestNutcrackerPlacement runs one twemproxy YAML file, with a pool for every
// hash and distribution, under the real nutcracker and under faed. Keys
// (some with bytes >= 0x80) written through nutcracker must be read back
// through faed: every key lands on the same server.
func TestNutcrackerPlacement(t *testing.T) {
	testkit.Need(t, "nutcracker", "nutcracker")
	rs := startRedises(t, 3)
	servers := fmt.Sprintf("   - %s:1 alpha\n   - %s:2\n   - %s:3 gamma\n", rs[0].Addr, rs[1].Addr, rs[2].Addr)
	type pool struct{ name, hash, dist, tag string }
	var pools []pool
	for _, h := range hashkit.Names() {
		for _, d := range []string{"ketama", "modula"} {
			pools = append(pools, pool{name: h + "_" + d, hash: h, dist: d})
		}
	}
	pools = append(pools, pool{name: "tagged", hash: "murmur", dist: "ketama", tag: "{}"})
	yaml := func() string {
		var b strings.Builder
		ports := testkit.FreePorts(t, len(pools))
		for i, p := range pools {
			fmt.Fprintf(&b, "%s:\n  listen: 127.0.0.1:%d\n  redis: true\n  hash: %s\n  distribution: %s\n",
				p.name, ports[i], p.hash, p.dist)
			if p.tag != "" {
				fmt.Fprintf(&b, "  hash_tag: %q\n", p.tag)
			}
			b.WriteString("  servers:\n" + servers)
		}
		return b.String()
	}
	nc := testkit.StartNutcracker(t, yaml())
	cfg, err := config.Parse([]byte(yaml()), "faed.yml", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := startConfig(t, cfg)
	ncAddrs := listenOf(t, nc)

	rng := rand.New(rand.NewPCG(7, 11))
	for i, p := range pools {
		t.Run(p.name, func(t *testing.T) {
			via := dial(t, ncAddrs[i])
			fae := dial(t, srv.Addr(p.name).String())
			var keys []string
			for k := 0; k < 60; k++ {
				key := randomKey(rng, p.name, k)
				if p.tag != "" && k%2 == 0 {
					key = fmt.Sprintf("x{%d}%s", k%5, key)
				}
				keys = append(keys, key)
				if got := via.do("SET", key, "v"+fmt.Sprint(k)); got != "+OK\r\n" {
					t.Fatalf("SET through nutcracker: %q", got)
				}
			}
			for k, key := range keys {
				if got, want := fae.do("GET", key), bulk("v"+fmt.Sprint(k)); got != want {
					t.Errorf("key %q: faed got %q, want %q (placed on another server)", key, got, want)
				}
			}
		})
	}
}

// randomKey returns a key unique to the pool, sometimes with high bytes.
func randomKey(rng *rand.Rand, pool string, k int) string {
	b := []byte(fmt.Sprintf("%s:%d:", pool, k))
	for n := rng.IntN(12); n > 0; n-- {
		if rng.IntN(3) == 0 {
			b = append(b, byte(0x80+rng.IntN(0x80)))
		} else {
			b = append(b, byte('a'+rng.IntN(26)))
		}
	}
	return string(b)
}

// listenOf returns nutcracker's listen addresses in file order.
func listenOf(t *testing.T, nc *testkit.Process) []string {
	t.Helper()
	cfg, err := config.Load(nc.Dir + "/nutcracker.yml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range cfg.Pools {
		if _, _, err := net.SplitHostPort(p.Listen); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Listen)
	}
	return out
}

// TestNutcrackerPlacementMemcache is the same comparison for memcache pools
// (redis: false, the twemproxy default): keys set through nutcracker are
// read back through faed from memcached.
func TestNutcrackerPlacementMemcache(t *testing.T) {
	testkit.Need(t, "nutcracker", "nutcracker")
	var ms []*testkit.Process
	for i := 0; i < 3; i++ {
		ms = append(ms, testkit.StartMemcached(t))
	}
	servers := fmt.Sprintf("   - %s:1 alpha\n   - %s:2\n   - %s:3 gamma\n", ms[0].Addr, ms[1].Addr, ms[2].Addr)
	var names []string
	yaml := func() string {
		var b strings.Builder
		names = names[:0]
		ports := testkit.FreePorts(t, 2*len(hashkit.Names()))
		for _, h := range hashkit.Names() {
			for _, d := range []string{"ketama", "modula"} {
				name := h + "_" + d
				fmt.Fprintf(&b, "%s:\n  listen: 127.0.0.1:%d\n  hash: %s\n  distribution: %s\n  servers:\n%s",
					name, ports[len(names)], h, d, servers)
				names = append(names, name)
			}
		}
		return b.String()
	}
	nc := testkit.StartNutcracker(t, yaml())
	ncAddrs := listenOf(t, nc)
	cfg, err := config.Parse([]byte(yaml()), "faed.yml", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := startConfig(t, cfg)
	rng := rand.New(rand.NewPCG(3, 5))
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			via := mcDial(t, ncAddrs[i])
			fae := mcDial(t, srv.Addr(name).String())
			var keys []string
			for k := 0; k < 40; k++ {
				key := []byte(randomKey(rng, name, k))
				for j, c := range key { // memcache keys: no spaces or control bytes
					if c <= ' ' || c == 0x7f {
						key[j] = 'x'
					}
				}
				keys = append(keys, string(key))
				via.expect(fmt.Sprintf("set %s 0 0 %d\r\nv%d\r\n", key, len(fmt.Sprint(k))+1, k), "STORED\r\n")
			}
			for k, key := range keys {
				v := fmt.Sprintf("v%d", k)
				fae.expect("get "+key+"\r\n", fmt.Sprintf("VALUE %s 0 %d\r\n%s\r\nEND\r\n", key, len(v), v))
			}
			// one multi-get of them all, split over the servers by faed
			var want strings.Builder
			for k, key := range keys {
				v := fmt.Sprintf("v%d", k)
				fmt.Fprintf(&want, "VALUE %s 0 %d\r\n%s\r\n", key, len(v), v)
			}
			want.WriteString("END\r\n")
			fae.expect("get "+strings.Join(keys, " ")+"\r\n", want.String())
		})
	}
}
