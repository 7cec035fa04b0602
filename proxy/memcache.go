package proxy

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/fae-dev/fae/memcache"
	"github.com/fae-dev/fae/servant/lcache"
)

// memcacheFront is the memcache text protocol frontend (classic and meta
// commands). Requests go to memcached servers, or to the lcache servant.
//
// noreply and the meta q flag are not forwarded: every request sent to a
// server gets a reply, so the backend connection's FIFO of replies can never
// fall out of step; the writer then drops what the client asked not to see.
type memcacheFront struct{}

var _ frontend = memcacheFront{}

// Values of call.drop.
const (
	dropNone = iota
	dropAll  // noreply: the client gets nothing
	dropMN   // quiet meta: the reply ends with the MN of the mn faed added
)

// quietHint marks the scan hint of a quiet meta request sent with an mn after
// it: its reply, possibly empty, runs up to and including "MN\r\n".
const quietHint = 0x80

func (memcacheFront) next(s *session, buf []byte) (n, need int, stop bool) {
	if s.skip > 0 { // the rest of a refused, too large data block
		k := min(s.skip, len(buf))
		s.skip -= k
		return k, 0, false
	}
	req := &s.mc
	n, err := memcache.ParseRequest(buf, req, s.p.mcLim)
	if errors.Is(err, memcache.ErrIncomplete) {
		return 0, n, false
	}
	if err != nil {
		var me *memcache.Error
		if !errors.As(err, &me) || me.Close {
			s.slot.counters.clientErr.Add(1)
			return 0, 0, true
		}
		if reply := me.AppendReply(nil); len(reply) > 0 {
			s.pushLocal(reply, false)
		}
		if errors.Is(err, memcache.ErrTooLarge) {
			s.mcForget(req)
		}
		if n > len(buf) {
			s.skip = n - len(buf)
			n = len(buf)
		}
		return n, 0, false
	}
	return n, 0, !s.mcHandle(req, buf[:n])
}

// mcHandle dispatches one parsed request; false means stop reading (quit).
func (s *session) mcHandle(req *memcache.Request, raw []byte) bool {
	s.cmdIdx = int(req.Kind)
	if why := s.refuseMemcache(req); why != "" {
		s.pushLocal(memcache.AppendServerError(nil, why), false)
		return true
	}
	switch k := req.Kind; {
	case s.p.chain != nil && k != memcache.KindQuit && k != memcache.KindVersion && k != memcache.KindVerbosity &&
		k != memcache.KindStats && k != memcache.KindMetaNoop:
		s.mcTiered(req)
	case k.IsFetch():
		s.p.stats.cmdGet.Add(int64(len(req.Keys)))
		s.mcFetch(req, raw)
	case k == memcache.KindQuit:
		s.pushLocal(nil, true)
		return false
	case k == memcache.KindVersion:
		s.pushLocal(memcache.AppendLine(nil, "VERSION "+memcachedVersion), false)
	case k == memcache.KindVerbosity:
		s.pushLocal(okUnlessNoReply(req), false)
	case k == memcache.KindStats:
		s.pushLocal(s.mcStats(req.Args[1:]), false)
	case k == memcache.KindMetaNoop:
		s.pushLocal(memcache.AppendLine(nil, "MN"), false)
	case k == memcache.KindFlushAll:
		s.mcBroadcast(req)
	case k == memcache.KindAdmin:
		s.pushLocal(memcache.AppendServerError(nil, "fae does not support '"+string(req.Name)+"'"), false)
	default: // storage, delete, incr, decr, touch, meta commands
		if k.IsStorage() || k == memcache.KindMetaSet {
			s.p.stats.cmdSet.Add(1)
		}
		s.mcForward(req)
	}
	return true
}

// memcachedVersion is what faed answers to "version".
const memcachedVersion = "1.6.0-fae-" + Version

func okUnlessNoReply(req *memcache.Request) []byte {
	if req.NoReply {
		return nil
	}
	return memcache.AppendLine(nil, "OK")
}

// routeKey is the key to hash: meta commands with the b flag carry base64.
func routeKey(req *memcache.Request) []byte {
	key := req.Keys[0]
	if req.Base64 {
		if d, err := base64.StdEncoding.DecodeString(string(key)); err == nil {
			return d
		}
	}
	return key
}

// mcForward sends a single-key request to its server, without noreply or q.
func (s *session) mcForward(req *memcache.Request) {
	if len(req.Keys) == 0 {
		s.pushLocal(memcache.AppendError(nil), false)
		return
	}
	key, read := routeKey(req), isRead(req.Kind)
	si, err := s.p.pick(key, read)
	if err != nil {
		s.pushLocal(memcacheBackendError(nil, err), false)
		return
	}
	c := newCall()
	c.Hint, c.read = uint8(req.Kind), read
	if s.p.stack != nil {
		c.routeKey = append(c.routeKey[:0], key...)
	}
	switch {
	case req.NoReply:
		c.drop = dropAll
		req.Args = req.Args[:len(req.Args)-1] // "noreply" is the last token
		c.Req = memcache.AppendRequest(c.Req[:0], req)
	case req.Quiet && s.p.targets[si].cache == nil:
		// memcached decides what q leaves out; the mn after the request
		// marks where its (possibly empty) reply ends
		c.drop, c.Hint = dropMN, c.Hint|quietHint
		c.Req = memcache.AppendRequest(c.Req[:0], req)
		c.Req = append(c.Req, "mn\r\n"...)
	default:
		c.Req = memcache.AppendRequest(c.Req[:0], req)
	}
	s.push(c)
	s.mcSend(si, c, req)
}

// isRead reports whether a memcache command only reads (may be retried and
// sent to a replica).
func isRead(k memcache.Kind) bool {
	switch k {
	case memcache.KindGet, memcache.KindGets, memcache.KindMetaGet:
		return true
	}
	return false
}

// mcForget follows a set or ms refused as too large: memcached then drops the
// key's old value, so the key's server is told to delete it (the client sees
// only the refusal).
func (s *session) mcForget(req *memcache.Request) {
	if (req.Kind != memcache.KindSet && req.Kind != memcache.KindMetaSet) || len(req.Keys) == 0 {
		return
	}
	del := memcache.Request{Kind: memcache.KindDelete, Keys: req.Keys[:1]}
	del.Args = [][]byte{[]byte("delete"), req.Keys[0]}
	if req.Kind == memcache.KindMetaSet {
		del.Kind, del.Args[0] = memcache.KindMetaDelete, []byte("md")
		if req.Base64 {
			del.Args = append(del.Args, []byte("b"))
			del.MetaFlags, del.Base64 = del.Args[2:], true
		}
	}
	del.Name = del.Args[0]
	si, err := s.p.pick(routeKey(&del), false)
	if err != nil {
		return
	}
	c := newCall()
	c.drop, c.Hint = dropAll, uint8(del.Kind)
	c.Req = memcache.AppendRequest(c.Req[:0], &del)
	s.push(c)
	s.mcSend(si, c, &del)
}

// mcSend hands a call to server si, or executes it in the servant.
func (s *session) mcSend(si int, c *call, req *memcache.Request) {
	if sv := s.p.targets[si]; sv.cache != nil {
		c.Reply = servantMemcache(sv, c.Reply[:0], req)
		c.Done()
		return
	}
	s.send(si, c, nil)
}

// mcFetch routes get, gets, gat and gats: whole to one server when all keys
// live there, else one part per server merged back in key order.
func (s *session) mcFetch(req *memcache.Request, raw []byte) {
	if len(req.Keys) == 0 { // gat/gats with no key: just END
		s.pushLocal(memcache.AppendEnd(nil), false)
		return
	}
	s.scratch = s.scratch[:0]
	for _, k := range req.Keys {
		si, err := s.p.pick(k, true)
		if err != nil {
			s.pushLocal(memcacheBackendError(nil, err), false)
			return
		}
		s.scratch = append(s.scratch, si)
	}
	if allSame(s.scratch) {
		c := newCall()
		c.Hint, c.read = uint8(req.Kind), isRead(req.Kind)
		c.Req = append(c.Req[:0], raw...)
		s.push(c)
		s.mcSend(s.scratch[0], c, req)
		return
	}
	c := s.mcSplit(req)
	s.push(c)
	for i, part := range c.parts {
		part.read = isRead(req.Kind)
		s.mcSend(int(s.partServer[i]), part, req)
	}
}

// mcSplit builds the parent call of a multi-server fetch and its parts.
func (s *session) mcSplit(req *memcache.Request) *call {
	c := newCall()
	c.merge = mergeValues
	s.groupParts(c, uint8(req.Kind))
	for _, part := range c.parts { // the command (and gat's exptime) without its "\r\n"
		part.Req = memcache.AppendGet(part.Req[:0], req, nil)
		part.Req = part.Req[:len(part.Req)-2]
	}
	for i, si := range s.scratch {
		p := s.byServ[si]
		part := c.parts[p]
		part.Req = append(append(part.Req, ' '), req.Keys[i]...)
		c.slots = append(c.slots, slot{part: p, elem: int32(i)})
	}
	for _, part := range c.parts {
		part.Req = append(part.Req, '\r', '\n')
	}
	c.keys = append(c.keys[:0], req.Keys...)
	c.keyBuf = c.keyBuf[:0]
	for i, k := range c.keys { // the keys alias the read buffer: copy
		c.keyBuf = append(c.keyBuf, k...)
		c.keys[i] = c.keyBuf[len(c.keyBuf)-len(k):]
	}
	return c
}

// mcBroadcast sends flush_all to every server of the pool.
func (s *session) mcBroadcast(req *memcache.Request) {
	c := newCall()
	c.merge = mergeAllOK
	if req.NoReply {
		c.drop = dropAll
		req.Args = req.Args[:len(req.Args)-1]
	}
	s.scratch = s.scratch[:0]
	for si := range s.p.servers {
		s.scratch = append(s.scratch, si)
	}
	s.groupParts(c, uint8(req.Kind))
	for _, part := range c.parts {
		part.Req = memcache.AppendRequest(part.Req[:0], req)
	}
	s.push(c)
	for i, part := range c.parts {
		s.mcSend(int(s.partServer[i]), part, req)
	}
}

func (memcacheFront) appendReply(s *session, dst []byte, c *call) []byte {
	if c.drop == dropAll {
		return dst
	}
	switch c.merge {
	case mergeValues:
		return c.pool.appendMergedValues(dst, c)
	case mergeAllOK:
		for _, p := range c.parts {
			if p.Err != nil {
				return memcacheBackendError(dst, p.Err)
			}
			if string(p.Reply) != "OK\r\n" {
				return append(dst, p.Reply...)
			}
		}
		return memcache.AppendLine(dst, "OK")
	}
	if c.Err != nil {
		if memcache.Kind(c.Hint).IsFetch() { // a failed get is a miss
			s.p.stats.failedKeys.Add(1)
			return memcache.AppendEnd(dst)
		}
		return memcacheBackendError(dst, c.Err)
	}
	if c.drop == dropMN {
		return append(dst, bytes.TrimSuffix(c.Reply, []byte("MN\r\n"))...)
	}
	return append(dst, c.Reply...)
}

// appendMergedValues merges a split fetch: for every requested key in order,
// the next VALUE block of its part if that block is for this key, else a
// miss. A part that failed counts its keys as misses (failedKeys).
func (p *Pool) appendMergedValues(dst []byte, c *call) []byte {
	offs := c.slotCounts(len(c.parts)) // how much of each part's reply is read
	for _, sl := range c.slots {
		part := c.parts[sl.part]
		if part.Err != nil {
			p.stats.failedKeys.Add(1)
			continue
		}
		key, block, _, ok := memcache.NextValue(part.Reply[offs[sl.part]:])
		if ok && string(key) == string(c.keys[sl.elem]) {
			dst = append(dst, block...)
			offs[sl.part] += int32(len(block))
		}
	}
	return memcache.AppendEnd(dst)
}

func memcacheBackendError(dst []byte, err error) []byte {
	return memcache.AppendServerError(dst, "fae: "+err.Error())
}

// mcStats answers stats: faed's own counters, "stats reset" clears them;
// the per-server reports (slabs, items, settings, ...) would be ambiguous
// through a proxy and are refused.
func (s *session) mcStats(args [][]byte) []byte {
	switch {
	case len(args) == 0:
		return s.srv.memcacheStats(s.p)
	case len(args) == 1 && string(args[0]) == "reset":
		s.p.stats.reset()
		return memcache.AppendLine(nil, "RESET")
	case len(args) == 1 && (string(args[0]) == "noreset" || string(args[0]) == "detail"):
		return memcache.AppendError(nil)
	}
	return memcache.AppendServerError(nil, "fae does not support 'stats "+string(args[0])+"' (ask a server directly)")
}

// memcacheStats renders faed's own counters in memcached's stats format.
func (s *Server) memcacheStats(p *Pool) []byte {
	now := time.Now()
	stat := func(dst []byte, name string, v any) []byte {
		return memcache.AppendLine(dst, fmt.Sprintf("STAT %s %v", name, v))
	}
	var b []byte
	b = stat(b, "pid", os.Getpid())
	b = stat(b, "uptime", int64(now.Sub(s.started).Seconds()))
	b = stat(b, "time", now.Unix())
	b = stat(b, "version", memcachedVersion)
	b = stat(b, "pointer_size", strconv.IntSize)
	b = stat(b, "curr_connections", s.Clients())
	b = stat(b, "parked_connections", s.Parked())
	b = stat(b, "cmd_get", p.stats.cmdGet.Load())
	b = stat(b, "cmd_set", p.stats.cmdSet.Load())
	b = stat(b, "get_failed_keys", p.stats.failedKeys.Load())
	b = stat(b, "servers", len(p.servers))
	b = stat(b, "live_servers", len(p.ring.Load().live))
	return memcache.AppendEnd(b)
}

// servantMemcache executes a memcache request in the lcache servant.
func servantMemcache(sv *server, dst []byte, req *memcache.Request) []byte {
	mc := lcache.MC{
		Cmd: req.Kind.String(), Keys: req.Keys, Flags: req.Flags, Exptime: req.Exptime,
		Cas: req.Cas, Delta: req.Delta, Value: req.Value, NoReply: req.NoReply, Meta: req.MetaFlags,
	}
	return sv.cache.DoMemcache(dst, &mc)
}

// scanMemcache finds the end of a memcached reply to a request of kind hint;
// with quietHint, the reply to a quiet meta request and the MN after it.
func scanMemcache(buf []byte, hint uint8) (int, error) {
	req := memcache.Request{Kind: memcache.Kind(hint &^ quietHint)}
	if hint&quietHint == 0 {
		return memcache.ReplyLen(buf, &req)
	}
	n := 0
	if !bytes.HasPrefix(buf, []byte("MN\r\n")) {
		if len(buf) < 4 && bytes.HasPrefix([]byte("MN\r\n"), buf) {
			return 0, memcache.ErrIncomplete
		}
		m, err := memcache.ReplyLen(buf, &req)
		if err != nil {
			return m, err
		}
		n = m
	}
	switch rest := buf[n:]; {
	case bytes.HasPrefix(rest, []byte("MN\r\n")):
		return n + 4, nil
	case len(rest) < 4 && bytes.HasPrefix([]byte("MN\r\n"), rest):
		return n + 4, memcache.ErrIncomplete
	}
	return 0, fmt.Errorf("%w: no MN after a quiet meta reply", memcache.ErrMalformedReply)
}
