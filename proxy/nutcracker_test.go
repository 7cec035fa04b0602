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
		for _, p := range pools {
			fmt.Fprintf(&b, "%s:\n  listen: 127.0.0.1:%d\n  redis: true\n  hash: %s\n  distribution: %s\n",
				p.name, freePort(t), p.hash, p.dist)
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

func freePort(t *testing.T) int { return testkit.FreePort(t) }

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
