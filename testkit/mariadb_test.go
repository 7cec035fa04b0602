package testkit

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestMariaDB starts one server and runs the lifecycle steps in order on it:
// they share its data, and starting a server costs about two seconds.
func TestMariaDB(t *testing.T) {
	start := time.Now()
	m := StartMariaDB(t)
	t.Logf("mariadbd on %s answered after %v", m.Addr, time.Since(start))
	if !strings.HasPrefix(m.DSN("test"), "root@tcp(127.0.0.1:") {
		t.Fatalf("DSN = %q, want root@tcp(127.0.0.1:PORT)/test", m.DSN("test"))
	}

	m.Exec(t, "CREATE TABLE test.kv (k VARBINARY(64) PRIMARY KEY, v BLOB) ENGINE=InnoDB")
	m.Exec(t, "INSERT INTO test.kv VALUES (?, ?), (?, ?)", "a", "1", "b", "2")

	t.Run("select", func(t *testing.T) {
		db := m.Open(t, "test") // a pool on the test database, through DSN
		var v string
		if err := db.QueryRow("SELECT v FROM kv WHERE k = ?", "b").Scan(&v); err != nil {
			t.Fatalf("select: %v", err)
		}
		if v != "2" {
			t.Fatalf("got v=%q, want %q", v, "2")
		}
		if m.QueryRow(t, "SELECT v FROM test.kv WHERE k = ?", []any{"zz"}, &v) {
			t.Fatalf("missing key: got a row %q, want none", v)
		}
	})

	t.Run("status", func(t *testing.T) {
		before := m.Status(t, "Com_select")
		var v string
		m.QueryRow(t, "SELECT v FROM test.kv WHERE k = ?", []any{"a"}, &v)
		// Status itself is a SHOW, not a SELECT
		if got := m.Status(t, "Com_select"); got != before+1 {
			t.Fatalf("Com_select went %d -> %d, want +1", before, got)
		}
	})

	t.Run("pause", func(t *testing.T) {
		db := m.Open(t, "test")
		db.SetMaxIdleConns(0) // open a fresh connection under the pause too
		m.Pause()
		defer m.Resume()
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		t0 := time.Now()
		var v string
		err := db.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = ?", "a").Scan(&v)
		took := time.Since(t0)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("query on a paused server: got err %v, want context.DeadlineExceeded", err)
		}
		if took > 2*time.Second {
			t.Fatalf("query on a paused server took %v, want about 300ms", took)
		}
		m.Resume()
		if !m.QueryRow(t, "SELECT v FROM test.kv WHERE k = ?", []any{"a"}, &v) || v != "1" {
			t.Fatalf("after resume: got %q, want %q", v, "1")
		}
	})

	t.Run("restart keeps data", func(t *testing.T) {
		m.Exec(t, "INSERT INTO test.kv VALUES (?, ?)", "c", "3")
		pid := m.Pid()
		t0 := time.Now()
		m.Restart() // SIGKILL: crash recovery must keep the committed row
		t.Logf("restart after SIGKILL took %v", time.Since(t0))
		if m.Pid() == pid || m.Pid() == 0 {
			t.Fatalf("pid %d after restart, want a new process (was %d)", m.Pid(), pid)
		}
		var v string
		if !m.QueryRow(t, "SELECT v FROM test.kv WHERE k = ?", []any{"c"}, &v) || v != "3" {
			t.Fatalf("after restart: got %q, want %q", v, "3")
		}
	})

	t.Run("stop and restart", func(t *testing.T) {
		m.Stop()
		m.Stop() // idempotent
		if m.Pid() != 0 {
			t.Fatalf("pid %d after Stop, want 0", m.Pid())
		}
		m.Restart()
		var n int
		m.QueryRow(t, "SELECT COUNT(*) FROM test.kv", nil, &n)
		if n != 3 {
			t.Fatalf("got %d rows after a clean restart, want 3", n)
		}
	})
}
