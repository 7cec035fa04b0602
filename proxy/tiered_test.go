package proxy

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fae-dev/fae/testkit"
)

// chainTOML is a chain "p": lcache, then a Redis pool over r, then MariaDB m
// (table test.kv), with extra keys for the chain pool.
func chainTOML(r *testkit.Process, m *testkit.MariaDB, extra string) string {
	return fmt.Sprintf(`[pools.p]
listen = "127.0.0.1:0"
tiers = ["l1", "cache", "db"]
timeout = "2s"
%s

[pools.l1]
servant = "lcache"
tier_ttl = "1m"

[pools.cache]
servers = ["%s:1"]
tier_ttl = "1m"

[pools.db]
protocol = "mysql"
servers = [%q]
mysql_database = "test"
timeout = "500ms"
`, extra, r.Addr, m.Addr+":1")
}

func startChain(t *testing.T, extra string) (*Server, string, *testkit.Process, *testkit.MariaDB) {
	t.Helper()
	r, m := testkit.StartRedis(t), testkit.StartMariaDB(t)
	m.Exec(t, "CREATE TABLE test.kv (k VARBINARY(255) PRIMARY KEY, v BLOB)")
	srv, addr := startProxy(t, chainTOML(r, m, extra))
	return srv, addr, r, m
}

// Read-through, write-back to both cache tiers, and invalidation on write.
func TestChainReadThroughWriteBack(t *testing.T) {
	srv, addr, r, m := startChain(t, "")
	m.Exec(t, "INSERT INTO test.kv VALUES ('user:1', 'ada'), ('user:2', 'bob')")
	c := dial(t, addr)
	c.expect("*3\r\n$3\r\nada\r\n$-1\r\n$3\r\nbob\r\n", "MGET", "user:1", "nobody", "user:2")
	redis := dial(t, r.Addr)
	eventually(t, 5*time.Second, "written back to redis", func() bool { return redis.do("GET", "user:1") == bulk("ada") })
	// the next read is a cache hit: MySQL sees no new SELECT
	before := m.Status(t, "Com_select") + m.Status(t, "Com_stmt_execute")
	c.expect(bulk("ada"), "GET", "user:1")
	if after := m.Status(t, "Com_select") + m.Status(t, "Com_stmt_execute"); after != before {
		t.Errorf("a cached key reached MySQL: %d statements", after-before)
	}
	// a write goes to MySQL and invalidates the caches
	c.expect("+OK\r\n", "SET", "user:1", "ada2")
	var v string
	m.QueryRow(t, "SELECT v FROM test.kv WHERE k = 'user:1'", nil, &v)
	if v != "ada2" {
		t.Errorf("MySQL has %q after SET", v)
	}
	if got := redis.do("GET", "user:1"); got != "$-1\r\n" {
		t.Errorf("redis still caches %q after the write", got)
	}
	c.expect(bulk("ada2"), "GET", "user:1")
	c.expect(":1\r\n", "DEL", "user:1")
	if m.QueryRow(t, "SELECT v FROM test.kv WHERE k = 'user:1'", nil, &v) {
		t.Error("the row is still in MySQL after DEL")
	}
	c.expect("$-1\r\n", "GET", "user:1")
	if st := srv.Pool("p").chain.Stats(); st.Hits[0]+st.Hits[1] == 0 || st.StoreReads == 0 {
		t.Errorf("chain stats %+v", st)
	}
}

// Many clients missing the same keys at once cause one MySQL read per key.
func TestChainCoalescing(t *testing.T) {
	srv, addr, _, m := startChain(t, "")
	const keys = 20
	for i := range keys {
		m.Exec(t, "INSERT INTO test.kv VALUES (?, ?)", fmt.Sprintf("hot:%d", i), fmt.Sprintf("v%d", i))
	}
	before := m.Status(t, "Com_select") // prepared SELECTs count here too
	m.Pause()                           // hold the first reads so that the others pile up behind them
	var wg sync.WaitGroup
	var bad sync.Map
	for cl := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(t, addr)
			for i := range keys {
				c.send("GET", fmt.Sprintf("hot:%d", (i+cl)%keys))
			}
			for range keys {
				if r := c.read(); !strings.HasPrefix(r, "$2\r\nv") && !strings.HasPrefix(r, "$3\r\nv") {
					bad.Store(cl, r)
				}
			}
		}()
	}
	// every client's GETs are in flight while MySQL is stopped
	eventually(t, 10*time.Second, "200 requests in flight", func() bool { return srv.Stats().InFlight == 10*keys })
	m.Resume()
	wg.Wait()
	bad.Range(func(k, v any) bool { t.Errorf("client %v got %q", k, v); return true })
	selects := m.Status(t, "Com_select") - before
	if selects > keys {
		t.Errorf("MySQL ran %d statements for %d distinct keys read by 10 clients at once; want at most %d", selects, keys, keys)
	}
}

// A key MySQL lacks is answered from the negative cache for negative_ttl.
func TestChainNegativeCache(t *testing.T) {
	_, addr, _, m := startChain(t, `negative_ttl = "1m"`)
	c := dial(t, addr)
	c.expect("$-1\r\n", "GET", "ghost")
	before := m.Status(t, "Com_stmt_execute")
	for range 5 {
		c.expect("$-1\r\n", "GET", "ghost")
	}
	if after := m.Status(t, "Com_stmt_execute"); after != before {
		t.Errorf("negatively cached key reached MySQL %d times", after-before)
	}
	c.expect("+OK\r\n", "SET", "ghost", "boo")
	c.expect(bulk("boo"), "GET", "ghost")
}

// With MySQL down, cache hits are served and misses get a clear error.
func TestChainMySQLOutage(t *testing.T) {
	_, addr, _, m := startChain(t, "")
	m.Exec(t, "INSERT INTO test.kv VALUES ('warm', 'w')")
	c := dial(t, addr)
	c.expect(bulk("w"), "GET", "warm")
	m.Stop()
	eventually(t, 5*time.Second, "the cache serves the warm key", func() bool { return c.do("GET", "warm") == bulk("w") })
	if got := c.do("GET", "cold"); !strings.HasPrefix(got, "-ERR fae: store tier failed") {
		t.Errorf("a miss with MySQL down: %q", got)
	}
	if got := c.do("SET", "k", "v"); !strings.HasPrefix(got, "-ERR fae: store tier failed") {
		t.Errorf("a write with MySQL down: %q", got)
	}
	if got := c.do("LPUSH", "l", "x"); !strings.Contains(got, "not supported on a tier chain") {
		t.Errorf("LPUSH on a chain: %q", got)
	}
}

// A memcache front over the same chain.
func TestChainMemcache(t *testing.T) {
	r, m := testkit.StartRedis(t), testkit.StartMariaDB(t)
	m.Exec(t, "CREATE TABLE test.kv (k VARBINARY(255) PRIMARY KEY, v BLOB)")
	cfg := strings.Replace(chainTOML(r, m, `protocol = "memcache"`), "[pools.p]\n", "[pools.p]\n", 1)
	_, addr := startProxy(t, cfg)
	c := dial(t, addr)
	c.raw("set k 0 0 5\r\nhello\r\n")
	if got := line(t, c); got != "STORED\r\n" {
		t.Fatalf("set: %q", got)
	}
	c.raw("get k nope\r\n")
	for _, want := range []string{"VALUE k 0 5\r\n", "hello\r\n", "END\r\n"} {
		if got := line(t, c); got != want {
			t.Errorf("get: %q, want %q", got, want)
		}
	}
	c.raw("delete k\r\n")
	if got := line(t, c); got != "DELETED\r\n" {
		t.Errorf("delete: %q", got)
	}
}

// An idgen servant pool answers INCR with unique increasing IDs.
func TestIDGenPool(t *testing.T) {
	_, addr := startProxy(t, "[pools.p]\nlisten = \"127.0.0.1:0\"\nservant = \"idgen\"\nidgen_worker = 3\n")
	c := dial(t, addr)
	var last string
	for range 100 {
		got := c.do("INCR", "order")
		if !strings.HasPrefix(got, ":") || got <= last && len(got) == len(last) {
			t.Fatalf("INCR: %q after %q", got, last)
		}
		last = got
	}
	if got := c.do("IDGEN", "COUNT", "3"); !strings.HasPrefix(got, "*3\r\n:") {
		t.Errorf("IDGEN COUNT 3: %q", got)
	}
	c.expect("+PONG\r\n", "PING")
}

// A kvdb pool keeps its data across a restart of faed.
func TestKVDBPersists(t *testing.T) {
	dir := t.TempDir()
	cfg := fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nservant = \"kvdb\"\nservant_dir = %q\n", dir)
	srv, addr := startProxy(t, cfg)
	dial(t, addr).expect("+OK\r\n", "SET", "durable", "yes")
	srv.Close()
	_, addr = startProxy(t, cfg)
	dial(t, addr).expect(bulk("yes"), "GET", "durable")
}

// A reload rebuilds the chain and its MySQL store under a live client.
func TestChainReload(t *testing.T) {
	r, m := testkit.StartRedis(t), testkit.StartMariaDB(t)
	m.Exec(t, "CREATE TABLE test.kv (k VARBINARY(255) PRIMARY KEY, v BLOB)")
	m.Exec(t, "INSERT INTO test.kv VALUES ('a', '1')")
	srv, addr := startProxy(t, chainTOML(r, m, ""))
	c := dial(t, addr)
	c.expect(bulk("1"), "GET", "a")
	if err := srv.Apply(parse(t, chainTOML(r, m, `write_policy = "update"`))); err != nil {
		t.Fatal(err)
	}
	c.expect("+OK\r\n", "SET", "a", "2")
	dial(t, r.Addr).expect(bulk("2"), "GET", "a") // update policy: written into the cache too
	c.expect(bulk("2"), "GET", "a")
	if st := srv.Stats(); st.Pools[0].Chain == nil || len(st.Pools[0].Chain.Tiers) != 3 {
		t.Errorf("chain stats after reload: %+v", st.Pools[0].Chain)
	}
}
