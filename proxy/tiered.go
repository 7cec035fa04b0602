package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/memcache"
	"github.com/fae-dev/fae/rediscmd"
	"github.com/fae-dev/fae/resp"
	"github.com/fae-dev/fae/tier"
)

// A tier chain pool has no servers: its GET/MGET/SET/DEL (memcache get,
// set, delete) go through a tier.Chain over other pools (and MySQL
// stores). A chain request runs in its own goroutine, unlike forwarded
// ones: it may take several round trips, to several tiers.

// namedStore is the tier.Store of the pool (or MySQL store) named name, as
// it is now: reloads swap what it resolves to.
type namedStore struct {
	srv  *Server
	name string
}

func (n namedStore) store() (tier.Store, error) {
	if st := n.srv.stores.Load(); st != nil {
		if s := (*st)[n.name]; s != nil {
			return s, nil
		}
	}
	return nil, fmt.Errorf("tier %q is not running", n.name)
}

func (n namedStore) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	s, err := n.store()
	if err != nil {
		return nil, false, err
	}
	return s.Get(ctx, key)
}

func (n namedStore) Set(ctx context.Context, key, value []byte, ttl time.Duration) error {
	s, err := n.store()
	if err != nil {
		return err
	}
	return s.Set(ctx, key, value, ttl)
}

func (n namedStore) Delete(ctx context.Context, key []byte) (bool, error) {
	s, err := n.store()
	if err != nil {
		return false, err
	}
	return s.Delete(ctx, key)
}

func (n namedStore) MGet(ctx context.Context, keys [][]byte) ([][]byte, []bool, error) {
	s, err := n.store()
	if err != nil {
		return nil, nil, err
	}
	return s.MGet(ctx, keys)
}

func (n namedStore) MSet(ctx context.Context, keys, values [][]byte, ttl time.Duration) error {
	s, err := n.store()
	if err != nil {
		return err
	}
	return s.MSet(ctx, keys, values, ttl)
}

// publishStores makes every pool and MySQL store reachable by name for the
// chains. Called when the set of pools changes.
func (s *Server) publishStores(mysql map[string]tier.Store) {
	m := map[string]tier.Store{}
	for name, st := range mysql {
		m[name] = st
	}
	for _, sl := range s.slotList() {
		m[sl.name] = slotStore{sl}
	}
	s.stores.Store(&m)
}

// newChain builds the chain of a tier pool over the named stores.
func (s *Server) newChain(pc config.Pool, cfg *config.Config) (*tier.Chain, error) {
	tc := tier.Config{WritePolicy: pc.Tier.WritePolicy, NegativeTTL: pc.Tier.NegativeTTL, Log: s.log.With("chain", pc.Name)}
	for _, name := range pc.Tier.Tiers {
		m := cfg.Pool(name)
		t := tier.Tier{Name: name, Store: namedStore{s, name}}
		if m != nil {
			t.TTL = m.Tier.TierTTL
		}
		tc.Tiers = append(tc.Tiers, t)
	}
	return tier.New(tc)
}

// chainTimeout bounds one chain request when the pool sets no timeout.
const chainTimeout = 5 * time.Second

// maxChainReply bounds the reply to one chain request: a multi-key read
// repeating a large value thousands of times is refused, not built.
const maxChainReply = 64 << 20

// errReplyTooLarge is the reason a chain read over maxChainReply is refused.
const errReplyTooLarge = "fae: the reply would exceed 64 MiB; ask for fewer keys"

// replySize returns the bytes of the values found.
func replySize(vs [][]byte, found []bool) int {
	n := 0
	for i, v := range vs {
		if found[i] {
			n += len(v) + 32
		}
	}
	return n
}

// tiered answers a Redis command of a chain pool.
func (s *session) tiered(cmd *rediscmd.Command, args [][]byte) {
	switch cmd.Name {
	case "get", "mget", "set", "del", "unlink", "exists":
	default:
		s.pushLocal(resp.AppendError(nil, "ERR fae: '"+cmd.Name+"' is not supported on a tier chain (GET, MGET, SET, DEL, UNLINK, EXISTS)"), false)
		return
	}
	if (cmd.Name == "get" || cmd.Name == "mget") && s.fastRead(args) {
		return
	}
	own := make([][]byte, len(args)) // args alias the read buffer
	for i, a := range args {
		own[i] = append([]byte(nil), a...)
	}
	s.async(func(ctx context.Context, chain *tier.Chain) []byte { return redisChain(ctx, chain, cmd.Name, own) })
}

// fastRead answers a GET or MGET in the reader when the chain's first tier
// is an in-process servant that has every key, and no earlier chain request
// of this session is still running (it might be a write of these keys).
// Most reads of a warm chain end here, with no goroutine and no copy.
func (s *session) fastRead(args [][]byte) bool {
	first := s.p.cfg.Tier.Tiers[0]
	if s.chainPending.Load() != 0 {
		return false
	}
	st := s.srv.stores.Load()
	if st == nil {
		return false
	}
	ss, ok := (*st)[first].(slotStore)
	if !ok {
		return false
	}
	fp := ss.sl.pool()
	if len(fp.servers) != 1 || fp.servers[0].cache == nil || fp.idgen {
		return false
	}
	c := newCall()
	c.Reply = fp.servers[0].cache.Do(c.Reply[:0], args)
	if len(c.Reply) == 0 || c.Reply[0] == '-' || bytes.Contains(c.Reply, []byte("$-1\r\n")) {
		c.release() // a miss (or a value that looks like one): the full chain
		return false
	}
	s.p.chain.CountHits(0, len(args)-1)
	c.markReady()
	s.push(c)
	return true
}

// async queues a call answered by f on the session's chain worker: the
// requests of one session run one after the other, in order (a pipelined
// GET after a SET sees the SET); different sessions run concurrently. The
// worker starts with the session's first chain request and ends when the
// session stops serving (stopChainWorker), once every request it was given
// is done.
func (s *session) async(f func(ctx context.Context, chain *tier.Chain) []byte) {
	c := newCall()
	s.push(c)
	p := s.p
	timeout := p.cfg.Timeout
	if timeout <= 0 {
		timeout = chainTimeout
	}
	if s.chainQ == nil {
		s.chainQ = make(chan func(), maxPipeline)
		go chainWorker(s.chainQ)
	}
	s.chainPending.Add(1)
	s.chainQ <- func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		c.Reply = append(c.Reply[:0], f(ctx, p.chain)...)
		s.chainPending.Add(-1)
		c.markReady()
	}
}

// chainWorker runs a session's chain requests in order until q closes.
func chainWorker(q chan func()) {
	for job := range q {
		job()
	}
}

// stopChainWorker ends the session's chain worker. Called by the reader
// once every reply is written, so the worker has nothing left to do.
func (s *session) stopChainWorker() {
	if s.chainQ != nil {
		close(s.chainQ)
		s.chainQ = nil
	}
}

// redisChain runs one command over the chain and renders its reply.
func redisChain(ctx context.Context, chain *tier.Chain, name string, args [][]byte) []byte {
	switch name {
	case "get":
		v, found, err := chain.Get(ctx, args[1])
		switch {
		case err != nil && !found:
			return chainError(err)
		case !found:
			return []byte("$-1\r\n")
		}
		return resp.AppendBulk(nil, v)
	case "mget", "exists":
		vs, found, err := chain.MGet(ctx, args[1:])
		if err != nil {
			return chainError(err)
		}
		if name == "mget" && replySize(vs, found) > maxChainReply {
			return resp.AppendError(nil, "ERR "+errReplyTooLarge)
		}
		if name == "exists" {
			n := 0
			for _, f := range found {
				if f {
					n++
				}
			}
			return resp.AppendInt(nil, int64(n))
		}
		out := resp.AppendArrayHeader(nil, len(vs))
		for i, v := range vs {
			if !found[i] {
				out = append(out, "$-1\r\n"...)
				continue
			}
			out = resp.AppendBulk(out, v)
		}
		return out
	case "set":
		ttl, err := setTTL(args[3:])
		if err != nil {
			return resp.AppendError(nil, err.Error())
		}
		if err := chain.Set(ctx, args[1], args[2], ttl); err != nil {
			return chainError(err)
		}
		return []byte("+OK\r\n")
	}
	n := 0 // del, unlink
	for _, k := range args[1:] {
		found, err := chain.Delete(ctx, k)
		if err != nil {
			return chainError(err)
		}
		if found {
			n++
		}
	}
	return resp.AppendInt(nil, int64(n))
}

// setTTL reads SET's options: EX seconds or PX milliseconds; others are
// refused on a chain.
func setTTL(opts [][]byte) (time.Duration, error) {
	switch {
	case len(opts) == 0:
		return 0, nil
	case len(opts) == 2:
		n, err := strconv.ParseInt(string(opts[1]), 10, 64)
		if err != nil || n <= 0 {
			return 0, errors.New("ERR invalid expire time in 'set' command")
		}
		switch strings.ToLower(string(opts[0])) {
		case "ex":
			return time.Duration(n) * time.Second, nil
		case "px":
			return time.Duration(n) * time.Millisecond, nil
		}
	}
	return 0, errors.New("ERR fae: a tier chain takes SET key value [EX seconds|PX milliseconds]")
}

func chainError(err error) []byte {
	return resp.AppendError(nil, "ERR fae: "+err.Error())
}

// mcTiered answers a memcache request of a chain pool: get/gets, set,
// delete. Values are stored without memcache flags (they read back as 0).
func (s *session) mcTiered(req *memcache.Request) {
	k := req.Kind
	keys := make([][]byte, len(req.Keys))
	for i, key := range req.Keys {
		keys[i] = append([]byte(nil), key...)
	}
	switch {
	case k == memcache.KindGet || k == memcache.KindGets:
		s.async(func(ctx context.Context, chain *tier.Chain) []byte {
			return mcChainGet(ctx, chain, keys, k == memcache.KindGets)
		})
	case k == memcache.KindSet:
		value, ttl, noreply := append([]byte(nil), req.Value...), mcTTL(req.Exptime), req.NoReply
		s.async(func(ctx context.Context, chain *tier.Chain) []byte {
			if err := chain.Set(ctx, keys[0], value, ttl); err != nil {
				return memcache.AppendServerError(nil, "fae: "+err.Error())
			}
			if noreply {
				return nil
			}
			return memcache.AppendLine(nil, "STORED")
		})
	case k == memcache.KindDelete:
		noreply := req.NoReply
		s.async(func(ctx context.Context, chain *tier.Chain) []byte {
			found, err := chain.Delete(ctx, keys[0])
			switch {
			case err != nil:
				return memcache.AppendServerError(nil, "fae: "+err.Error())
			case noreply:
				return nil
			case found:
				return memcache.AppendLine(nil, "DELETED")
			}
			return memcache.AppendLine(nil, "NOT_FOUND")
		})
	default:
		s.pushLocal(memcache.AppendServerError(nil, "fae: '"+k.String()+"' is not supported on a tier chain (get, gets, set, delete)"), false)
	}
}

func mcChainGet(ctx context.Context, chain *tier.Chain, keys [][]byte, cas bool) []byte {
	vs, found, err := chain.MGet(ctx, keys)
	if err != nil {
		return memcache.AppendServerError(nil, "fae: "+err.Error())
	}
	if replySize(vs, found) > maxChainReply {
		return memcache.AppendServerError(nil, errReplyTooLarge)
	}
	var out []byte
	for i, v := range vs {
		if !found[i] {
			continue
		}
		out = append(out, "VALUE "...)
		out = append(out, keys[i]...)
		out = fmt.Appendf(out, " 0 %d", len(v))
		if cas {
			out = append(out, " 0"...)
		}
		out = append(out, "\r\n"...)
		out = append(append(out, v...), "\r\n"...)
	}
	return append(out, "END\r\n"...)
}

// mcTTL turns a memcache exptime (seconds, or a unix time past 30 days)
// into a TTL.
func mcTTL(exptime int64) time.Duration {
	switch {
	case exptime <= 0:
		return 0
	case exptime > 30*24*3600:
		return max(time.Until(time.Unix(exptime, 0)), time.Second)
	}
	return time.Duration(exptime) * time.Second
}
