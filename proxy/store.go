package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/memcache"
	"github.com/fae-dev/fae/resp"
)

// The methods in this file let code other than a client session (the HTTP
// API) read and write a pool's keys: the same routing and backend
// connections, one call per server, waiting with a context.

// ErrReply is returned when a server answers with an error reply.
var ErrReply = errors.New("server error reply")

// Get returns the value of key; found is false on a miss.
func (p *Pool) Get(ctx context.Context, key []byte) (value []byte, found bool, err error) {
	if p.memcacheBackend() {
		reply, err := p.do(ctx, key, fmt.Appendf(nil, "get %s\r\n", key), uint8(memcache.KindGet), nil)
		if err != nil {
			return nil, false, err
		}
		return memcacheValue(reply)
	}
	reply, err := p.do(ctx, key, nil, 0, [][]byte{[]byte("GET"), key})
	if err != nil {
		return nil, false, err
	}
	return bulkValue(reply)
}

// Set stores value under key, expiring after ttl (0: never).
func (p *Pool) Set(ctx context.Context, key, value []byte, ttl time.Duration) error {
	if p.memcacheBackend() {
		req := memcache.Request{Kind: memcache.KindSet, Keys: [][]byte{key}, Value: value, Exptime: memcacheExptime(ttl)}
		reply, err := p.do(ctx, key, memcache.AppendStorage(nil, &req), uint8(memcache.KindSet), nil)
		if err != nil {
			return err
		}
		if string(reply) != "STORED\r\n" {
			return replyError(reply)
		}
		return nil
	}
	args := [][]byte{[]byte("SET"), key, value}
	if ttl > 0 {
		args = append(args, []byte("PX"), strconv.AppendInt(nil, max(ttl.Milliseconds(), 1), 10))
	}
	reply, err := p.do(ctx, key, nil, 0, args)
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
	if p.memcacheBackend() {
		reply, err := p.do(ctx, key, fmt.Appendf(nil, "delete %s\r\n", key), uint8(memcache.KindDelete), nil)
		switch {
		case err != nil:
			return false, err
		case string(reply) == "DELETED\r\n":
			return true, nil
		case string(reply) == "NOT_FOUND\r\n":
			return false, nil
		}
		return false, replyError(reply)
	}
	reply, err := p.do(ctx, key, nil, 0, [][]byte{[]byte("DEL"), key})
	if err != nil {
		return false, err
	}
	n, ok := resp.ParseInt(reply)
	if !ok {
		return false, replyError(reply)
	}
	return n > 0, nil
}

// memcacheBackend reports whether the pool's servers speak memcache (a
// servant is always addressed in RESP: it holds one set of keys for both).
func (p *Pool) memcacheBackend() bool {
	return p.cfg.Protocol == config.ProtocolMemcache && p.cfg.Servant == ""
}

// memcacheExptime turns a TTL into memcached's exptime: seconds, rounded up,
// or an absolute unix time beyond 30 days.
func memcacheExptime(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	secs := int64((ttl + time.Second - 1) / time.Second)
	if secs > 30*24*3600 {
		return time.Now().Unix() + secs
	}
	return secs
}

// memcacheValue reads the reply to a one-key get.
func memcacheValue(reply []byte) ([]byte, bool, error) {
	if string(reply) == "END\r\n" {
		return nil, false, nil
	}
	_, block, rest, ok := memcache.NextValue(reply)
	if !ok || string(rest) != "END\r\n" {
		return nil, false, replyError(reply)
	}
	start := bytes.IndexByte(block, '\n') + 1
	return block[start : len(block)-2], true, nil
}

// MGet returns the values of keys in order; found[i] is false on a miss.
func (p *Pool) MGet(ctx context.Context, keys [][]byte) (values [][]byte, found []bool, err error) {
	values, found = make([][]byte, len(keys)), make([]bool, len(keys))
	errs := make(chan error, len(keys))
	for i, k := range keys { // one GET per key, all in flight at once
		go func() {
			var err error
			values[i], found[i], err = p.Get(ctx, k)
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

// do sends one request to the server owning key and returns its reply: req
// (with its scan hint) to a backend, or args (RESP) to a servant; req nil
// means args in RESP. Only GET-style requests (hint get, or GET) are reads.
func (p *Pool) do(ctx context.Context, key, req []byte, hint uint8, args [][]byte) ([]byte, error) {
	read := hint == uint8(memcache.KindGet) || req == nil && len(args) == 2 && string(args[0]) == "GET"
	si, err := p.pick(key, read)
	if err != nil {
		return nil, err
	}
	sv := p.targets[si]
	if sv.cache != nil {
		return sv.cache.Do(nil, args), nil
	}
	c := newCall()
	if req == nil {
		c.Req = resp.AppendCommand(c.Req[:0], args...)
	} else {
		c.Req = append(c.Req[:0], req...)
	}
	c.Hint, c.Deadline, c.read = hint, p.deadline(ctx), read
	conn := sv.be.Conn(uint32(si)) // any connection: ordering is per call here
	if p.stack != nil {
		c.pool, c.connIdx = p, uint32(si)
		c.routeKey = append(c.routeKey[:0], key...)
		if !p.begin(c, sv, time.Now()) {
			return p.wait(ctx, c)
		}
	}
	conn.Send(&c.Call)
	conn.Flush()
	return p.wait(ctx, c)
}

// wait waits for c and returns a copy of its reply.
func (p *Pool) wait(ctx context.Context, c *call) ([]byte, error) {
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
	for _, sl := range s.slotList() {
		if sl.name == name {
			return sl.pool()
		}
	}
	return nil
}
