package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/fae-dev/fae/resp"
	"github.com/fae-dev/fae/servant/lcache"
)

// lcacheStore is a Store over the real lcache servant, speaking to it in
// Redis commands as the proxy's pools would.
type lcacheStore struct{ c *lcache.Cache }

var _ Store = (*lcacheStore)(nil)

// newLcacheStore returns a store over a fresh cache closed when t ends.
func newLcacheStore(t testing.TB) *lcacheStore {
	t.Helper()
	c, err := lcache.New(lcache.Config{})
	if err != nil {
		t.Fatalf("lcache.New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &lcacheStore{c: c}
}

// do runs one command and returns its RESP reply.
func (s *lcacheStore) do(args ...[]byte) []byte { return s.c.Do(nil, args) }

func (s *lcacheStore) Get(_ context.Context, key []byte) ([]byte, bool, error) {
	return parseBulk(s.do([]byte("GET"), key))
}

func (s *lcacheStore) Set(_ context.Context, key, value []byte, ttl time.Duration) error {
	args := [][]byte{[]byte("SET"), key, value}
	if ttl > 0 {
		args = append(args, []byte("PX"), strconv.AppendInt(nil, max(ttl.Milliseconds(), 1), 10))
	}
	return wantOK(s.c.Do(nil, args))
}

func (s *lcacheStore) Delete(_ context.Context, key []byte) (bool, error) {
	reply := s.do([]byte("DEL"), key)
	n, ok := resp.ParseInt(reply)
	if !ok {
		return false, replyError(reply)
	}
	return n > 0, nil
}

func (s *lcacheStore) MGet(_ context.Context, keys [][]byte) ([][]byte, []bool, error) {
	reply := s.c.Do(nil, append([][]byte{[]byte("MGET")}, keys...))
	elems, ok := resp.ArrayElems(reply, nil)
	if !ok {
		return nil, nil, replyError(reply)
	}
	values, found := make([][]byte, len(elems)), make([]bool, len(elems))
	for i, e := range elems {
		var err error
		if values[i], found[i], err = parseBulk(e); err != nil {
			return nil, nil, err
		}
	}
	return values, found, nil
}

func (s *lcacheStore) MSet(ctx context.Context, keys, values [][]byte, ttl time.Duration) error {
	if ttl > 0 { // MSET has no TTL: one SET PX per key
		for i := range keys {
			if err := s.Set(ctx, keys[i], values[i], ttl); err != nil {
				return err
			}
		}
		return nil
	}
	args := [][]byte{[]byte("MSET")}
	for i := range keys {
		args = append(args, keys[i], values[i])
	}
	return wantOK(s.c.Do(nil, args))
}

// pttl returns the remaining TTL of key in milliseconds as lcache reports it
// (-1 no TTL, -2 no key).
func (s *lcacheStore) pttl(t testing.TB, key string) int64 {
	t.Helper()
	reply := s.do([]byte("PTTL"), []byte(key))
	n, ok := resp.ParseInt(reply)
	if !ok {
		t.Fatalf("PTTL %q: reply %q", key, reply)
	}
	return n
}

// raw returns the value lcache holds for key, bypassing the HTTP API.
func (s *lcacheStore) raw(t testing.TB, key []byte) ([]byte, bool) {
	t.Helper()
	v, ok, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("lcache GET %q: %v", key, err)
	}
	return v, ok
}

// parseBulk decodes a bulk string reply; $-1 is not found.
func parseBulk(reply []byte) ([]byte, bool, error) {
	if bytes.Equal(reply, []byte("$-1\r\n")) {
		return nil, false, nil
	}
	if len(reply) < 4 || reply[0] != '$' {
		return nil, false, replyError(reply)
	}
	i := bytes.IndexByte(reply, '\r')
	n, err := strconv.Atoi(string(reply[1:max(i, 1)]))
	if i < 0 || err != nil || n < 0 || len(reply) != i+2+n+2 {
		return nil, false, fmt.Errorf("lcache: malformed bulk reply %q", reply)
	}
	return reply[i+2 : i+2+n], true, nil
}

// wantOK checks a +OK reply.
func wantOK(reply []byte) error {
	if string(reply) == "+OK\r\n" {
		return nil
	}
	return replyError(reply)
}

// replyError turns an unexpected reply into an error.
func replyError(reply []byte) error {
	if len(reply) > 0 && reply[0] == '-' {
		return fmt.Errorf("lcache: %s", bytes.TrimSpace(reply[1:]))
	}
	return fmt.Errorf("lcache: unexpected reply %q", reply)
}

// errStore fails every call with err.
type errStore struct{ err error }

func (s errStore) Get(context.Context, []byte) ([]byte, bool, error) { return nil, false, s.err }
func (s errStore) Set(context.Context, []byte, []byte, time.Duration) error {
	return s.err
}
func (s errStore) Delete(context.Context, []byte) (bool, error) { return false, s.err }
func (s errStore) MGet(context.Context, [][]byte) ([][]byte, []bool, error) {
	return nil, nil, s.err
}
func (s errStore) MSet(context.Context, [][]byte, [][]byte, time.Duration) error { return s.err }

// shortStore answers MGet with one value too few, as a buggy Store might.
type shortStore struct{ Store }

func (s shortStore) MGet(ctx context.Context, keys [][]byte) ([][]byte, []bool, error) {
	v, f, err := s.Store.MGet(ctx, keys)
	return v[1:], f[1:], err
}

// waitStore blocks every call until its context ends, and returns the
// context's error.
type waitStore struct{}

func (waitStore) Get(ctx context.Context, _ []byte) ([]byte, bool, error) {
	<-ctx.Done()
	return nil, false, ctx.Err()
}
func (waitStore) Set(ctx context.Context, _, _ []byte, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}
func (waitStore) Delete(ctx context.Context, _ []byte) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}
func (waitStore) MGet(ctx context.Context, _ [][]byte) ([][]byte, []bool, error) {
	<-ctx.Done()
	return nil, nil, ctx.Err()
}
func (waitStore) MSet(ctx context.Context, _, _ [][]byte, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

// gateStore wraps a Store: Get announces itself on started and then waits
// for release to be closed before calling through.
type gateStore struct {
	Store
	started chan struct{}
	release chan struct{}
}

func (s *gateStore) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	s.started <- struct{}{}
	<-s.release
	return s.Store.Get(ctx, key)
}

// errBoom is a Store failure that is neither a timeout nor bad input.
var errBoom = errors.New("boom")
