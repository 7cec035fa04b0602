package kvdb

import (
	"strconv"
	"sync"
	"testing"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

// TestConcurrentReadModifyWrite runs read-modify-write commands of both
// protocols on shared keys from 8 goroutines each (with the sweeper
// running) and checks that no update was lost. Run it with -race.
func TestConcurrentReadModifyWrite(t *testing.T) {
	const workers, rounds = 8, 1000
	db := newTestDB(t, Config{SweepInterval: 1})
	run(t, db, []step{
		{"M set m 0 0|0", "STORED\r\n"},
		{"SET f 0", "+OK\r\n"},
	})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				if got := do(db, "INCR n"); got[0] != ':' {
					t.Errorf("INCR n: %q", got)
					return
				}
				mc(db, "incr m 1", "")
				switch i % 4 {
				case 0:
					do(db, "APPEND s x")
				case 1:
					do(db, "INCRBYFLOAT f 0.5")
				case 2:
					db.DoMemcache(nil, &MC{Cmd: "ma", Keys: kvtest.ToArgs([]string{"a"}), Meta: kvtest.ToArgs([]string{"N0", "J0"})})
				default:
					do(db, "GET k"+strconv.Itoa(w))
				}
			}
		})
	}
	wg.Wait()
	run(t, db, []step{
		{"GET n", "$4\r\n8000\r\n"},
		{"M get m", "VALUE m 0 4\r\n8000\r\nEND\r\n"},
		{"STRLEN s", ":2000\r\n"},
		{"GET f", "$4\r\n1000\r\n"},
		{"GET a", "$4\r\n1999\r\n"},
	})
}
