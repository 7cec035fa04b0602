package main

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/hashkit"
)

// locateJSON runs fae locate -json with args and decodes its answer.
func locateJSON(t *testing.T, args ...string) []keyPlacement {
	t.Helper()
	stdout, stderr, code := fae(t, append([]string{"locate", "-json"}, args...)...)
	wantCode(t, code, exitOK, stdout, stderr)
	var out []keyPlacement
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("locate -json: %v\n%s", err, stdout)
	}
	return out
}

// hexKeys returns the keys hex-encoded, for locate -x.
func hexKeys(keys [][]byte) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = hex.EncodeToString(k)
	}
	return out
}

// TestLocateNutcrackerVectors checks locate against key placements observed
// from the nutcracker 0.5 binary (the copy of /work/shared/twemproxy kept in
// hashkit/testdata): ketama with equal and unequal weights, named servers
// with md5, modula, and crc32a with a hash tag.
func TestLocateNutcrackerVectors(t *testing.T) {
	const dir = "../../hashkit/testdata"
	data, err := os.ReadFile(filepath.Join(dir, "observed_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vectors [][3]json.RawMessage
	if err := json.Unmarshal(data, &vectors); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, "pools.yml"))
	if err != nil {
		t.Fatal(err)
	}
	byPort := map[string]string{} // listen port -> pool name
	for _, p := range cfg.Pools {
		byPort[p.Listen[strings.LastIndexByte(p.Listen, ':')+1:]] = p.Name
	}
	type vector struct {
		key    string // hex
		server int
	}
	perPool := map[string][]vector{}
	for _, v := range vectors {
		var key string
		var servers []int
		if err := json.Unmarshal(v[1], &key); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(v[2], &servers); err != nil || len(servers) != 1 {
			t.Fatalf("vector %s: want one server, got %s", v, v[2])
		}
		pool := byPort[string(v[0])]
		perPool[pool] = append(perPool[pool], vector{key, servers[0]})
	}
	if len(perPool) != 5 {
		t.Fatalf("vectors cover %d pools, want 5", len(perPool))
	}
	for pool, vs := range perPool {
		t.Run(pool, func(t *testing.T) {
			args := []string{"-c", filepath.Join(dir, "pools.yml"), "-pool", pool, "-x"}
			for _, v := range vs {
				args = append(args, v.key)
			}
			got := locateJSON(t, args...)
			if len(got) != len(vs) {
				t.Fatalf("got %d keys, want %d", len(got), len(vs))
			}
			for i, v := range vs {
				pl := got[i].Pools[0]
				if pl.Server == nil || pl.Server.Index != v.server {
					t.Errorf("key %s: got server %+v, nutcracker chose servers[%d]", v.key, pl.Server, v.server)
				}
			}
		})
	}
}

// TestLocateMatchesHashkit places random keys (with bytes >= 0x80 and hash
// tags) in pools of every hash under ketama and modula, with unequal weights
// and named servers, and checks every field of the answer: the hash against
// hashkit's function, the server against hashkit.Locate, the ketama point
// against its MD5 source and the ring order, the modula slot against the
// hash.
func TestLocateMatchesHashkit(t *testing.T) {
	var conf strings.Builder
	type poolDef struct{ name, hash, dist, tag string }
	var pools []poolDef
	for i, h := range hashkit.Names() {
		for j, d := range []string{"ketama", "modula"} {
			p := poolDef{name: fmt.Sprintf("%s_%s", h, d), hash: h, dist: d}
			if (i+j)%2 == 0 {
				p.tag = "{}"
			}
			pools = append(pools, p)
			fmt.Fprintf(&conf, "%s:\n  listen: 127.0.0.1:%d\n  hash: %s\n  distribution: %s\n", p.name, 30000+len(pools), h, d)
			if p.tag != "" {
				fmt.Fprintf(&conf, "  hash_tag: %q\n", p.tag)
			}
			conf.WriteString("  servers:\n   - 127.0.0.1:7001:1\n   - 127.0.0.1:7002:3 big\n   - 10.0.0.9:11211:2\n   - 127.0.0.1:7004:1 z\n")
		}
	}
	path := writeFile(t, "pools.yml", conf.String())
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	keys := [][]byte{[]byte(""), []byte("{}"), []byte("a{b}c"), []byte("user:{42}:name")}
	for len(keys) < 300 {
		k := make([]byte, 1+rng.IntN(20))
		for i := range k {
			k[i] = byte(rng.IntN(256))
		}
		if rng.IntN(3) == 0 {
			k = fmt.Appendf(nil, "p:{%x}:%s", rng.Uint32(), k)
		}
		keys = append(keys, k)
	}
	got := locateJSON(t, append([]string{"-c", path, "-x"}, hexKeys(keys)...)...)
	for i, p := range pools {
		t.Run(p.name, func(t *testing.T) {
			pc := cfg.Pools[i]
			h, _ := hashkit.Lookup(p.hash)
			var nodes []hashkit.Node
			for _, s := range pc.Servers {
				nodes = append(nodes, hashkit.Node{Name: s.RingName(), Weight: s.Weight})
			}
			d, err := hashkit.NewDistribution(p.dist, nodes)
			if err != nil {
				t.Fatal(err)
			}
			var ring []uint32
			if p.dist == "ketama" {
				ring = ringValues(nodes)
			}
			for k, key := range keys {
				pl := got[k].Pools[i]
				if pl.Pool != p.name {
					t.Fatalf("pool %d is %q, want %q", i, pl.Pool, p.name)
				}
				checkPlacement(t, key, pl, p.tag, h, d, ring)
			}
		})
	}
}

// checkPlacement checks one answer of locate against hashkit.
func checkPlacement(t *testing.T, key []byte, pl *placement, tag string, h hashkit.Func, d hashkit.Distribution, ring []uint32) {
	t.Helper()
	part := hashkit.Tag(key, tag)
	var want uint32
	if len(part) > 0 {
		want = h(part)
	}
	if pl.Hash.Value != want || pl.Hash.Hex != fmt.Sprintf("0x%08x", want) || pl.Hash.HashedHex != hex.EncodeToString(part) {
		t.Errorf("key %q: got hash %+v, want %#x of %q", key, pl.Hash, want, part)
	}
	if pl.Hash.TagApplied != (len(part) < len(key)) {
		t.Errorf("key %q: tag_applied %v, hashed part %q", key, pl.Hash.TagApplied, part)
	}
	if srv := hashkit.Locate(d, h, tag, key); pl.Server == nil || pl.Server.Index != srv {
		t.Errorf("key %q: got server %+v, hashkit.Locate says %d", key, pl.Server, srv)
	}
	ex, _ := hashkit.Explain(d, want)
	switch {
	case pl.Point != nil:
		pt := pl.Point
		if pt.Value != ex.Point || pt.Index != ex.Position || pt.Points != ex.Size || pt.Source != ex.Source || pt.Word != ex.Word || pt.Wrapped != ex.Wrapped {
			t.Errorf("key %q: got point %+v, hashkit.Explain says %+v", key, pt, ex)
		}
		checkPoint(t, key, pl, ring)
	case pl.Slot != nil:
		if pl.Slot.Slots != 7 || pl.Slot.Slot != int(want%7) || pl.Slot.Slot != ex.Position {
			t.Errorf("key %q: got slot %+v, want %d of 7", key, pl.Slot, want%7)
		}
	default:
		t.Errorf("key %q: neither a ketama point nor a modula slot: %+v", key, pl)
	}
}

// checkPoint checks that the point is the first one >= the hash (or the
// first of all, wrapped) and that its value is the word of MD5 it names.
func checkPoint(t *testing.T, key []byte, pl *placement, ring []uint32) {
	t.Helper()
	pt, hash := pl.Point, pl.Hash.Value
	if pt.Points != len(ring) || pt.Index < 0 || pt.Index >= len(ring) || ring[pt.Index] != pt.Value {
		t.Fatalf("key %q: point %+v is not on the ring of %d points", key, pt, len(ring))
	}
	first := pt.Value >= hash && (pt.Index == 0 || ring[pt.Index-1] < hash)
	wrapped := pt.Index == 0 && ring[len(ring)-1] < hash
	if !first && !wrapped || pt.Wrapped != wrapped {
		t.Errorf("key %q: hash %#x took point %+v", key, hash, pt)
	}
	sum := md5.Sum([]byte(pt.Source))
	if v := binary.LittleEndian.Uint32(sum[4*pt.Word:]); v != pt.Value {
		t.Errorf("key %q: word %d of md5(%q) is %#x, not the point %#x", key, pt.Word, pt.Source, v, pt.Value)
	}
	name := pt.Source[:strings.LastIndexByte(pt.Source, '-')]
	if name != pl.Server.RingName {
		t.Errorf("key %q: point made from %q belongs to server %q", key, name, pl.Server.RingName)
	}
}

// ringValues returns the sorted point values of a ketama ring, computed
// here from the rule (160 points per average server, 4 per MD5) without
// the code under test. It rounds in float64, not twemproxy's float32: the
// same for the weights used here, whose shares are far from an integer.
func ringValues(nodes []hashkit.Node) []uint32 {
	total := 0
	for _, n := range nodes {
		total += n.Weight
	}
	var vs []uint32
	for _, n := range nodes {
		pts := int(float64(n.Weight*160*len(nodes))/float64(total)/4) * 4
		for j := 0; j < pts/4; j++ {
			sum := md5.Sum([]byte(n.Name + "-" + strconv.Itoa(j)))
			for w := range 4 {
				vs = append(vs, binary.LittleEndian.Uint32(sum[4*w:]))
			}
		}
	}
	slices.Sort(vs)
	return vs
}

const locateTOML = `
[pools.east]
listen = "127.0.0.1:23121"
hash = "md5"
distribution = "modula"
servers = ["10.0.0.1:6379:1 a", "10.0.0.2:6379:2 b", "10.0.0.3:6379:1"]
replicas = { "a" = ["10.0.1.1:6379:1", "10.0.1.2:6379:1"] }
read_policy = "replica"
failover = "west"

[pools.west]
listen = "127.0.0.1:23122"
servers = ["10.1.0.1:6379:1", "10.1.0.2:6379:1"]

[pools.rand]
listen = "127.0.0.1:23123"
distribution = "random"
servers = ["10.2.0.1:6379:1", "10.2.0.2:6379:1"]

[pools.one]
listen = "127.0.0.1:23124"
hash_tag = "{}"
auto_eject_hosts = true
servers = ["10.3.0.1:6379:1"]

[pools.cache]
listen = "127.0.0.1:23125"
servant = "lcache"

[pools.api]
listen = "127.0.0.1:23126"
protocol = "http"
`

// TestLocateText checks the text output for each kind of pool.
func TestLocateText(t *testing.T) {
	path := writeFile(t, "dc.toml", locateTOML)
	// x3 is on server a (slot 0 of the table a, b, b, 10.0.0.3:6379).
	stdout, stderr, code := fae(t, "locate", "-c", path, "x3", "user:{7}")
	wantCode(t, code, exitOK, stdout, stderr)
	blocks := strings.Split(stdout, "\n\n")
	if len(blocks) != 2 {
		t.Fatalf("got %d blocks, want one per key:\n%s", len(blocks), stdout)
	}
	wantContains(t, "x3", blocks[0],
		"key \"x3\"\n  pool east (redis, listen 127.0.0.1:23121)\n",
		"    hash          md5 = 0x75c91414 (1976112148)\n",
		"    distribution  modula\n",
		"    modula slot   0 of 4 (hash % 4;",
		"    server        10.0.0.1:6379, ring name a (servers[0], weight 1)\n",
		"    replicas      10.0.1.1:6379, 10.0.1.2:6379 (read_policy replica: ",
		"    failover      pool west, failover_mode auto: while 10.0.0.1:6379 is dead, writes (and reads when no replica is live) go to 10.1.0.",
		"  pool rand (redis, listen 127.0.0.1:23123)\n",
		"    distribution  random\n    server        any of the 2 servers, chosen at random for each request\n",
		"  pool one (redis, listen 127.0.0.1:23124)\n    hash tag      {} does not apply: the whole key is hashed\n",
		"    distribution  ketama; one server, so no lookup\n",
		"    ejection      auto_eject_hosts:",
		"  pool cache (redis, listen 127.0.0.1:23125)\n    served        in process by lcache",
	)
	wantContains(t, "user:{7}", blocks[1], "    hash tag      {} applies: hashed \"7\"\n", "    ketama point  0x")
	if strings.Contains(stdout, "pool api") {
		t.Errorf("the http pool is listed:\n%s", stdout)
	}
}

func TestLocateErrors(t *testing.T) {
	path := writeFile(t, "dc.toml", locateTOML)
	bad := writeFile(t, "bad.toml", badTOML)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown pool", []string{"-c", path, "-pool", "north", "k"}, `has no pool "north"`},
		{"http pool", []string{"-c", path, "-pool", "api", "k"}, `pool "api" is an http pool`},
		{"bad config", []string{"-c", bad, "k"}, bad + ":4: pools.alpha.hash: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := fae(t, append([]string{"locate"}, c.args...)...)
			wantCode(t, code, exitFailure, stdout, stderr)
			wantContains(t, "stderr", stderr, c.want)
		})
	}
}

// TestLocateOnePoolJSON checks -pool, the JSON of a failover placement and
// keys after the flags' positions.
func TestLocateOnePoolJSON(t *testing.T) {
	path := writeFile(t, "dc.toml", locateTOML)
	got := locateJSON(t, "x3", "-c", path, "-pool", "east")
	if len(got) != 1 || len(got[0].Pools) != 1 {
		t.Fatalf("got %+v, want one key in one pool", got)
	}
	pl := got[0].Pools[0]
	if got[0].Key != "x3" || got[0].KeyHex != "7833" {
		t.Errorf("key %q (%s), want x3 (7833)", got[0].Key, got[0].KeyHex)
	}
	if pl.Slot == nil || pl.Slot.Slot != 0 || pl.Server.RingName != "a" || len(pl.Replicas) != 2 || pl.ReadPolicy != "replica" {
		t.Errorf("got %+v", pl)
	}
	f := pl.Failover
	if f == nil || f.Pool != "west" || f.Mode != "auto" || f.Placement == nil || f.Placement.Server == nil {
		t.Fatalf("failover: got %+v", f)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := hashkit.Lookup("fnv1a_64")
	west := findPool(cfg, "west")
	nodes := []hashkit.Node{{Name: west.Servers[0].RingName(), Weight: 1}, {Name: west.Servers[1].RingName(), Weight: 1}}
	d, _ := hashkit.NewDistribution("ketama", nodes)
	if want := hashkit.Locate(d, h, "", []byte("x3")); f.Placement.Server.Index != want {
		t.Errorf("failover server %d, want %d", f.Placement.Server.Index, want)
	}
}
