package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fae-dev/fae/resp"
)

// The methods in this file let code other than a client session (the HTTP
// API) read and write a pool's keys: the same routing and backend
// connections, one call per server, waiting with a context.

// ErrReply is returned when a server answers with an error reply.
var ErrReply = errors.New("server error reply")

// Get returns the value of key; found is false on a miss.
func (p *Pool) Get(ctx context.Context, key []byte) (value []byte, found bool, err error) {
	vals, founds, err := p.MGet(ctx, [][]byte{key})
	if err != nil {
		return nil, false, err
	}
	return vals[0], founds[0], nil
}

// Set stores value under key, expiring after ttl (0: never).
func (p *Pool) Set(ctx context.Context, key, value []byte, ttl time.Duration) error {
	args := [][]byte{[]byte("SET"), key, value}
	if ttl > 0 {
		args = append(args, []byte("PX"), strconv.AppendInt(nil, max(ttl.Milliseconds(), 1), 10))
	}
	reply, err := p.do(ctx, key, args)
	if err != nil {
		return err
	}
	if string(reply) != "+OK\r\n" {
		return replyError(reply)
	}
	return nil
}

// Delete removes key; found reports whether it existed.
func (p *Pool) Delete(ctx context.Context, key []byte) (found bool, err error) {
	reply, err := p.do(ctx, key, [][]byte{[]byte("DEL"), key})
	if err != nil {
		return false, err
	}
	n, ok := resp.ParseInt(reply)
	if !ok {
		return false, replyError(reply)
	}
	return n > 0, nil
}

// MGet returns the values of keys in order; found[i] is false on a miss.
func (p *Pool) MGet(ctx context.Context, keys [][]byte) (values [][]byte, found []bool, err error) {
	values, found = make([][]byte, len(keys)), make([]bool, len(keys))
	errs := make(chan error, len(keys))
	for i, k := range keys { // one GET per key, all in flight at once
		go func() {
			reply, err := p.do(ctx, k, [][]byte{[]byte("GET"), k})
			if err == nil {
				values[i], found[i], err = bulkValue(reply)
			}
			errs <- err
		}()
	}
	for range keys {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	return values, found, err
}

// MSet stores every key with its value, expiring after ttl (0: never).
func (p *Pool) MSet(ctx context.Context, keys, values [][]byte, ttl time.Duration) error {
	if len(keys) != len(values) {
		return fmt.Errorf("mset: %d keys but %d values", len(keys), len(values))
	}
	errs := make(chan error, len(keys))
	for i := range keys {
		go func() { errs <- p.Set(ctx, keys[i], values[i], ttl) }()
	}
	var err error
	for range keys {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	return err
}

// do sends one command to the server owning key and returns its reply.
func (p *Pool) do(ctx context.Context, key []byte, args [][]byte) ([]byte, error) {
	si, err := p.pick(key)
	if err != nil {
		return nil, err
	}
	sv := p.servers[si]
	if sv.cache != nil {
		return sv.cache.Do(nil, args), nil
	}
	c := newCall()
	c.Req = resp.AppendCommand(c.Req[:0], args...)
	c.Deadline = p.deadline(ctx)
	conn := sv.be.Conn(uint32(si)) // any connection: ordering is per call here
	conn.Send(&c.Call)
	conn.Flush()
	select {
	case <-c.ready:
	case <-ctx.Done():
		// the backend still owns c: leave it to the garbage collector
		return nil, ctx.Err()
	}
	defer c.release()
	if c.Err != nil {
		return nil, c.Err
	}
	return append([]byte(nil), c.Reply...), nil
}

// deadline is the earlier of ctx's deadline and the pool's timeout.
func (p *Pool) deadline(ctx context.Context) time.Time {
	d, ok := ctx.Deadline()
	if p.cfg.Timeout > 0 {
		if t := time.Now().Add(p.cfg.Timeout); !ok || t.Before(d) {
			return t
		}
	}
	if ok {
		return d
	}
	return time.Time{}
}

// bulkValue reads a bulk or null reply.
func bulkValue(reply []byte) ([]byte, bool, error) {
	if string(reply) == "$-1\r\n" {
		return nil, false, nil
	}
	if len(reply) == 0 || reply[0] != '$' {
		return nil, false, replyError(reply)
	}
	start := bytes.IndexByte(reply, '\n') + 1
	return reply[start : len(reply)-2], true, nil
}

func replyError(reply []byte) error {
	if len(reply) > 0 && reply[0] == '-' {
		return fmt.Errorf("%w: %s", ErrReply, reply[1:len(reply)-2])
	}
	return fmt.Errorf("%w: unexpected %q", ErrReply, reply)
}

// Pool returns the pool named name, or nil.
func (s *Server) Pool(name string) *Pool {
	for _, p := range s.pools {
		if p.cfg.Name == name {
			return p
		}
	}
	return nil
}
