package mysqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Store is a key-value view of sharded MySQL databases, the shape of a tier
// in faed's tier chain (Get, Set, Delete, MGet, MSet). Open makes one; it is
// safe for concurrent use.
type Store struct {
	cfg    Config // with defaults
	shards []*shard
	route  func(key []byte) (db, server int)
	table  tableQueries

	stats     counters
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// shard is one Config.Servers entry: an endpoint per database on the
// primary and on each replica.
type shard struct {
	primary  []*endpoint   // by database index
	replicas [][]*endpoint // [replica][database index]
	next     atomic.Uint64 // round robin over replicas
}

// counters are the live Stats.
type counters struct {
	queries, reads, writes, errors, fallbacks atomic.Uint64
}

// Stats counts the statements a Store sent, since Open.
type Stats struct {
	// Queries is the number of statements executed: Reads + Writes. An MGet
	// of keys on one server and database is one query per 256 keys.
	Queries uint64
	// Reads counts SELECT statements.
	Reads uint64
	// Writes counts INSERT/UPDATE/DELETE statements (template or table).
	Writes uint64
	// Errors counts statements that failed (timeouts and unreachable
	// servers included).
	Errors uint64
	// Fallbacks counts reads that failed on an unreachable replica and were
	// sent to the primary.
	Fallbacks uint64
}

// target is where a key lives and how to reach it.
type target struct {
	server, db int
	tmpl       *Template // nil: the default table
	param      []byte    // the key minus the template prefix
}

// Open validates cfg and opens a connection pool per server DSN and
// database. It does not connect: servers need not be up until the first
// query. Errors wrap ErrConfig.
func Open(cfg Config) (*Store, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	s := &Store{cfg: c, route: c.Route}
	if s.route == nil {
		s.route = defaultRoute(c.Hash, len(c.Servers), c.Databases)
	}
	if c.Table != "" {
		s.table = newTableQueries(c.Table, c.KeyColumn, c.ValueColumn)
	}
	for _, srv := range c.Servers {
		sh := new(shard)
		s.shards = append(s.shards, sh)
		var err error
		if sh.primary, err = s.endpoints(srv.Primary); err != nil {
			s.Close()
			return nil, err
		}
		for _, r := range srv.Replicas {
			eps, err := s.endpoints(r)
			if err != nil {
				s.Close()
				return nil, err
			}
			sh.replicas = append(sh.replicas, eps)
		}
	}
	return s, nil
}

// endpoints opens one endpoint per database of the server dsn.
func (s *Store) endpoints(dsn string) ([]*endpoint, error) {
	eps := make([]*endpoint, s.cfg.Databases)
	for db := range eps {
		e, err := newEndpoint(dsn, s.cfg.databaseName(db), &s.cfg)
		if err != nil {
			for _, o := range eps[:db] {
				o.close()
			}
			return nil, err
		}
		eps[db] = e
	}
	return eps, nil
}

// defaultRoute is h = hash(key); server = h % servers; db = (h / servers)
// % databases.
func defaultRoute(hash func([]byte) uint32, servers, databases int) func([]byte) (int, int) {
	return func(key []byte) (int, int) {
		h := uint64(hash(key))
		n := uint64(servers)
		return int(h / n % uint64(databases)), int(h % n)
	}
}

// Close closes every connection pool; queries in flight fail. It is
// idempotent and safe from any goroutine; later calls return the first
// call's result and operations return ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		var errs []error
		for _, sh := range s.shards {
			for _, e := range sh.primary {
				if e != nil {
					errs = append(errs, e.close())
				}
			}
			for _, r := range sh.replicas {
				for _, e := range r {
					errs = append(errs, e.close())
				}
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Stats returns the counters so far. Safe for concurrent use.
func (s *Store) Stats() Stats {
	return Stats{
		Queries:   s.stats.queries.Load(),
		Reads:     s.stats.reads.Load(),
		Writes:    s.stats.writes.Load(),
		Errors:    s.stats.errors.Load(),
		Fallbacks: s.stats.fallbacks.Load(),
	}
}

// Route returns the database index and the server index (into
// Config.Servers) of key, as Config.Route or the default route gives them.
// An index out of range is an error wrapping ErrConfig.
func (s *Store) Route(key []byte) (db, server int, err error) {
	db, server = s.route(key)
	if server < 0 || server >= len(s.shards) || db < 0 || db >= s.cfg.Databases {
		return 0, 0, fmt.Errorf("%w: Route(%q) = db %d, server %d; want db < %d, server < %d",
			ErrConfig, key, db, server, s.cfg.Databases, len(s.shards))
	}
	return db, server, nil
}

// locate routes key and finds its mapping: the first template whose prefix
// starts it, else the default table.
func (s *Store) locate(key []byte) (target, error) {
	db, server, err := s.Route(key)
	if err != nil {
		return target{}, err
	}
	t := target{server: server, db: db, param: key}
	for i := range s.cfg.Templates {
		tm := &s.cfg.Templates[i]
		if bytes.HasPrefix(key, []byte(tm.Prefix)) {
			t.tmpl, t.param = tm, key[len(tm.Prefix):]
			return t, nil
		}
	}
	if s.cfg.Table == "" {
		return target{}, fmt.Errorf("%w %q: no template prefix matches and Config.Table is not set", ErrNoMapping, key)
	}
	return t, nil
}

// statement returns the SQL of op ("get", "set", "delete") for t, or
// ErrNoMapping when its template has none.
func (s *Store) statement(t target, op string) (string, error) {
	if t.tmpl == nil {
		switch op {
		case "get":
			return s.table.get, nil
		case "set":
			return s.table.set, nil
		}
		return s.table.del, nil
	}
	q := t.tmpl.Delete
	switch op {
	case "get":
		q = t.tmpl.Get
	case "set":
		q = t.tmpl.Set
	}
	if q == "" {
		return "", fmt.Errorf("%w: template with prefix %q has no %s statement", ErrNoMapping, t.tmpl.Prefix, op)
	}
	return q, nil
}

// begin checks the store is open and bounds ctx by Config.Timeout.
func (s *Store) begin(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if s.closed.Load() {
		return ctx, func() {}, ErrClosed
	}
	if s.cfg.Timeout < 0 {
		return ctx, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	return ctx, cancel, nil
}

// run executes fn on e, counting the statement and wrapping its error in
// an *Error.
func (s *Store) run(ctx context.Context, op string, e *endpoint, write bool, fn func(e *endpoint) error) error {
	s.stats.queries.Add(1)
	if write {
		s.stats.writes.Add(1)
	} else {
		s.stats.reads.Add(1)
	}
	err := fn(e)
	if err == nil {
		return nil
	}
	s.stats.errors.Add(1)
	return &Error{Op: op, Server: e.addr, Database: e.name, Kind: kind(ctx, err), Err: err}
}

// read runs fn on a replica of the server under ReadReplica, falling back to
// the primary when the replica is unavailable, else on the primary.
func (s *Store) read(ctx context.Context, op string, server, db int, fn func(e *endpoint) error) error {
	sh := s.shards[server]
	if s.cfg.ReadPolicy == ReadReplica && len(sh.replicas) > 0 {
		i := (sh.next.Add(1) - 1) % uint64(len(sh.replicas))
		err := s.run(ctx, op, sh.replicas[i][db], false, fn)
		if err == nil || !errors.Is(err, ErrUnavailable) || ctx.Err() != nil {
			return err
		}
		s.stats.fallbacks.Add(1)
	}
	return s.run(ctx, op, sh.primary[db], false, fn)
}

// write runs fn on the server's primary.
func (s *Store) write(ctx context.Context, op string, server, db int, fn func(e *endpoint) error) error {
	return s.run(ctx, op, s.shards[server].primary[db], true, fn)
}

// Get reads key's value. A missing row is found == false with a nil error.
func (s *Store) Get(ctx context.Context, key []byte) (value []byte, found bool, err error) {
	ctx, cancel, err := s.begin(ctx)
	defer cancel()
	if err != nil {
		return nil, false, err
	}
	t, err := s.locate(key)
	if err != nil {
		return nil, false, err
	}
	q, err := s.statement(t, "get")
	if err != nil {
		return nil, false, err
	}
	err = s.read(ctx, "get", t.server, t.db, func(e *endpoint) error {
		var err error
		value, found, err = queryValue(ctx, e, q, t.param)
		return err
	})
	return value, found, err
}

// queryValue runs a one-parameter read and returns the first column of its
// first row.
func queryValue(ctx context.Context, e *endpoint, q string, param []byte) ([]byte, bool, error) {
	st, err := e.stmt(ctx, q)
	if err != nil {
		return nil, false, err
	}
	rows, err := st.QueryContext(ctx, param)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, false, rows.Err()
	}
	cols, err := rows.Columns()
	if err != nil {
		return nil, false, err
	}
	v := []byte{}
	dest := make([]any, len(cols))
	dest[0] = &v
	for i := 1; i < len(dest); i++ {
		dest[i] = new(sql.RawBytes)
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, false, err
	}
	if v == nil {
		v = []byte{} // NULL
	}
	return v, true, rows.Close()
}

// Set writes key's value on its primary. ttl is ignored: rows do not
// expire.
func (s *Store) Set(ctx context.Context, key, value []byte, ttl time.Duration) error {
	ctx, cancel, err := s.begin(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	t, err := s.locate(key)
	if err != nil {
		return err
	}
	q, err := s.statement(t, "set")
	if err != nil {
		return err
	}
	return s.write(ctx, "set", t.server, t.db, func(e *endpoint) error {
		_, err := exec(ctx, e, q, t.param, nonNil(value))
		return err
	})
}

// Delete removes key on its primary; found reports whether a row went.
func (s *Store) Delete(ctx context.Context, key []byte) (found bool, err error) {
	ctx, cancel, err := s.begin(ctx)
	defer cancel()
	if err != nil {
		return false, err
	}
	t, err := s.locate(key)
	if err != nil {
		return false, err
	}
	q, err := s.statement(t, "delete")
	if err != nil {
		return false, err
	}
	err = s.write(ctx, "delete", t.server, t.db, func(e *endpoint) error {
		n, err := exec(ctx, e, q, t.param)
		found = n > 0
		return err
	})
	return found, err
}

// exec runs a prepared write and returns the rows it affected.
func exec(ctx context.Context, e *endpoint, q string, args ...any) (int64, error) {
	st, err := e.stmt(ctx, q)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// nonNil turns a nil value into an empty one, so that it is stored as an
// empty string rather than NULL.
func nonNil(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}
