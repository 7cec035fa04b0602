package testkit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MariaDBStartTimeout bounds how long StartMariaDB and MariaDB.Restart wait
// for the server to answer SQL; longer than StartTimeout because a loaded host
// slows InnoDB's start-up most.
const MariaDBStartTimeout = 30 * time.Second

// StopTimeout bounds how long MariaDB.Stop waits for mariadbd to exit after
// SIGTERM before it sends SIGKILL.
const StopTimeout = 10 * time.Second

// mariadbInit runs at every start of mariadbd (--init-file): it makes sure
// root may log in over TCP from 127.0.0.1 with no password (the name
// resolution that would map 127.0.0.1 to root@localhost is off) and that the
// database "test" exists.
const mariadbInit = `CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS test;
`

// MariaDB is a mariadbd started by StartMariaDB: a throwaway server with its
// own data directory, listening on a free 127.0.0.1 port, where root logs in
// over TCP with no password. The embedded Process gives Pause, Resume, Kill,
// Pid and Output; Restart and Stop are MariaDB's own (they wait for a SQL
// answer and stop gracefully). Exec, QueryRow and Status run on one admin
// connection pool, which survives restarts. Methods end the test on failure.
type MariaDB struct {
	*Process

	admin *sql.DB
}

// StartMariaDB creates a data directory with mariadb-install-db, starts
// mariadbd on it with settings tuned for start-up speed rather than
// durability (small InnoDB files, no fsync, no binary log), and returns once
// it answers SQL over TCP; the answer must come from this server, not from
// another that took the port (a port lost that way is replaced, up to three
// tries). Both steps take under a second each on an idle host. A t.Cleanup
// stops the server (SIGTERM, then SIGKILL after StopTimeout) and removes the
// directory.
// Extra arguments go to mariadbd (e.g. "--max-connections=20").
//
// A missing mariadbd or mariadb-install-db fails the test under CI=true
// naming the Debian package mariadb-server, and skips it elsewhere.
func StartMariaDB(t testing.TB, extra ...string) *MariaDB {
	t.Helper()
	path := Need(t, "mariadbd", "mariadb-server")
	install := Need(t, "mariadb-install-db", "mariadb-server")
	// a short directory of our own, not t.TempDir: the unix socket's path
	// must fit in 108 bytes whatever the test's name
	dir, err := os.MkdirTemp("", "mariadb-")
	if err != nil {
		t.Fatalf("mariadb: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	// temporary tables of its own: /tmp is shared with whatever else runs
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatalf("mariadb: %v", err)
	}
	// speed over durability: no fsync (a SIGKILL still loses nothing the
	// OS has, only a host crash would), no doublewrite, small files
	tuning := []string{"--skip-log-bin", "--innodb-buffer-pool-size=16M",
		"--innodb-log-file-size=4M", "--innodb-data-file-path=ibdata1:4M:autoextend",
		"--innodb-autoextend-increment=1", "--innodb-flush-method=nosync",
		"--innodb-doublewrite=0", "--tmpdir=" + tmp}
	installDB(t, install, data, tuning)
	initFile := filepath.Join(dir, "init.sql")
	if err := os.WriteFile(initFile, []byte(mariadbInit), 0o644); err != nil {
		t.Fatalf("mariadb: %v", err)
	}
	// --no-defaults must come first
	args := append([]string{"--no-defaults", "--datadir=" + data,
		"--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(dir, "mysqld.sock"),
		"--pid-file=" + filepath.Join(dir, "mysqld.pid"),
		"--init-file=" + initFile, "--skip-name-resolve",
		"--innodb-flush-log-at-trx-commit=2", "--skip-innodb-adaptive-hash-index",
		"--performance-schema=OFF"}, tuning...)
	if os.Geteuid() == 0 {
		args = append(args, "--user=root") // mariadbd refuses root otherwise
	}
	args = append(args, extra...)
	m := &MariaDB{Process: &Process{Name: "mariadbd", Dir: dir, t: t}}
	t.Cleanup(m.Stop) // runs before the directory removal registered above
	// A free port may be taken before mariadbd binds it (by another test
	// process): then mariadbd exits, and another port is tried.
	const attempts = 3
	for attempt := 1; ; attempt++ {
		port := FreePort(t)
		m.Port, m.Addr = port, fmt.Sprintf("127.0.0.1:%d", port)
		m.args = append(append([]string{path}, args...), "--port="+fmt.Sprint(port))
		m.admin = m.open(t, "")
		m.launch()
		err := m.waitReady()
		if err == nil {
			return m
		}
		out := m.Output()
		m.Stop()
		if attempt == attempts || !strings.Contains(out, "Address already in use") {
			t.Fatalf("%v\n%s", err, tail(out, 4000))
		}
	}
}

// installDB runs mariadb-install-db into dir, failing the test with its
// output when it fails.
func installDB(t testing.TB, install, dir string, tuning []string) {
	t.Helper()
	args := append([]string{"--no-defaults", "--datadir=" + dir,
		"--auth-root-authentication-method=normal", "--skip-test-db",
		"--skip-name-resolve"}, tuning...)
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, install, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
}

// DSN returns a go-sql-driver/mysql DSN for root on this server, using
// database db ("" for none), e.g. "root@tcp(127.0.0.1:40123)/test".
func (m *MariaDB) DSN(db string) string {
	return fmt.Sprintf("root@tcp(%s)/%s", m.Addr, db)
}

// Open returns a connection pool to database db ("" for none), closed when
// the test ends.
func (m *MariaDB) Open(t testing.TB, db string) *sql.DB {
	t.Helper()
	return m.open(t, db)
}

func (m *MariaDB) open(t testing.TB, db string) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(m.DSN(db))
	if err != nil {
		t.Fatalf("mariadb DSN: %v", err)
	}
	cfg.Logger = &mysql.NopLogger{} // restarts make the driver log closed idle connections
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatalf("mariadb connector: %v", err)
	}
	pool := sql.OpenDB(conn)
	t.Cleanup(func() { pool.Close() })
	return pool
}

// Exec runs one SQL statement (no multi-statements) on the server with
// optional arguments, failing the test on error. The admin pool has no
// current database: qualify table names ("test.t").
func (m *MariaDB) Exec(t testing.TB, query string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	if _, err := m.admin.ExecContext(ctx, query, args...); err != nil {
		t.Fatalf("mariadb %s: %s: %v", m.Addr, query, err)
	}
}

// QueryRow runs a query that returns one row and scans it into dest,
// failing the test on error. It reports false when there is no row.
func (m *MariaDB) QueryRow(t testing.TB, query string, args []any, dest ...any) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	err := m.admin.QueryRowContext(ctx, query, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return false
	}
	if err != nil {
		t.Fatalf("mariadb %s: %s: %v", m.Addr, query, err)
	}
	return true
}

// Status returns a global status counter of the server, such as
// "Com_select" (statements the server ran, counting prepared executions) or
// "Questions".
func (m *MariaDB) Status(t testing.TB, name string) int64 {
	t.Helper()
	if !identifier.MatchString(name) {
		t.Fatalf("mariadb: bad status variable name %q", name)
	}
	var key string
	var v int64
	// SHOW cannot take a placeholder; the name was checked above. Reading
	// information_schema instead would count as a SELECT itself.
	if !m.QueryRow(t, "SHOW GLOBAL STATUS LIKE '"+name+"'", nil, &key, &v) {
		t.Fatalf("mariadb %s: no status variable %q", m.Addr, name)
	}
	return v
}

// Stop shuts the server down with SIGTERM, as an orderly shutdown, and waits
// for it; after StopTimeout it sends SIGKILL. It is idempotent; Restart
// starts the server again.
func (m *MariaDB) Stop() {
	cmd := m.cmd
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT) // a paused server cannot shut down
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(StopTimeout):
		_ = cmd.Process.Kill()
		<-done
	}
	m.cmd = nil
}

// Restart kills the server with SIGKILL (a crash: InnoDB recovers committed
// transactions on the way up) and starts it again on the same port and data
// directory, returning once it answers SQL. Call Stop first for an orderly
// restart.
func (m *MariaDB) Restart() {
	m.t.Helper()
	m.Kill()
	m.launch()
	if err := m.waitReady(); err != nil {
		m.t.Fatalf("restart: %v\n%s", err, tail(m.Output(), 4000))
	}
}

// waitReady polls until this server answers SQL, its process exits, or
// MariaDBStartTimeout ends.
func (m *MariaDB) waitReady() error {
	deadline := time.Now().Add(MariaDBStartTimeout)
	for {
		err := m.ping()
		if err == nil {
			return nil
		}
		if m.exited() {
			return fmt.Errorf("mariadbd for %s exited: %v", m.Addr, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mariadbd on %s did not answer within %v: %v", m.Addr, MariaDBStartTimeout, err)
		}
		time.Sleep(20 * time.Millisecond) // poll interval, bounded by the deadline
	}
}

// ping checks that the server on Addr answers and is this one (its pid
// file), not another test's server that took the port.
func (m *MariaDB) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var pidFile string
	if err := m.admin.QueryRowContext(ctx, "SELECT @@pid_file").Scan(&pidFile); err != nil {
		return err
	}
	if want := filepath.Join(m.Dir, "mysqld.pid"); pidFile != want {
		return fmt.Errorf("%s is another server (pid file %s, want %s)", m.Addr, pidFile, want)
	}
	return nil
}

// exited reports whether the server process has ended (it failed to start).
func (m *MariaDB) exited() bool {
	if m.cmd == nil || m.cmd.Process == nil {
		return true
	}
	// an exited child stays a zombie until Wait: look at its state
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", m.cmd.Process.Pid))
	if err != nil {
		return true
	}
	_, after, ok := strings.Cut(string(b), ") ")
	return ok && strings.HasPrefix(after, "Z")
}

// identifier matches a status variable name.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
