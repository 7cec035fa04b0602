package mysqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fae-dev/fae/mysqlstore"
	"github.com/fae-dev/fae/testkit"
)

// kv is the tier chain's Store interface (tier.Store), restated here so
// this package's tests do not depend on the tier package.
type kv interface {
	Get(ctx context.Context, key []byte) (value []byte, found bool, err error)
	Set(ctx context.Context, key, value []byte, ttl time.Duration) error
	Delete(ctx context.Context, key []byte) (found bool, err error)
	MGet(ctx context.Context, keys [][]byte) (values [][]byte, found []bool, err error)
	MSet(ctx context.Context, keys, values [][]byte, ttl time.Duration) error
}

var _ kv = (*mysqlstore.Store)(nil)

// schema creates database db with the tables the tests use: kv (the default
// mapping) and users (for templates).
func schema(t *testing.T, m *testkit.MariaDB, db string) {
	t.Helper()
	m.Exec(t, "CREATE DATABASE IF NOT EXISTS `"+db+"`")
	m.Exec(t, "CREATE TABLE `"+db+"`.kv (k VARBINARY(255) NOT NULL PRIMARY KEY, v BLOB)")
	m.Exec(t, "CREATE TABLE `"+db+"`.users (id BIGINT NOT NULL PRIMARY KEY, profile BLOB)")
}

// open opens a Store and closes it when the test ends.
func open(t *testing.T, cfg mysqlstore.Config) *mysqlstore.Store {
	t.Helper()
	s, err := mysqlstore.Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func get(t *testing.T, s kv, key string) (string, bool) {
	t.Helper()
	v, ok, err := s.Get(context.Background(), []byte(key))
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return string(v), ok
}

func set(t *testing.T, s kv, key, value string) {
	t.Helper()
	if err := s.Set(context.Background(), []byte(key), []byte(value), 0); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func keys(ks ...string) [][]byte {
	out := make([][]byte, len(ks))
	for i, k := range ks {
		out[i] = []byte(k)
	}
	return out
}

// row reads kv.v for key k straight from server m's database db.
func row(t *testing.T, m *testkit.MariaDB, db, k string) (string, bool) {
	t.Helper()
	var v []byte
	ok := m.QueryRow(t, "SELECT v FROM `"+db+"`.kv WHERE k = ?", []any{k}, &v)
	return string(v), ok
}

// TestMariaDB runs the Store against real servers. Two mariadbd processes
// are shared by the subtests (each uses its own databases); the outage
// subtest stops and kills the second one, so it runs last.
func TestMariaDB(t *testing.T) {
	a := testkit.StartMariaDB(t)
	b := testkit.StartMariaDB(t)
	t.Run("crud", func(t *testing.T) { testCRUD(t, a) })
	t.Run("binary", func(t *testing.T) { testBinary(t, a) })
	t.Run("injection", func(t *testing.T) { testInjection(t, a) })
	t.Run("templates", func(t *testing.T) { testTemplates(t, a) })
	t.Run("mget", func(t *testing.T) { testMulti(t, a) })
	t.Run("sharding", func(t *testing.T) { testSharding(t, a, b) })
	t.Run("custom route", func(t *testing.T) { testCustomRoute(t, a, b) })
	t.Run("replica", func(t *testing.T) { testReplica(t, a, b) })
	t.Run("concurrent", func(t *testing.T) { testConcurrent(t, a, b) })
	t.Run("outage", func(t *testing.T) { testOutage(t, a, b) })
}

func testCRUD(t *testing.T, m *testkit.MariaDB) {
	schema(t, m, "crud")
	s := open(t, mysqlstore.Config{Servers: []mysqlstore.Shard{{Primary: m.DSN("")}},
		Database: "crud", Table: "kv"})
	ctx := context.Background()
	if v, ok := get(t, s, "a"); ok {
		t.Fatalf("Get of a missing key: got %q, found; want not found", v)
	}
	set(t, s, "a", "1")
	set(t, s, "a", "2") // overwrite
	if v, ok := get(t, s, "a"); !ok || v != "2" {
		t.Fatalf("Get(a) = %q, %v; want %q, true", v, ok, "2")
	}
	if v, ok := row(t, m, "crud", "a"); !ok || v != "2" {
		t.Fatalf("row a in crud.kv = %q, %v; want %q", v, ok, "2")
	}
	if err := s.Set(ctx, []byte("empty"), nil, 0); err != nil {
		t.Fatal(err)
	}
	if v, ok := get(t, s, "empty"); !ok || v != "" {
		t.Fatalf("Get(empty) = %q, %v; want an empty value, found", v, ok)
	}
	for _, tt := range []struct {
		key  string
		want bool
	}{{"a", true}, {"a", false}, {"never", false}} {
		found, err := s.Delete(ctx, []byte(tt.key))
		if err != nil || found != tt.want {
			t.Fatalf("Delete(%q) = %v, %v; want %v, nil", tt.key, found, err, tt.want)
		}
	}
	if _, ok := get(t, s, "a"); ok {
		t.Fatal("Get after Delete: found")
	}

	// one query per Get, and the statement is prepared once, not per call
	set(t, s, "p", "x")
	get(t, s, "p")
	st, prep, sel := s.Stats(), m.Status(t, "Com_stmt_prepare"), m.Status(t, "Com_select")
	for range 20 {
		get(t, s, "p")
	}
	if got := s.Stats().Queries - st.Queries; got != 20 {
		t.Errorf("20 Gets: Stats.Queries +%d, want +20", got)
	}
	if got := s.Stats().Reads - st.Reads; got != 20 {
		t.Errorf("20 Gets: Stats.Reads +%d, want +20", got)
	}
	if got := m.Status(t, "Com_select") - sel; got != 20 {
		t.Errorf("20 Gets: server Com_select +%d, want +20", got)
	}
	if got := m.Status(t, "Com_stmt_prepare") - prep; got != 0 {
		t.Errorf("20 Gets after the first: server Com_stmt_prepare +%d, want +0", got)
	}
}

func testBinary(t *testing.T, m *testkit.MariaDB) {
	s := open(t, mysqlstore.Config{Servers: []mysqlstore.Shard{{Primary: m.DSN("")}},
		Database: "crud", Table: "kv"})
	ctx := context.Background()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	key := append([]byte("bin\x00\xff"), all[:200]...)
	if err := s.Set(ctx, key, all, 0); err != nil {
		t.Fatal(err)
	}
	v, ok, err := s.Get(ctx, key)
	if err != nil || !ok || !bytes.Equal(v, all) {
		t.Fatalf("Get of binary key: got %x, %v, %v; want the 256 byte values", v, ok, err)
	}
	vs, fs, err := s.MGet(ctx, [][]byte{key, []byte("bin\x00\xfe")})
	if err != nil || !fs[0] || !bytes.Equal(vs[0], all) || fs[1] {
		t.Fatalf("MGet of binary keys: got %x, %v, %v", vs, fs, err)
	}
}

func testInjection(t *testing.T, m *testkit.MariaDB) {
	schema(t, m, "inj")
	s := open(t, mysqlstore.Config{Servers: []mysqlstore.Shard{{Primary: m.DSN("")}},
		Database: "inj", Table: "kv"})
	ctx := context.Background()
	evil := []string{
		"'; DROP TABLE kv; --",
		`" OR 1=1 --`,
		`\'; DELETE FROM kv WHERE '1'='1`,
		"a' OR 'a'='a",
		"%", "_", `\`, "`kv`",
	}
	for i, k := range evil {
		set(t, s, k, fmt.Sprintf("value %d '); DROP TABLE users; --", i))
	}
	for i, k := range evil {
		want := fmt.Sprintf("value %d '); DROP TABLE users; --", i)
		if v, ok := get(t, s, k); !ok || v != want {
			t.Fatalf("Get(%q) = %q, %v; want %q", k, v, ok, want)
		}
		if v, ok := row(t, m, "inj", k); !ok || v != want {
			t.Fatalf("row %q read directly = %q, %v; want %q", k, v, ok, want)
		}
	}
	vs, fs, err := s.MGet(ctx, keys(evil...))
	if err != nil {
		t.Fatal(err)
	}
	for i := range evil {
		if !fs[i] || string(vs[i]) != fmt.Sprintf("value %d '); DROP TABLE users; --", i) {
			t.Fatalf("MGet[%d] (%q) = %q, %v", i, evil[i], vs[i], fs[i])
		}
	}
	var n int
	m.QueryRow(t, "SELECT COUNT(*) FROM inj.kv", nil, &n)
	if n != len(evil) {
		t.Fatalf("inj.kv has %d rows, want %d (one per key, nothing dropped or deleted)", n, len(evil))
	}
	m.QueryRow(t, "SELECT COUNT(*) FROM inj.users", nil, &n) // fails if dropped
	if found, err := s.Delete(ctx, []byte("' OR '1'='1")); err != nil || found {
		t.Fatalf("Delete of an injection key: got %v, %v; want false, nil", found, err)
	}
	m.QueryRow(t, "SELECT COUNT(*) FROM inj.kv", nil, &n)
	if n != len(evil) {
		t.Fatalf("after Delete of an injection key: %d rows, want %d", n, len(evil))
	}
}

func testTemplates(t *testing.T, m *testkit.MariaDB) {
	schema(t, m, "tmpl")
	m.Exec(t, "CREATE TABLE tmpl.sessions (token VARBINARY(64) NOT NULL PRIMARY KEY, data BLOB, note VARCHAR(10))")
	m.Exec(t, "INSERT INTO tmpl.sessions VALUES ('abc', 'session-data', 'n')")
	users := mysqlstore.Template{Prefix: "user:",
		Get:    "SELECT profile FROM users WHERE id = ?",
		Set:    "INSERT INTO users (id, profile) VALUES (?, ?) ON DUPLICATE KEY UPDATE profile = VALUES(profile)",
		Delete: "DELETE FROM users WHERE id = ?"}
	sessions := mysqlstore.Template{Prefix: "sess:", // read-only; two columns, the first is the value
		Get: "SELECT data, note FROM sessions WHERE token = ?"}
	s := open(t, mysqlstore.Config{Servers: []mysqlstore.Shard{{Primary: m.DSN("")}},
		Database: "tmpl", Table: "kv", Templates: []mysqlstore.Template{users, sessions}})
	ctx := context.Background()

	set(t, s, "user:42", "alice")
	set(t, s, "user:7", "bob")
	set(t, s, "plain", "kv-row")
	var profile string
	if !m.QueryRow(t, "SELECT profile FROM tmpl.users WHERE id = 42", nil, &profile) || profile != "alice" {
		t.Fatalf("users row 42 = %q, want %q", profile, "alice")
	}
	if v, ok := row(t, m, "tmpl", "plain"); !ok || v != "kv-row" {
		t.Fatalf("a key with no template: kv row = %q, %v; want %q", v, ok, "kv-row")
	}
	if _, ok := row(t, m, "tmpl", "user:42"); ok {
		t.Fatal("a template key also landed in the default table")
	}
	if v, ok := get(t, s, "user:42"); !ok || v != "alice" {
		t.Fatalf("Get(user:42) = %q, %v", v, ok)
	}
	if v, ok := get(t, s, "sess:abc"); !ok || v != "session-data" {
		t.Fatalf("Get(sess:abc) = %q, %v", v, ok)
	}
	vs, fs, err := s.MGet(ctx, keys("user:7", "sess:abc", "plain", "user:99", "user:42", "user:7"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"bob", "session-data", "kv-row", "", "alice", "bob"}
	for i := range want {
		if string(vs[i]) != want[i] || fs[i] != (want[i] != "") {
			t.Fatalf("MGet[%d] = %q, %v; want %q", i, vs[i], fs[i], want[i])
		}
	}
	if err := s.MSet(ctx, keys("user:1", "user:2", "other"), keys("one", "two", "three"), 0); err != nil {
		t.Fatal(err)
	}
	if v, _ := get(t, s, "user:2"); v != "two" {
		t.Fatalf("after MSet: Get(user:2) = %q, want %q", v, "two")
	}
	if found, err := s.Delete(ctx, []byte("user:42")); err != nil || !found {
		t.Fatalf("Delete(user:42) = %v, %v", found, err)
	}
	if m.QueryRow(t, "SELECT profile FROM tmpl.users WHERE id = 42", nil, &profile) {
		t.Fatal("users row 42 still there after Delete")
	}
	if err := s.Set(ctx, []byte("sess:x"), []byte("v"), 0); !errors.Is(err, mysqlstore.ErrNoMapping) {
		t.Fatalf("Set on a template without Set: got %v, want ErrNoMapping", err)
	}
	if err := s.MSet(ctx, keys("plain2", "sess:x"), keys("a", "b"), 0); !errors.Is(err, mysqlstore.ErrNoMapping) {
		t.Fatalf("MSet with a read-only template key: got %v, want ErrNoMapping", err)
	}
	if _, ok := row(t, m, "tmpl", "plain2"); ok {
		t.Fatal("MSet rejected for a mapping error still wrote another key")
	}

	only := open(t, mysqlstore.Config{Servers: []mysqlstore.Shard{{Primary: m.DSN("")}},
		Database: "tmpl", Templates: []mysqlstore.Template{users}})
	if _, _, err := only.Get(ctx, []byte("plain")); !errors.Is(err, mysqlstore.ErrNoMapping) {
		t.Fatalf("Get of a key with no template and no Table: got %v, want ErrNoMapping", err)
	}
	if v, ok := get(t, only, "user:7"); !ok || v != "bob" {
		t.Fatalf("templates-only store: Get(user:7) = %q, %v", v, ok)
	}
}

func testMulti(t *testing.T, m *testkit.MariaDB) {
	schema(t, m, "multi")
	s := open(t, mysqlstore.Config{Servers: []mysqlstore.Shard{{Primary: m.DSN("")}},
		Database: "multi", Table: "kv"})
	ctx := context.Background()
	if err := s.MSet(ctx, keys("a", "b", "a", "c"), keys("a1", "b1", "a2", "c1"), 0); err != nil {
		t.Fatal(err)
	}
	if v, _ := get(t, s, "a"); v != "a2" {
		t.Fatalf("MSet with a repeated key: Get(a) = %q, want the last value %q", v, "a2")
	}
	st, sel := s.Stats(), m.Status(t, "Com_select")
	vs, fs, err := s.MGet(ctx, keys("b", "nope", "a", "b", "a", "zip", "c"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"b1", "", "a2", "b1", "a2", "", "c1"}
	for i := range want {
		if string(vs[i]) != want[i] || fs[i] != (want[i] != "") {
			t.Fatalf("MGet[%d] = %q, %v; want %q", i, vs[i], fs[i], want[i])
		}
	}
	if got := s.Stats().Queries - st.Queries; got != 1 {
		t.Errorf("MGet of 7 keys on one database: %d queries, want 1", got)
	}
	if got := m.Status(t, "Com_select") - sel; got != 1 {
		t.Errorf("MGet of 7 keys on one database: server Com_select +%d, want +1", got)
	}

	// more keys than one statement carries
	var ks, vals [][]byte
	for i := range 300 {
		ks = append(ks, []byte(fmt.Sprintf("big:%03d", i)))
		vals = append(vals, []byte(fmt.Sprintf("v%d", i)))
	}
	st = s.Stats()
	if err := s.MSet(ctx, ks, vals, 0); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Writes - st.Writes; got != 2 {
		t.Errorf("MSet of 300 keys: %d statements, want 2 (256 + 44)", got)
	}
	probe := append([][]byte{[]byte("missing")}, ks...)
	vs, fs, err = s.MGet(ctx, probe)
	if err != nil {
		t.Fatal(err)
	}
	if fs[0] {
		t.Fatal("MGet of 301 keys: the missing key was found")
	}
	for i := range ks {
		if !fs[i+1] || !bytes.Equal(vs[i+1], vals[i]) {
			t.Fatalf("MGet[%d] = %q, %v; want %q", i+1, vs[i+1], fs[i+1], vals[i])
		}
	}
	if got := s.Stats().Reads - st.Reads; got != 2 {
		t.Errorf("MGet of 301 keys: %d statements, want 2", got)
	}
	vs, fs, err = s.MGet(ctx, nil)
	if err != nil || len(vs) != 0 || len(fs) != 0 {
		t.Fatalf("MGet of no keys: got %v, %v, %v", vs, fs, err)
	}
}

func testSharding(t *testing.T, a, b *testkit.MariaDB) {
	servers := []*testkit.MariaDB{a, b}
	for _, m := range servers {
		schema(t, m, "shard_0")
		schema(t, m, "shard_1")
	}
	s := open(t, mysqlstore.Config{
		Servers:  []mysqlstore.Shard{{Primary: a.DSN("")}, {Primary: b.DSN("")}},
		Database: "shard", Databases: 2, Table: "kv"})
	ctx := context.Background()
	var ks, vals [][]byte
	for i := range 200 {
		ks = append(ks, []byte(fmt.Sprintf("user:%d", i)))
		vals = append(vals, []byte(fmt.Sprintf("v%d", i)))
	}
	if err := s.MSet(ctx, ks[:100], vals[:100], 0); err != nil {
		t.Fatal(err)
	}
	for i := 100; i < 200; i++ {
		set(t, s, string(ks[i]), string(vals[i]))
	}
	perPair := make(map[[2]int]int)
	for i, k := range ks {
		db, server, err := s.Route(k)
		if err != nil {
			t.Fatal(err)
		}
		perPair[[2]int{server, db}]++
		for si, m := range servers {
			for d := range 2 {
				v, ok := row(t, m, fmt.Sprintf("shard_%d", d), string(k))
				here := si == server && d == db
				if ok != here || (here && v != string(vals[i])) {
					t.Fatalf("key %q (Route: server %d db %d): on server %d shard_%d got %q, %v",
						k, server, db, si, d, v, ok)
				}
			}
		}
	}
	if len(perPair) != 4 {
		t.Fatalf("200 keys landed on %d of 4 (server, database) pairs: %v", len(perPair), perPair)
	}
	st := s.Stats()
	vs, fs, err := s.MGet(ctx, ks)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ks {
		if !fs[i] || !bytes.Equal(vs[i], vals[i]) {
			t.Fatalf("MGet[%d] = %q, %v; want %q", i, vs[i], fs[i], vals[i])
		}
	}
	if got := s.Stats().Queries - st.Queries; got != 4 {
		t.Errorf("MGet over 2 servers x 2 databases: %d queries, want 4 (one per pair)", got)
	}
}

func testCustomRoute(t *testing.T, a, b *testkit.MariaDB) {
	s := open(t, mysqlstore.Config{
		Servers:  []mysqlstore.Shard{{Primary: a.DSN("")}, {Primary: b.DSN("")}},
		Database: "shard", Databases: 2, Table: "kv",
		Route: func(key []byte) (int, int) {
			if bytes.HasPrefix(key, []byte("eu:")) {
				return 1, 0
			}
			return 0, 1
		}})
	set(t, s, "eu:x", "1")
	set(t, s, "us:x", "2")
	if v, ok := row(t, a, "shard_1", "eu:x"); !ok || v != "1" {
		t.Fatalf("eu:x on server 0 shard_1 = %q, %v; want %q", v, ok, "1")
	}
	if v, ok := row(t, b, "shard_0", "us:x"); !ok || v != "2" {
		t.Fatalf("us:x on server 1 shard_0 = %q, %v; want %q", v, ok, "2")
	}
}

func testReplica(t *testing.T, a, b *testkit.MariaDB) {
	for _, m := range []*testkit.MariaDB{a, b} {
		schema(t, m, "rep")
	}
	a.Exec(t, "INSERT INTO rep.kv VALUES ('k', 'from primary'), ('only-primary', 'p')")
	b.Exec(t, "INSERT INTO rep.kv VALUES ('k', 'from replica')")
	shards := []mysqlstore.Shard{{Primary: a.DSN(""), Replicas: []string{b.DSN("")}}}
	primary := open(t, mysqlstore.Config{Servers: shards, Database: "rep", Table: "kv"})
	replica := open(t, mysqlstore.Config{Servers: shards, Database: "rep", Table: "kv",
		ReadPolicy: mysqlstore.ReadReplica})
	ctx := context.Background()
	if v, _ := get(t, primary, "k"); v != "from primary" {
		t.Fatalf("ReadPolicy primary: Get(k) = %q, want %q", v, "from primary")
	}
	if v, _ := get(t, replica, "k"); v != "from replica" {
		t.Fatalf("ReadPolicy replica: Get(k) = %q, want %q", v, "from replica")
	}
	vs, fs, err := replica.MGet(ctx, keys("k", "only-primary"))
	if err != nil || string(vs[0]) != "from replica" || fs[1] {
		t.Fatalf("ReadPolicy replica: MGet = %q, %v, %v; want the replica's rows", vs, fs, err)
	}
	set(t, replica, "w", "written")
	if v, ok := row(t, a, "rep", "w"); !ok || v != "written" {
		t.Fatalf("a write under ReadPolicy replica: primary row = %q, %v", v, ok)
	}
	if _, ok := row(t, b, "rep", "w"); ok {
		t.Fatal("a write under ReadPolicy replica reached the replica")
	}
}

// testConcurrent runs many goroutines over a sharded store at once: the
// statement caches and pools are shared (run with -race).
func testConcurrent(t *testing.T, a, b *testkit.MariaDB) {
	for _, m := range []*testkit.MariaDB{a, b} {
		schema(t, m, "conc_0")
		schema(t, m, "conc_1")
	}
	s := open(t, mysqlstore.Config{
		Servers:  []mysqlstore.Shard{{Primary: a.DSN("")}, {Primary: b.DSN("")}},
		Database: "conc", Databases: 2, Table: "kv", MaxOpen: 4, MaxIdle: 2})
	ctx := context.Background()
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			errs <- func() error {
				for i := range 40 {
					k := []byte(fmt.Sprintf("w%d:%d", w, i))
					if err := s.Set(ctx, k, k, 0); err != nil {
						return err
					}
					vs, fs, err := s.MGet(ctx, [][]byte{k, []byte("nope"), k})
					if err != nil {
						return err
					}
					if !fs[0] || !fs[2] || fs[1] || !bytes.Equal(vs[0], k) {
						return fmt.Errorf("MGet(%q) = %q, %v", k, vs, fs)
					}
				}
				return nil
			}()
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// testOutage stalls and then kills server b, which must be the last use of
// it.
func testOutage(t *testing.T, a, b *testkit.MariaDB) {
	schema(t, b, "out")
	const timeout = 300 * time.Millisecond
	s := open(t, mysqlstore.Config{Servers: []mysqlstore.Shard{{Primary: b.DSN("")}},
		Database: "out", Table: "kv", Timeout: timeout})
	ctx := context.Background()
	set(t, s, "k", "v")

	b.Pause()
	t0 := time.Now()
	_, _, err := s.Get(ctx, []byte("k"))
	took := time.Since(t0)
	var e *mysqlstore.Error
	if !errors.Is(err, mysqlstore.ErrTimeout) || !errors.As(err, &e) {
		t.Fatalf("Get on a stalled server: got %v, want an *Error wrapping ErrTimeout", err)
	}
	if took < timeout || took > timeout+time.Second {
		t.Fatalf("Get on a stalled server returned after %v, want about %v", took, timeout)
	}
	t.Logf("stalled: %v (after %v)", err, took)
	if e.Server != b.Addr || e.Op != "get" || e.Database != "out" {
		t.Fatalf("error names op %q server %q database %q, want get %s out", e.Op, e.Server, e.Database, b.Addr)
	}
	if _, _, err := s.MGet(ctx, keys("k", "j")); !errors.Is(err, mysqlstore.ErrTimeout) {
		t.Fatalf("MGet on a stalled server: got %v, want ErrTimeout", err)
	}
	b.Resume()
	if v, ok := get(t, s, "k"); !ok || v != "v" {
		t.Fatalf("after Resume: Get(k) = %q, %v", v, ok)
	}

	// a replica that goes down: reads fall back to the primary
	schema(t, a, "out")
	a.Exec(t, "INSERT INTO out.kv VALUES ('k', 'primary')")
	rs := open(t, mysqlstore.Config{Database: "out", Table: "kv", Timeout: timeout,
		ReadPolicy: mysqlstore.ReadReplica,
		Servers:    []mysqlstore.Shard{{Primary: a.DSN(""), Replicas: []string{b.DSN("")}}}})
	if v, _ := get(t, rs, "k"); v != "v" {
		t.Fatalf("replica read: Get(k) = %q, want the replica's %q", v, "v")
	}

	b.Kill()
	// ErrUnavailable (not ErrTimeout) also shows it failed before the deadline
	_, _, err = s.Get(ctx, []byte("k"))
	if !errors.Is(err, mysqlstore.ErrUnavailable) {
		t.Fatalf("Get on a killed server: got %v, want ErrUnavailable", err)
	}
	t.Logf("killed: %v", err)
	if err := s.Set(ctx, []byte("k"), []byte("x"), 0); !errors.Is(err, mysqlstore.ErrUnavailable) {
		t.Fatalf("Set on a killed server: got %v, want ErrUnavailable", err)
	}
	fb := rs.Stats().Fallbacks
	if v, ok := get(t, rs, "k"); !ok || v != "primary" {
		t.Fatalf("replica down: Get(k) = %q, %v; want the primary's %q", v, ok, "primary")
	}
	if rs.Stats().Fallbacks != fb+1 {
		t.Fatalf("replica down: Stats.Fallbacks %d -> %d, want +1", fb, rs.Stats().Fallbacks)
	}

	b.Restart()
	if v, ok := get(t, s, "k"); !ok || v != "v" {
		t.Fatalf("after Restart: Get(k) = %q, %v", v, ok)
	}
}
