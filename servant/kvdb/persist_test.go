package kvdb

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

// fakeClock is a settable clock of unix milliseconds.
type fakeClock struct{ ms atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ms.Store(1_700_000_000_000)
	return c
}

func (c *fakeClock) now() int64              { return c.ms.Load() }
func (c *fakeClock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// records returns the number of user-key records in the store, expired or not.
func records(t *testing.T, db *DB) int {
	t.Helper()
	n := 0
	if _, err := db.scan([]byte{userPrefix}, 0, func([]byte, entry) { n++ }); err != nil {
		t.Fatalf("scan: %v", err)
	}
	return n
}

// mc runs a memcache command line ("set k flags exptime", "gets k", "incr
// k delta") with value as the data block of a storage command.
func mc(db *DB, line, value string) string {
	f := strings.Fields(line)
	r := &MC{Cmd: f[0], Value: []byte(value)}
	num := func(i int) uint64 { n, _ := strconv.ParseUint(f[i], 10, 64); return n }
	switch f[0] {
	case "get", "gets":
		r.Keys = kvtest.ToArgs(f[1:])
	case "set", "add", "cas":
		r.Keys = kvtest.ToArgs(f[1:2])
		r.Flags, r.Exptime = uint32(num(2)), int64(num(3))
		if f[0] == "cas" {
			r.Cas = num(4)
		}
	case "incr", "decr":
		r.Keys, r.Delta = kvtest.ToArgs(f[1:2]), num(2)
	case "flush_all":
		if len(f) > 1 {
			r.Exptime = int64(num(1))
		}
	default:
		r.Keys, r.Meta = kvtest.ToArgs(f[1:2]), kvtest.ToArgs(f[2:])
	}
	return string(db.DoMemcache(nil, r))
}

type step struct{ cmd, want string }

// run runs redis steps, or memcache ones after "M ", against db.
func run(t *testing.T, db *DB, steps []step) {
	t.Helper()
	for _, st := range steps {
		var got string
		if line, ok := strings.CutPrefix(st.cmd, "M "); ok {
			line, value, _ := strings.Cut(line, "|")
			got = mc(db, line, value)
		} else {
			got = do(db, st.cmd)
		}
		if got != st.want {
			t.Errorf("%s: got %q, want %q", st.cmd, got, st.want)
		}
	}
}

// TestPersistence writes with both protocols, closes the DB, opens the
// directory again later on the clock, and reads everything back: values,
// deadlines, memcache flags and cas uniques; keys that expired meanwhile
// stay gone, and new cas uniques are above every old one.
func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	clk := newFakeClock()
	cfg := Config{Dir: dir, SweepInterval: -1}
	db := openTestDB(t, cfg, clk.now)
	run(t, db, []step{
		{"SET a 1", "+OK\r\n"},
		{"APPEND a xx", ":3\r\n"},
		{"SET short v PX 5000", "+OK\r\n"},
		{"SET short2 v EX 5", "+OK\r\n"},
		{"SET long v PX 100000", "+OK\r\n"},
		{"INCR n", ":1\r\n"},
		{"INCRBY n 41", ":42\r\n"},
		{"MSET x 1 y 2", "+OK\r\n"},
		{"DEL y", ":1\r\n"},
		{"M set m 42 0|hello", "STORED\r\n"},
		// the tenth change of a value: cas unique 10
		{"M gets m", "VALUE m 42 5 10\r\nhello\r\nEND\r\n"},
	})
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	clk.advance(10 * time.Second)
	db = openTestDB(t, cfg, clk.now)
	if got := records(t, db); got != 7 {
		t.Errorf("records after reopen: got %d, want 7 (two of them expired)", got)
	}
	run(t, db, []step{
		{"GET a", "$3\r\n1xx\r\n"},
		{"GET short", "$-1\r\n"},
		{"PTTL long", ":90000\r\n"},
		{"TTL a", ":-1\r\n"},
		{"GET n", "$2\r\n42\r\n"},
		{"MGET x y", "*2\r\n$1\r\n1\r\n$-1\r\n"},
		{"DBSIZE", ":5\r\n"},
		{"M gets m", "VALUE m 42 5 10\r\nhello\r\nEND\r\n"},
		{"M cas m 7 0 10|again", "STORED\r\n"},
	})
	n, err := db.Sweep(context.Background())
	if err != nil || n != 1 {
		t.Errorf("Sweep: got %d, %v; want 1 (short2), nil", n, err)
	}
	if got := records(t, db); got != 5 {
		t.Errorf("records after GET and Sweep: got %d, want 5", got)
	}
	got := mc(db, "gets m", "")
	var cas uint64
	if f := strings.Fields(got); len(f) >= 5 {
		cas, _ = strconv.ParseUint(f[4], 10, 64)
	}
	if cas <= casBlock {
		t.Errorf("gets m after restart: %q: want a cas unique above %d, the reserved block", got, casBlock)
	}
}

// TestExpiredRecordsDeleted checks the lazy deletion of expired records by
// reads of either protocol, and by the sweeper.
func TestExpiredRecordsDeleted(t *testing.T) {
	clk := newFakeClock()
	db := openTestDB(t, Config{Dir: t.TempDir(), SweepInterval: -1}, clk.now)
	for i := range 1000 {
		do(db, "SET k"+strconv.Itoa(i)+" v PX 1000")
	}
	run(t, db, []step{
		{"SET keep v", "+OK\r\n"},
		{"SET later v PX 1000000", "+OK\r\n"},
		{"M set mk 0 1|v", "STORED\r\n"},
	})
	clk.advance(1001 * time.Millisecond)
	if got := records(t, db); got != 1003 {
		t.Fatalf("records: got %d, want 1003", got)
	}
	run(t, db, []step{
		{"GET k0", "$-1\r\n"},
		{"STRLEN k1", ":0\r\n"},
		{"TTL k2", ":-2\r\n"},
		{"EXISTS k3", ":0\r\n"},
		{"M get k4 k5", "END\r\n"},
		{"M mg k6 v", "EN\r\n"},
		{"M get mk", "END\r\n"},
		{"DBSIZE", ":2\r\n"},
	})
	if got := records(t, db); got != 1003-8 {
		t.Fatalf("records after reads: got %d, want %d", got, 1003-8)
	}
	n, err := db.Sweep(context.Background())
	if err != nil || n != 1000-7 {
		t.Fatalf("Sweep: got %d, %v; want %d, nil", n, err, 1000-7)
	}
	if n, err := db.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("second Sweep: got %d, %v; want 0, nil", n, err)
	}
	if got := records(t, db); got != 2 {
		t.Fatalf("records after Sweep: got %d, want 2", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Sweep(ctx); err != context.Canceled {
		t.Fatalf("Sweep with a cancelled context: %v, want context.Canceled", err)
	}
}

// TestSweeper checks that the background sweeper deletes expired records
// by itself.
func TestSweeper(t *testing.T) {
	db := newTestDB(t, Config{SweepInterval: time.Millisecond})
	for i := range 100 {
		do(db, "SET k"+strconv.Itoa(i)+" v PX 1")
	}
	do(db, "SET keep v")
	deadline := time.Now().Add(10 * time.Second)
	for records(t, db) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("records: %d after 10 s, want 1", records(t, db))
		}
		time.Sleep(time.Millisecond)
	}
}

// TestDelayedFlushAll checks memcache's flush_all with a delay on the fake
// clock: keys vanish at the delay minus one second, and writes of the
// following second are discarded.
func TestDelayedFlushAll(t *testing.T) {
	clk := newFakeClock()
	db := openTestDB(t, Config{Dir: t.TempDir(), SweepInterval: -1}, clk.now)
	run(t, db, []step{
		{"SET k v", "+OK\r\n"},
		{"M flush_all 10", "OK\r\n"},
	})
	clk.advance(8999 * time.Millisecond)
	run(t, db, []step{{"GET k", "$1\r\nv\r\n"}})
	clk.advance(time.Millisecond)
	run(t, db, []step{
		{"GET k", "$-1\r\n"},
		{"SET k2 v", "+OK\r\n"},
		{"GET k2", "$-1\r\n"},
	})
	clk.advance(time.Second)
	run(t, db, []step{
		{"SET k3 v", "+OK\r\n"},
		{"GET k3", "$1\r\nv\r\n"},
	})
}

// TestSyncWrites checks that Config.Sync stores as the default does.
func TestSyncWrites(t *testing.T) {
	cfg := Config{Dir: t.TempDir(), Sync: true}
	db := newTestDB(t, cfg)
	run(t, db, []step{
		{"SET k v", "+OK\r\n"},
		{"MSET a 1 b 2", "+OK\r\n"},
		{"DEL a b nope", ":2\r\n"},
	})
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	db = newTestDB(t, cfg)
	run(t, db, []step{
		{"GET k", "$1\r\nv\r\n"},
		{"EXISTS a b", ":0\r\n"},
	})
}
