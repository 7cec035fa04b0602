package mysqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// plan splits the keys of a multi-key operation: table keys grouped by
// (server, database), template keys one by one. Repeated keys appear once.
type plan struct {
	groups  []*group
	singles []*single
}

// group is the table keys of one (server, database).
type group struct {
	server, db int
	uniq       [][]byte         // distinct keys, first-seen order
	pos        map[string][]int // key -> its positions in the request
}

// single is one distinct template key.
type single struct {
	t   target
	q   string
	pos []int // its positions in the request
}

// plan routes and maps keys; op ("get" or "set") picks the template
// statement, which must exist for every template key.
func (s *Store) plan(keys [][]byte, op string) (*plan, error) {
	p := new(plan)
	groups := make(map[int]*group)
	singles := make(map[string]*single)
	for i, key := range keys {
		t, err := s.locate(key)
		if err != nil {
			return nil, err
		}
		if t.tmpl != nil {
			sg := singles[string(key)]
			if sg == nil {
				q, err := s.statement(t, op)
				if err != nil {
					return nil, err
				}
				sg = &single{t: t, q: q}
				singles[string(key)] = sg
				p.singles = append(p.singles, sg)
			}
			sg.pos = append(sg.pos, i)
			continue
		}
		id := t.server*s.cfg.Databases + t.db
		g := groups[id]
		if g == nil {
			g = &group{server: t.server, db: t.db, pos: make(map[string][]int)}
			groups[id] = g
			p.groups = append(p.groups, g)
		}
		if _, seen := g.pos[string(key)]; !seen {
			g.uniq = append(g.uniq, key)
		}
		g.pos[string(key)] = append(g.pos[string(key)], i)
	}
	return p, nil
}

// MGet reads many keys: one SELECT ... IN per (server, database) and per
// 256 distinct keys for table keys, one query per distinct template key,
// all concurrently (at most Config.Parallel at a time). Values come back in
// the order of keys; a repeated key gets its value at every position. Any
// failed query fails the whole MGet.
func (s *Store) MGet(ctx context.Context, keys [][]byte) (values [][]byte, found []bool, err error) {
	ctx, cancel, err := s.begin(ctx)
	defer cancel()
	if err != nil {
		return nil, nil, err
	}
	p, err := s.plan(keys, "get")
	if err != nil {
		return nil, nil, err
	}
	values, found = make([][]byte, len(keys)), make([]bool, len(keys))
	var tasks []func(context.Context) error
	for _, g := range p.groups {
		for start := 0; start < len(g.uniq); start += maxBatch {
			chunk := g.uniq[start:min(start+maxBatch, len(g.uniq))]
			tasks = append(tasks, func(ctx context.Context) error {
				return s.mgetChunk(ctx, g, chunk, values, found)
			})
		}
	}
	for _, sg := range p.singles {
		tasks = append(tasks, func(ctx context.Context) error {
			return s.read(ctx, "mget", sg.t.server, sg.t.db, func(e *endpoint) error {
				v, ok, err := queryValue(ctx, e, sg.q, sg.t.param)
				if err == nil && ok {
					for _, i := range sg.pos {
						values[i], found[i] = v, true
					}
				}
				return err
			})
		})
	}
	if err := s.fanout(ctx, "mget", tasks); err != nil {
		return nil, nil, err
	}
	return values, found, nil
}

// mgetChunk reads up to maxBatch distinct keys of g with one statement and
// fills their positions. Rows are applied only when the whole statement
// succeeded, so a replica that fails halfway leaves nothing behind.
func (s *Store) mgetChunk(ctx context.Context, g *group, chunk [][]byte, values [][]byte, found []bool) error {
	bi := batchFor(len(chunk))
	args := make([]any, batchSizes[bi])
	for i := range args {
		args[i] = chunk[min(i, len(chunk)-1)]
	}
	var got [][2][]byte
	err := s.read(ctx, "mget", g.server, g.db, func(e *endpoint) error {
		got = got[:0]
		st, err := e.stmt(ctx, s.table.mget[bi])
		if err != nil {
			return err
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k, v []byte
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			got = append(got, [2][]byte{k, nonNil(v)})
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	for _, kv := range got {
		for _, i := range g.pos[string(kv[0])] {
			values[i], found[i] = kv[1], true
		}
	}
	return nil
}

// MSet writes many keys on their primaries: one multi-row INSERT ... ON
// DUPLICATE KEY UPDATE per (server, database) and per 256 distinct table
// keys, one Set statement per distinct template key, concurrently (at most
// Config.Parallel at a time). A key given twice takes its last value. It is
// not atomic: on an error some keys may have been written. ttl is ignored.
func (s *Store) MSet(ctx context.Context, keys, values [][]byte, ttl time.Duration) error {
	if len(keys) != len(values) {
		return fmt.Errorf("mysqlstore: mset: %d keys but %d values", len(keys), len(values))
	}
	ctx, cancel, err := s.begin(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	p, err := s.plan(keys, "set")
	if err != nil {
		return err
	}
	var tasks []func(context.Context) error
	for _, g := range p.groups {
		for start := 0; start < len(g.uniq); start += maxBatch {
			chunk := g.uniq[start:min(start+maxBatch, len(g.uniq))]
			tasks = append(tasks, func(ctx context.Context) error {
				return s.msetChunk(ctx, g, chunk, values)
			})
		}
	}
	for _, sg := range p.singles {
		v := nonNil(values[sg.pos[len(sg.pos)-1]])
		tasks = append(tasks, func(ctx context.Context) error {
			return s.write(ctx, "mset", sg.t.server, sg.t.db, func(e *endpoint) error {
				_, err := exec(ctx, e, sg.q, sg.t.param, v)
				return err
			})
		})
	}
	return s.fanout(ctx, "mset", tasks)
}

// msetChunk writes up to maxBatch distinct keys of g, each with the value
// of its last position, in one statement.
func (s *Store) msetChunk(ctx context.Context, g *group, chunk [][]byte, values [][]byte) error {
	bi := batchFor(len(chunk))
	args := make([]any, 0, 2*batchSizes[bi])
	for i := range batchSizes[bi] {
		k := chunk[min(i, len(chunk)-1)]
		pos := g.pos[string(k)]
		args = append(args, k, nonNil(values[pos[len(pos)-1]]))
	}
	return s.write(ctx, "mset", g.server, g.db, func(e *endpoint) error {
		_, err := exec(ctx, e, s.table.mset[bi], args...)
		return err
	})
}

// fanout runs tasks concurrently, at most Config.Parallel at a time, and
// returns the first error; the first error cancels the tasks still running
// and stops new ones. A single task runs on the caller's goroutine. Every
// goroutine started here has ended when fanout returns.
func (s *Store) fanout(ctx context.Context, op string, tasks []func(context.Context) error) error {
	if len(tasks) == 1 {
		return tasks[0](ctx)
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, s.cfg.Parallel)
	skipped := false
	for _, task := range tasks {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			skipped = true
		}
		if skipped {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := task(ctx); err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if err := parent.Err(); skipped && err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("mysqlstore: %s: %w: %w", op, ErrTimeout, err)
		}
		return fmt.Errorf("mysqlstore: %s: %w", op, err)
	}
	return nil
}
