package lcache

import (
	"errors"
	"strings"
	"testing"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

// exchange is one command and the exact reply it must get.
type exchange struct {
	args []string
	want string
}

// x builds an exchange from the command words and the wanted reply.
func x(want string, args ...string) exchange { return exchange{args: args, want: want} }

// script is a named sequence of exchanges run against a fresh Cache.
type script struct {
	name  string
	steps []exchange
}

// runScripts runs each script as a subtest on its own Cache.
func runScripts(t *testing.T, scripts []script) {
	t.Helper()
	for _, sc := range scripts {
		t.Run(sc.name, func(t *testing.T) {
			c := newTestCache(t, Config{})
			for i, st := range sc.steps {
				got := string(c.Do(nil, kvtest.ToArgs(st.args)))
				if got != st.want {
					t.Fatalf("step %d %s: got %q, want %q", i+1, kvtest.QuoteArgs(kvtest.ToArgs(st.args)), got, st.want)
				}
			}
		})
	}
}

func TestDispatch(t *testing.T) {
	runScripts(t, []script{
		{"command name in any case", []exchange{
			x("+OK\r\n", "sEt", "k", "v"),
			x("$1\r\nv\r\n", "GET", "k"),
			x("$1\r\nv\r\n", "get", "k"),
		}},
		{"unsupported command", []exchange{
			x("-ERR lcache does not support 'hset'\r\n", "hset", "h", "f", "v"),
			x("-ERR lcache does not support 'FLUSHALL'\r\n", "FLUSHALL"),
			x("-ERR lcache does not support 'get\x00'\r\n", "get\x00", "k"),
			x("-ERR lcache does not support 'a  b'\r\n", "a\r\nb"),
			x("-ERR lcache does not support '"+strings.Repeat("x", 128)+"'\r\n", strings.Repeat("x", 200)),
		}},
		{"arity", []exchange{
			x("-ERR wrong number of arguments for 'get' command\r\n", "GET"),
			x("-ERR wrong number of arguments for 'get' command\r\n", "get", "a", "b"),
			x("-ERR wrong number of arguments for 'set' command\r\n", "SET", "k"),
			x("-ERR wrong number of arguments for 'getrange' command\r\n", "getrange", "k", "0"),
			x("-ERR wrong number of arguments for 'del' command\r\n", "del"),
			x("-ERR wrong number of arguments for 'dbsize' command\r\n", "dbsize", "x"),
			x("-ERR wrong number of arguments for 'incrbyfloat' command\r\n", "INCRBYFLOAT", "k"),
			x("-ERR wrong number of arguments for 'pexpireat' command\r\n", "pexpireat", "k"),
		}},
	})
}

func TestDoEmptyAndClosed(t *testing.T) {
	c := newTestCache(t, Config{})
	if got := string(c.Do(nil, nil)); got != "-ERR empty command\r\n" {
		t.Errorf("Do(no args) = %q, want the empty command error", got)
	}
	c.Do(nil, kvtest.ToArgs([]string{"SET", "k", "v"}))
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if got := string(c.Do(nil, kvtest.ToArgs([]string{"GET", "k"}))); got != "-ERR lcache is closed\r\n" {
		t.Errorf("GET after Close = %q, want the closed error", got)
	}
}

func TestDoAppendsToDst(t *testing.T) {
	c := newTestCache(t, Config{})
	dst := c.Do([]byte("prefix"), kvtest.ToArgs([]string{"PING"}))
	if got, want := string(dst), "prefix+PONG\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDoDoesNotRetainArgs(t *testing.T) {
	c := newTestCache(t, Config{})
	args := kvtest.ToArgs([]string{"SET", "key", "value"})
	c.Do(nil, args)
	for _, a := range args {
		for i := range a {
			a[i] = 'X'
		}
	}
	if got, want := string(c.Do(nil, kvtest.ToArgs([]string{"GET", "key"}))), "$5\r\nvalue\r\n"; got != want {
		t.Errorf("GET after the caller reused its buffers = %q, want %q", got, want)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"zero is valid", Config{}, false},
		{"positive", Config{MaxMemory: 1 << 20}, false},
		{"negative", Config{MaxMemory: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			c, err := New(tt.cfg)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("New() error = %v, want ErrInvalidConfig", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New() = %v", err)
			}
			defer c.Close()
			want := tt.cfg.MaxMemory
			if want == 0 {
				want = DefaultMaxMemory
			}
			if got := int64(c.store.GetMaximum()); got != want {
				t.Errorf("maximum weight = %d, want %d", got, want)
			}
		})
	}
}
