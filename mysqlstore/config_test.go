package mysqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/fae-dev/fae/hashkit"
	"github.com/go-sql-driver/mysql"
)

const dsn = "root@tcp(127.0.0.1:3306)/"

func TestValidate(t *testing.T) {
	ok := Config{Servers: []Shard{{Primary: dsn}}, Table: "kv"}
	tests := []struct {
		name string
		edit func(c *Config)
		want string // substring of the error; "" means valid
	}{
		{"table mapping", func(c *Config) {}, ""},
		{"templates only", func(c *Config) {
			c.Table = ""
			c.Templates = []Template{{Prefix: "user:", Get: "SELECT p FROM users WHERE id = ?"}}
		}, ""},
		{"no servers", func(c *Config) { c.Servers = nil }, "Servers: at least one"},
		{"empty primary", func(c *Config) { c.Servers = []Shard{{}} }, "Servers[0].Primary: empty DSN"},
		{"bad DSN", func(c *Config) { c.Servers[0].Primary = "root:secret@tcp(127.0.0.1:3306" }, "Servers[0].Primary: not a"},
		{"DSN names database", func(c *Config) { c.Servers[0].Primary = dsn + "shop" }, `names database "shop"`},
		{"bad replica", func(c *Config) { c.Servers[0].Replicas = []string{"x"} }, "Servers[0].Replicas[0]"},
		{"no mapping", func(c *Config) { c.Table = "" }, "no mapping"},
		{"table injection", func(c *Config) { c.Table = "kv; DROP TABLE kv" }, "Table: "},
		{"column injection", func(c *Config) { c.KeyColumn = "k`" }, "KeyColumn: "},
		{"database not identifier", func(c *Config) { c.Database = "fae-1" }, "Database: "},
		{"read policy", func(c *Config) { c.ReadPolicy = "nearest" }, "ReadPolicy"},
		{"idle above open", func(c *Config) { c.MaxOpen, c.MaxIdle = 2, 3 }, "MaxIdle"},
		{"template without get", func(c *Config) { c.Templates = []Template{{Prefix: "a:"}} }, "Templates[0].Get: required"},
		{"get with two params", func(c *Config) {
			c.Templates = []Template{{Prefix: "a:", Get: "SELECT v FROM t WHERE id = ? AND x = ?"}}
		}, "Templates[0].Get: 2 parameters"},
		{"set with one param", func(c *Config) {
			c.Templates = []Template{{Prefix: "a:", Get: "SELECT v FROM t WHERE id = ?", Set: "UPDATE t SET v = ?"}}
		}, "Templates[0].Set: 1 parameters"},
		{"quoted question mark", func(c *Config) {
			c.Templates = []Template{{Prefix: "a:", Get: "SELECT v FROM t WHERE id = ? AND n <> '?' AND `?` = \"?\""}}
		}, ""},
		{"shadowed prefix", func(c *Config) {
			c.Templates = []Template{{Prefix: "u", Get: "SELECT 1 FROM t WHERE ? = 1"}, {Prefix: "user:", Get: "SELECT 1 FROM t WHERE ? = 1"}}
		}, `Templates[1].Prefix: "user:" is never reached`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			c.Servers = []Shard{{Primary: dsn}}
			tt.edit(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an ErrConfig containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error %q shows the DSN's password", err)
			}
		})
	}
}

func TestDatabaseName(t *testing.T) {
	tests := []struct {
		database  string
		databases int
		db        int
		want      string
	}{
		{"", 0, 0, "fae"},
		{"shop", 1, 0, "shop"},
		{"", 4, 0, "fae_0"},
		{"shop", 4, 3, "shop_3"},
	}
	for _, tt := range tests {
		c := Config{Database: tt.database, Databases: tt.databases}.withDefaults()
		if got := c.databaseName(tt.db); got != tt.want {
			t.Errorf("Database %q Databases %d: index %d is %q, want %q", tt.database, tt.databases, tt.db, got, tt.want)
		}
	}
}

func TestDefaultRoute(t *testing.T) {
	fnv, _ := hashkit.Lookup("fnv1a_64")
	murmur, _ := hashkit.Lookup("murmur")
	tests := []struct {
		name               string
		hash               hashkit.Func // nil: the default
		want               hashkit.Func
		servers, databases int
	}{
		{"fnv1a_64 4x2", nil, fnv, 4, 2},
		{"fnv1a_64 2x1", nil, fnv, 2, 0},
		{"murmur 3x5", murmur, murmur, 3, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Databases: tt.databases, Table: "kv", Hash: tt.hash}
			for range tt.servers {
				c.Servers = append(c.Servers, Shard{Primary: dsn})
			}
			s, err := Open(c)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			dbs := uint32(max(tt.databases, 1))
			seen := make(map[[2]int]bool)
			for i := range 1000 {
				key := []byte(fmt.Sprintf("key:%d", i))
				db, server, err := s.Route(key)
				if err != nil {
					t.Fatal(err)
				}
				h, n := tt.want(key), uint32(tt.servers)
				if wantS, wantD := int(h%n), int(h/n%dbs); server != wantS || db != wantD {
					t.Fatalf("Route(%q) = db %d server %d, want db %d server %d", key, db, server, wantD, wantS)
				}
				seen[[2]int{db, server}] = true
			}
			if want := tt.servers * int(dbs); len(seen) != want {
				t.Fatalf("1000 keys used %d of %d (db, server) pairs", len(seen), want)
			}
		})
	}
}

func TestRouteOutOfRange(t *testing.T) {
	s, err := Open(Config{Servers: []Shard{{Primary: dsn}}, Table: "kv",
		Route: func([]byte) (int, int) { return 0, 1 }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Get(context.Background(), []byte("a")); !errors.Is(err, ErrConfig) {
		t.Fatalf("Get with Route out of range: got %v, want ErrConfig", err)
	}
}

func TestBatchFor(t *testing.T) {
	tests := []struct{ n, size int }{{1, 1}, {2, 4}, {4, 4}, {5, 16}, {64, 64}, {65, 256}, {256, 256}}
	for _, tt := range tests {
		if got := batchSizes[batchFor(tt.n)]; got != tt.size {
			t.Errorf("batch for %d keys: got size %d, want %d", tt.n, got, tt.size)
		}
	}
}

func TestTableQueries(t *testing.T) {
	q := newTableQueries("kv", "k", "v")
	tests := []struct{ name, got, want string }{
		{"get", q.get, "SELECT `v` FROM `kv` WHERE `k` = ?"},
		{"set", q.set, "INSERT INTO `kv` (`k`, `v`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `v` = VALUES(`v`)"},
		{"delete", q.del, "DELETE FROM `kv` WHERE `k` = ?"},
		{"mget 4", q.mget[1], "SELECT `k`, `v` FROM `kv` WHERE `k` IN (?,?,?,?)"},
		{"mset 1", q.mset[0], "INSERT INTO `kv` (`k`, `v`) VALUES (?,?) ON DUPLICATE KEY UPDATE `v` = VALUES(`v`)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestKind(t *testing.T) {
	expired, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	bg := context.Background()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want error
	}{
		{"deadline", bg, context.DeadlineExceeded, ErrTimeout},
		{"expired context", expired, mysql.ErrInvalidConn, ErrTimeout},
		{"refused", bg, &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, ErrUnavailable},
		{"bad conn", bg, driver.ErrBadConn, ErrUnavailable},
		{"invalid conn", bg, mysql.ErrInvalidConn, ErrUnavailable},
		{"too many connections", bg, &mysql.MySQLError{Number: 1040}, ErrUnavailable},
		{"sql error", bg, &mysql.MySQLError{Number: 1146, Message: "Table doesn't exist"}, nil},
		{"canceled", bg, context.Canceled, nil},
	}
	for _, tt := range tests {
		if got := kind(tt.ctx, tt.err); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	e := &Error{Op: "get", Server: "10.0.0.5:3306", Database: "fae_1", Kind: ErrTimeout, Err: context.DeadlineExceeded}
	want := "mysqlstore: get on 10.0.0.5:3306/fae_1: timeout: context deadline exceeded"
	if e.Error() != want {
		t.Fatalf("got %q, want %q", e.Error(), want)
	}
	if !errors.Is(e, ErrTimeout) || !errors.Is(e, context.DeadlineExceeded) {
		t.Fatalf("errors.Is does not find ErrTimeout and the cause in %v", e)
	}
}

func TestClosed(t *testing.T) {
	s, err := Open(Config{Servers: []Shard{{Primary: dsn}}, Table: "kv"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, err := s.Get(context.Background(), []byte("a")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: got %v, want ErrClosed", err)
	}
	if err := s.MSet(context.Background(), [][]byte{[]byte("a")}, nil, 0); err == nil {
		t.Fatal("MSet with 1 key and 0 values: got no error")
	}
}
