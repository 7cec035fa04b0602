package kvdb

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"dir only", Config{Dir: "/tmp/x"}, true},
		{"all set", Config{Dir: "d", MaxMemory: 1 << 20, Sync: true, SweepInterval: -1}, true},
		{"no dir", Config{}, false},
		{"negative memory", Config{Dir: "d", MaxMemory: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok %t", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want it to wrap ErrInvalidConfig", err)
			}
		})
	}
}

func TestOpenInvalidConfig(t *testing.T) {
	if _, err := Open(Config{}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Open(Config{}) = %v, want ErrInvalidConfig", err)
	}
}

// writeRaw writes key=value straight into a pebble store in dir.
func writeRaw(t *testing.T, dir string, kv ...string) {
	t.Helper()
	pdb, err := pebble.Open(dir, &pebble.Options{Logger: pebbleLogger{slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatalf("pebble.Open: %v", err)
	}
	for i := 0; i < len(kv); i += 2 {
		if err := pdb.Set([]byte(kv[i]), []byte(kv[i+1]), pebble.Sync); err != nil {
			t.Fatalf("pebble Set: %v", err)
		}
	}
	if err := pdb.Close(); err != nil {
		t.Fatalf("pebble Close: %v", err)
	}
}

func TestOpenRejectsForeignData(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
	}{
		{"data without format mark", []string{"kfoo", "bar"}},
		{"other format version", []string{formatKey, "kvdb 99"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeRaw(t, dir, tt.kv...)
			db, err := Open(Config{Dir: dir})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded, want ErrFormat")
			}
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Open: %v, want ErrFormat", err)
			}
		})
	}
}

func TestOpenLockedDir(t *testing.T) {
	dir := t.TempDir()
	newTestDB(t, Config{Dir: dir})
	if db2, err := Open(Config{Dir: dir}); err == nil {
		db2.Close()
		t.Fatal("second Open of the same directory succeeded")
	}
}

func TestCloseIdempotent(t *testing.T) {
	db, err := Open(Config{Dir: t.TempDir(), SweepInterval: 1})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatalf("Close again: %v", err)
	}
	if got, want := do(db, "GET k"), "-ERR kvdb is closed\r\n"; got != want {
		t.Errorf("GET after Close: got %q, want %q", got, want)
	}
	if got, want := string(db.DoMemcache(nil, &MC{Cmd: "get", Keys: kvtest.ToArgs([]string{"k"})})), "SERVER_ERROR kvdb is closed\r\n"; got != want {
		t.Errorf("get after Close: got %q, want %q", got, want)
	}
	if _, err := db.Sweep(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Sweep after Close: %v, want ErrClosed", err)
	}
}

// TestCloseDuringCommands closes a DB while goroutines run commands: each
// reply is a normal one or the closed error, and nothing panics.
func TestCloseDuringCommands(t *testing.T) {
	db, err := Open(Config{Dir: t.TempDir(), SweepInterval: 1})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var wg sync.WaitGroup
	var ran atomic.Int64
	for g := range 4 {
		wg.Go(func() {
			for {
				var reply string
				if g%2 == 0 {
					reply = do(db, "INCR n")
				} else {
					reply = string(db.DoMemcache(nil, &MC{Cmd: "set", Keys: kvtest.ToArgs([]string{"m"}), Value: []byte("v")}))
				}
				switch {
				case reply == "-ERR kvdb is closed\r\n", reply == "SERVER_ERROR kvdb is closed\r\n":
					return
				case reply != "STORED\r\n" && !strings.HasPrefix(reply, ":"):
					t.Errorf("reply %q", reply)
					return
				}
				ran.Add(1)
			}
		})
	}
	for ran.Load() < 200 {
		if _, err := db.Sweep(context.Background()); err != nil {
			t.Fatalf("Sweep: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
}

func TestReplies(t *testing.T) {
	db := newTestDB(t, Config{MaxMemory: 1 << 20})
	big := strings.Repeat("x", 2<<20)
	tests := []struct{ cmd, want string }{
		{"PING", "+PONG\r\n"},
		{"SET k v", "+OK\r\n"},
		{"GET k", "$1\r\nv\r\n"},
		{"SET big " + big, "+OK\r\n"}, // larger than MaxMemory: no -OOM
		{"STRLEN big", ":2097152\r\n"},
		{"HSET h f v", "-ERR kvdb does not support 'HSET'\r\n"},
		{"GET", "-ERR wrong number of arguments for 'get' command\r\n"},
		{"TYPE k", "+string\r\n"},
		{"DBSIZE", ":2\r\n"},
		{"FLUSHDB", "+OK\r\n"},
		{"DBSIZE", ":0\r\n"},
	}
	for _, tt := range tests {
		if got := do(db, tt.cmd); got != tt.want {
			t.Errorf("%.40s: got %.80q, want %.80q", tt.cmd, got, tt.want)
		}
	}
	mg := &MC{Cmd: "mg", Keys: kvtest.ToArgs([]string{"k"}), Meta: kvtest.ToArgs([]string{"h"})}
	if got, want := string(db.DoMemcache(nil, mg)), "CLIENT_ERROR kvdb does not support meta flag h\r\n"; got != want {
		t.Errorf("mg k h: got %q, want %q", got, want)
	}
}

// TestCorruptRecord checks that a record kvdb cannot decode is answered with
// an error that replaces the whole reply, in both protocols.
func TestCorruptRecord(t *testing.T) {
	db := newTestDB(t, Config{})
	if err := db.pdb.Set([]byte("kbad"), []byte("xx"), pebble.Sync); err != nil {
		t.Fatalf("pebble Set: %v", err)
	}
	do(db, "SET ok 1")
	const errText = "kvdb: corrupt record: 2 bytes, shorter than its header"
	tests := []struct{ cmd, want string }{
		{"GET bad", "-ERR " + errText + "\r\n"},
		{"MGET ok bad", "-ERR " + errText + "\r\n"},
		{"INCR bad", "-ERR " + errText + "\r\n"},
		{"DBSIZE", "-ERR key \"bad\": " + errText + "\r\n"},
		{"GET ok", "$1\r\n1\r\n"},
	}
	for _, tt := range tests {
		if got := do(db, tt.cmd); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.cmd, got, tt.want)
		}
	}
	get := &MC{Cmd: "get", Keys: kvtest.ToArgs([]string{"ok", "bad"})}
	if got, want := string(db.DoMemcache(nil, get)), "SERVER_ERROR "+errText+"\r\n"; got != want {
		t.Errorf("get ok bad: got %q, want %q", got, want)
	}
	incr := &MC{Cmd: "incr", Keys: kvtest.ToArgs([]string{"bad"}), Delta: 1, NoReply: true}
	if got := db.DoMemcache(nil, incr); len(got) != 0 {
		t.Errorf("incr bad noreply: got %q, want nothing", got)
	}
	if got := do(db, "SET bad fixed"); got != "+OK\r\n" {
		t.Errorf("SET over a corrupt record: got %q", got)
	}
	if got := do(db, "GET bad"); got != "$5\r\nfixed\r\n" {
		t.Errorf("GET after SET: got %q", got)
	}
}
