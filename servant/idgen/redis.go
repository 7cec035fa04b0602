package idgen

import (
	"strconv"

	"github.com/fae-dev/fae/resp"
)

// Replies and error texts of the Redis handler.
const (
	replyPong     = "+PONG\r\n"
	errEmpty      = "-ERR empty command\r\n"
	errSyntax     = "-ERR syntax error\r\n"
	errNotInteger = "-ERR value is not an integer or out of range\r\n"
	errCountRange = "-ERR idgen: COUNT must be between 1 and 1000\r\n"
)

// Do executes one Redis command and appends its RESP2 reply to dst. args[0]
// is the command name in any case; Do keeps no reference to args. The
// commands:
//
//	INCR key                  :ID             (key is a namespace, ignored)
//	GET key                   $len ID         (the ID in decimal)
//	IDGEN [COUNT n]           *n :ID ...      (n from 1 to MaxCount, default 1)
//	IDGEN DECODE id           *3 :unix-ms :worker :sequence
//	PING [message]            +PONG, or the message
//
// A wrong argument count gets redis's "-ERR wrong number of arguments for
// 'incr' command", any other command "-ERR idgen: unsupported command 'x'
// (use INCR, GET or IDGEN)", and a failure of the Gen "-ERR " and the error
// text. Do is safe for concurrent use.
func (g *Gen) Do(dst []byte, args [][]byte) []byte {
	if len(args) == 0 {
		return append(dst, errEmpty...)
	}
	name := args[0]
	switch {
	case is(name, "incr"):
		return g.incrCmd(dst, args)
	case is(name, "get"):
		return g.getCmd(dst, args)
	case is(name, "idgen"):
		return g.idgenCmd(dst, args)
	case is(name, "ping"):
		return pingCmd(dst, args)
	}
	if len(name) > 128 {
		name = name[:128]
	}
	return resp.AppendError(dst, "ERR idgen: unsupported command '"+string(name)+"' (use INCR, GET or IDGEN)")
}

func (g *Gen) incrCmd(dst []byte, args [][]byte) []byte {
	if len(args) != 2 {
		return appendArity(dst, "incr")
	}
	id, err := g.Next()
	if err != nil {
		return appendErr(dst, err)
	}
	return resp.AppendInt(dst, int64(id))
}

func (g *Gen) getCmd(dst []byte, args [][]byte) []byte {
	if len(args) != 2 {
		return appendArity(dst, "get")
	}
	id, err := g.Next()
	if err != nil {
		return appendErr(dst, err)
	}
	var buf [20]byte
	return resp.AppendBulk(dst, strconv.AppendUint(buf[:0], id, 10))
}

func (g *Gen) idgenCmd(dst []byte, args [][]byte) []byte {
	n := int64(1)
	switch {
	case len(args) == 1:
	case len(args) == 3 && is(args[1], "count"):
		var ok bool
		if n, ok = resp.ParseInteger(args[2]); !ok {
			return append(dst, errNotInteger...)
		}
		if n < 1 || n > MaxCount {
			return append(dst, errCountRange...)
		}
	case len(args) == 3 && is(args[1], "decode"):
		return g.decodeCmd(dst, args[2])
	default:
		return append(dst, errSyntax...)
	}
	var buf [MaxCount]uint64
	ids, err := g.NextN(int(n), buf[:0])
	if err != nil {
		return appendErr(dst, err)
	}
	dst = resp.AppendArrayHeader(dst, len(ids))
	for _, id := range ids {
		dst = resp.AppendInt(dst, int64(id))
	}
	return dst
}

func (g *Gen) decodeCmd(dst []byte, arg []byte) []byte {
	v, ok := resp.ParseInteger(arg)
	if !ok || v < 0 {
		return append(dst, errNotInteger...)
	}
	t, worker, seq := g.Decode(uint64(v))
	dst = resp.AppendArrayHeader(dst, 3)
	dst = resp.AppendInt(dst, t.UnixMilli())
	dst = resp.AppendInt(dst, int64(worker))
	return resp.AppendInt(dst, int64(seq))
}

func pingCmd(dst []byte, args [][]byte) []byte {
	switch len(args) {
	case 1:
		return append(dst, replyPong...)
	case 2:
		return resp.AppendBulk(dst, args[1])
	}
	return appendArity(dst, "ping")
}

// appendArity appends redis's error for a wrong argument count of cmd.
func appendArity(dst []byte, cmd string) []byte {
	return resp.AppendError(dst, "ERR wrong number of arguments for '"+cmd+"' command")
}

// appendErr appends err as an ERR reply.
func appendErr(dst []byte, err error) []byte {
	return resp.AppendError(dst, "ERR "+err.Error())
}

// is reports whether name equals lower, which is in lower case, ignoring
// ASCII case.
func is(name []byte, lower string) bool {
	if len(name) != len(lower) {
		return false
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
