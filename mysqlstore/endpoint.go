package mysqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"

	"github.com/go-sql-driver/mysql"
)

// endpoint is one database on one server (a DSN plus a database name): a
// database/sql pool and the statements prepared on it. Safe for concurrent
// use.
type endpoint struct {
	addr string // host:port, for errors
	name string // database name
	db   *sql.DB

	mu    sync.Mutex // guards stmts (the map, not the preparing)
	stmts map[string]*prepared
}

// prepared is one statement of an endpoint, prepared on first use. Its
// mutex is held while preparing, so concurrent first uses prepare once.
type prepared struct {
	mu   sync.Mutex
	stmt *sql.Stmt
}

// newEndpoint opens (without connecting) a pool on database name of the
// server dsn, sized by cfg.
func newEndpoint(dsn, name string, cfg *Config) (*endpoint, error) {
	dc, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: bad DSN", ErrConfig) // checked by validate
	}
	dc.DBName = name
	dc.Logger = logger{log: cfg.Log, addr: dc.Addr}
	conn, err := mysql.NewConnector(dc)
	if err != nil {
		return nil, fmt.Errorf("%w: DSN for %s: %v", ErrConfig, dc.Addr, err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(cfg.MaxOpen)
	db.SetMaxIdleConns(max(cfg.MaxIdle, 0))
	if cfg.IdleTTL > 0 {
		db.SetConnMaxIdleTime(cfg.IdleTTL)
	}
	return &endpoint{addr: dc.Addr, name: name, db: db, stmts: make(map[string]*prepared)}, nil
}

// stmt returns query prepared on the pool, preparing it on first use. A
// failed prepare is not remembered: the next call tries again.
func (e *endpoint) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	e.mu.Lock()
	p := e.stmts[query]
	if p == nil {
		p = new(prepared)
		e.stmts[query] = p
	}
	e.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stmt == nil {
		s, err := e.db.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		p.stmt = s
	}
	return p.stmt, nil
}

// close closes the statements and the pool.
func (e *endpoint) close() error {
	e.mu.Lock()
	for _, p := range e.stmts {
		p.mu.Lock()
		if p.stmt != nil {
			p.stmt.Close()
		}
		p.mu.Unlock()
	}
	e.mu.Unlock()
	return e.db.Close()
}

// logger passes the driver's messages to a slog.Logger, or drops them.
type logger struct {
	log  *slog.Logger
	addr string
}

// Print logs v as one warning naming the server.
func (l logger) Print(v ...any) {
	if l.log != nil {
		l.log.Warn(fmt.Sprint(v...), "component", "mysqlstore", "server", l.addr)
	}
}
