package kvdb

import (
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/fae-dev/fae/servant/internal/kvtest"
	"github.com/fae-dev/fae/servant/lcache"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newTestDB opens a DB in a fresh directory (unless cfg names one) and
// closes it when the test ends.
func newTestDB(t testing.TB, cfg Config) *DB {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	return openTestDB(t, cfg, nil)
}

// openTestDB opens cfg.Dir with the given clock (nil: the real one) and
// closes the DB when the test ends.
func openTestDB(t testing.TB, cfg Config, clock func() int64) *DB {
	t.Helper()
	if clock == nil {
		clock = nowMillis
	}
	db, err := open(cfg, clock)
	if err != nil {
		t.Fatalf("Open(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// newTestCache returns an lcache.Cache, large enough never to evict in the
// tests, closed when the test ends.
func newTestCache(t testing.TB) *lcache.Cache {
	t.Helper()
	c, err := lcache.New(lcache.Config{MaxMemory: 1 << 30})
	if err != nil {
		t.Fatalf("lcache.New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// do runs a redis command given as one string split on spaces.
func do(db *DB, cmd string) string {
	return string(db.Do(nil, kvtest.ToArgs(strings.Split(cmd, " "))))
}

// servant is the API that kvdb shares with lcache: a pool or tier can hold
// either.
type servant interface {
	Do(dst []byte, args [][]byte) []byte
	DoMemcache(dst []byte, r *lcache.MC) []byte
	Close() error
}

var (
	_ servant = (*DB)(nil)
	_ servant = (*lcache.Cache)(nil)
)
