package proxy

import (
	"bytes"
	"strconv"

	"github.com/fae-dev/fae/rediscmd"
	"github.com/fae-dev/fae/resp"
)

// multi splits MGET, MSET, DEL, UNLINK, EXISTS and TOUCH per server. Each part
// carries the keys of one server in their original order; slots remember, for
// every key of the request, its part and its position there, so the writer can
// merge the replies back in the client's order.
func (s *session) multi(cmd *rediscmd.Command, args [][]byte, raw []byte) {
	step := max(cmd.Step, 1)
	nkeys := (len(args) - 1) / step
	if (len(args)-1)%step != 0 {
		s.pushLocal(resp.AppendError(nil, "ERR wrong number of arguments for '"+cmd.Name+"' command"), false)
		return
	}
	s.scratch = s.scratch[:0]
	for i := 0; i < nkeys; i++ {
		si, err := s.p.pick(args[1+i*step], cmd.ReadOnly)
		if err != nil {
			s.pushLocal(appendBackendError(nil, err), false)
			return
		}
		s.scratch = append(s.scratch, si)
	}
	if allSame(s.scratch) {
		s.forward(s.scratch[0], args, raw, nil, cmd.ReadOnly)
		return
	}
	c := s.split(cmd, args, step)
	s.push(c)
	for i, part := range c.parts {
		part.read = cmd.ReadOnly
		s.send(int(s.partServer[i]), part, nil)
	}
}

func allSame(xs []int) bool {
	for _, x := range xs[1:] {
		if x != xs[0] {
			return false
		}
	}
	return true
}

// split builds the parent call and one part per server from s.scratch (the
// server of every key). s.partServer receives each part's server index.
func (s *session) split(cmd *rediscmd.Command, args [][]byte, step int) *call {
	c := newCall()
	c.name = cmd.Name
	switch cmd.Name {
	case "mget":
		c.merge = mergeArray
	case "mset":
		c.merge = mergeOK
	default:
		c.merge = mergeSum
	}
	s.groupParts(c, 0)
	counts := c.slotCounts(len(c.parts))
	for _, si := range s.scratch { // keys per part, for the array headers
		counts[s.byServ[si]]++
	}
	for i, part := range c.parts {
		part.Req = resp.AppendArrayHeader(part.Req[:0], 1+int(counts[i])*step)
		part.Req = resp.AppendBulk(part.Req, args[0])
		counts[i] = 0
	}
	for i, si := range s.scratch {
		p := s.byServ[si]
		part := c.parts[p]
		for _, a := range args[1+i*step : 1+(i+1)*step] {
			part.Req = resp.AppendBulk(part.Req, a)
		}
		c.slots = append(c.slots, slot{part: p, elem: counts[p]})
		counts[p]++
	}
	return c
}

// slotCounts returns a zeroed per-part counter, reusing c's storage.
func (c *call) slotCounts(n int) []int32 {
	if cap(c.counts) < n {
		c.counts = make([]int32, n)
	}
	c.counts = c.counts[:n]
	for i := range c.counts {
		c.counts[i] = 0
	}
	return c.counts
}

// partError returns the reply to send instead of a merge when a part failed:
// the transport error naming the server (unless skipFailed), or the server's
// error reply.
func partError(dst []byte, c *call, ok func(reply []byte) bool, skipFailed bool) ([]byte, bool) {
	for _, p := range c.parts {
		if p.Err != nil && skipFailed {
			continue
		}
		if p.Err != nil {
			return resp.AppendError(dst, "ERR fae: "+c.name+" failed: "+p.Err.Error()), true
		}
		if !ok(p.Reply) {
			if len(p.Reply) > 0 && p.Reply[0] == '-' {
				return append(dst, p.Reply...), true
			}
			return resp.AppendError(dst, "ERR fae: "+c.name+" got an unexpected reply: "+
				strconv.Quote(string(bytes.TrimSpace(p.Reply)))), true
		}
	}
	return dst, false
}

// appendMergedArray merges MGET parts: each part's reply is an array whose
// elements are consumed in order by the slots pointing at that part. With
// nilFailed (mget_partial = "nil") the keys of a part whose server failed
// are nil; otherwise the whole reply is an error naming the server.
func appendMergedArray(dst []byte, c *call, nilFailed bool) []byte {
	start := len(dst)
	dst, failed := partError(dst, c, func(r []byte) bool { return len(r) > 0 && r[0] == '*' }, nilFailed)
	if failed {
		return dst
	}
	offs := c.slotCounts(len(c.parts)) // byte offset into each part's reply
	for i, p := range c.parts {
		offs[i] = int32(bytes.IndexByte(p.Reply, '\n') + 1) // skip "*n\r\n"
	}
	dst = resp.AppendArrayHeader(dst, len(c.slots))
	for _, sl := range c.slots {
		if c.parts[sl.part].Err != nil {
			dst = append(dst, "$-1\r\n"...)
			continue
		}
		r := c.parts[sl.part].Reply[offs[sl.part]:]
		n, err := resp.ReplyLen(r)
		if err != nil {
			return resp.AppendError(dst[:start], "ERR fae: mget: short reply from a server")
		}
		dst = append(dst, r[:n]...)
		offs[sl.part] += int32(n)
	}
	return dst
}

// appendMergedScalar merges MSET (+OK from every part) and the counting
// commands (integers added up).
func appendMergedScalar(dst []byte, c *call) []byte {
	if c.merge == mergeOK {
		dst, failed := partError(dst, c, func(r []byte) bool { return bytes.Equal(r, []byte("+OK\r\n")) }, false)
		if failed {
			return dst
		}
		return append(dst, "+OK\r\n"...)
	}
	var sum int64
	dst, failed := partError(dst, c, func(r []byte) bool {
		n, ok := resp.ParseInt(r)
		sum += n
		return ok
	}, false)
	if failed {
		return dst
	}
	return resp.AppendInt(dst, sum)
}
