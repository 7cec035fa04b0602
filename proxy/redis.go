package proxy

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/fae-dev/fae/rediscmd"
	"github.com/fae-dev/fae/resp"
)

// handle routes one parsed request; raw is its wire form (args alias it). It
// returns false when the session must stop reading (QUIT).
func (s *session) handle(args [][]byte, raw []byte) bool {
	cmd := rediscmd.Lookup(args[0])
	s.cmdIdx = s.slot.counters.other()
	if cmd != nil {
		s.cmdIdx = cmd.ID
	}
	switch {
	case s.p.idgen && (cmd == nil || cmd.Kind != rediscmd.Local) && s.auth:
		s.pushLocal(s.p.servers[0].cache.Do(nil, args), false)
	case cmd == nil:
		s.pushLocal(resp.AppendError(nil, unknownCommand(args)), false)
	case !s.auth && !allowedBeforeAuth(cmd.Name):
		s.pushLocal(resp.AppendError(nil, "NOAUTH Authentication required."), false)
	case !cmd.ArityOK(len(args)):
		s.pushLocal(resp.AppendError(nil, "ERR wrong number of arguments for '"+cmd.Name+"' command"), false)
	case cmd.Kind == rediscmd.Local:
		return s.local(cmd, args)
	case s.srv.ops.full():
		s.pushLocal(resp.AppendError(nil, busyReply), false)
	case s.sw != nil && s.sw.refuseRedis(cmd) != "":
		s.pushLocal(resp.AppendError(nil, s.sw.refuseRedis(cmd)), false)
	case s.p.chain != nil:
		s.tiered(cmd, args)
	case cmd.Kind == rediscmd.Unsupported:
		s.pushLocal(resp.AppendError(nil, "ERR fae does not support '"+cmd.Name+"' ("+cmd.Reason+")"), false)
	case cmd.Blocking(args):
		s.pushLocal(resp.AppendError(nil, "ERR fae does not support '"+cmd.Name+"' with BLOCK (blocking command)"), false)
	case cmd.Kind == rediscmd.Multi:
		s.multi(cmd, args, raw)
	default:
		s.keyed(cmd, args, raw)
	}
	return true
}

func allowedBeforeAuth(name string) bool {
	return name == "auth" || name == "hello" || name == "quit"
}

// keyed forwards a Single or SameServer command to the one server that owns
// all of its keys.
func (s *session) keyed(cmd *rediscmd.Command, args [][]byte, raw []byte) {
	s.keys = cmd.Keys(args, s.keys[:0])
	if len(s.keys) == 0 {
		s.pushLocal(resp.AppendError(nil, "ERR fae cannot find the key of '"+cmd.Name+"' (check its numkeys argument)"), false)
		return
	}
	si, err := s.p.pick(args[s.keys[0]], cmd.ReadOnly)
	if err != nil {
		s.pushLocal(appendBackendError(nil, err), false)
		return
	}
	for _, k := range s.keys[1:] {
		sj, err := s.p.pick(args[k], cmd.ReadOnly)
		if err != nil {
			s.pushLocal(appendBackendError(nil, err), false)
			return
		}
		if sj != si {
			s.pushLocal(resp.AppendError(nil, "CROSSSLOT keys of '"+cmd.Name+
				"' live on different servers; use a hash tag such as {user:1} to keep them together"), false)
			return
		}
	}
	s.forward(si, args, raw, args[s.keys[0]], cmd.ReadOnly)
}

// forward sends the request unchanged to target si. key, when not nil, lets
// a retry route it afresh; read marks an idempotent read.
func (s *session) forward(si int, args [][]byte, raw, key []byte, read bool) {
	c := newCall()
	c.read = read
	if s.p.stack != nil && key != nil {
		c.routeKey = append(c.routeKey[:0], key...)
	}
	if raw[0] == '*' {
		c.Req = append(c.Req[:0], raw...)
	} else {
		c.Req = resp.AppendCommand(c.Req[:0], args...) // inline form
	}
	s.push(c)
	s.send(si, c, args)
}

// unknownCommand renders redis-server's reply to an unknown command: the
// name cut at 128 bytes, then quoted arguments until the list reaches 128
// bytes (each cut to what is left), each read as a C string (up to a NUL);
// CR and LF become spaces.
func unknownCommand(args [][]byte) string {
	var list []byte
	for _, a := range args[1:] {
		if len(list) >= 128 {
			break
		}
		list = append(list, '\'')
		list = append(list, cString(a[:min(len(a), 128-len(list)+1)])...)
		list = append(list, '\'', ' ')
	}
	name := cString(args[0][:min(len(args[0]), 128)])
	return fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", name, list)
}

// cString cuts b at its first NUL byte, as C's printf("%s") reads it.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// clip shortens an argument for an error message, as redis does (128 bytes).
func clip(a []byte) []byte {
	if len(a) > 128 {
		a = a[:128]
	}
	return bytes.ReplaceAll(a, []byte("\r\n"), []byte(" "))
}

// redisFront is the RESP2 frontend.
type redisFront struct{}

func (redisFront) next(s *session, buf []byte) (n, need int, stop bool) {
	n, args, err := resp.ParseRequest(buf, s.args[:0], s.lim)
	s.args = args
	if errors.Is(err, resp.ErrIncomplete) {
		return 0, n, false
	}
	if err != nil {
		s.slot.counters.clientErr.Add(1)
		s.pushLocal(resp.AppendError(nil, "ERR "+err.Error()), true)
		return 0, 0, true
	}
	if len(args) == 0 {
		return n, 0, false // an empty inline line
	}
	return n, 0, !s.handle(args, buf[:n])
}

// appendReply appends the client-visible reply of a ready call.
func (redisFront) appendReply(s *session, dst []byte, c *call) []byte {
	switch c.merge {
	case mergeArray:
		return appendMergedArray(dst, c, c.pool.stack != nil && c.pool.stack.mgetNil)
	case mergeOK, mergeSum:
		return appendMergedScalar(dst, c)
	}
	if c.Err != nil {
		return appendBackendError(dst, c.Err)
	}
	return append(dst, c.Reply...)
}
