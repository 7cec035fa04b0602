package lcache

import (
	"github.com/fae-dev/fae/resp"
)

// handler executes one command whose arity has been checked and appends the
// reply to dst.
type handler func(c *Cache, dst []byte, args [][]byte) []byte

// command describes one supported command.
type command struct {
	// name is the lower-case name redis uses in its error texts.
	name string
	// arity is redis's: n means exactly n arguments (the name included), -n
	// means at least n.
	arity int
	run   handler
}

// maxNameLen is the longest supported command name.
const maxNameLen = len("incrbyfloat")

// commands is the command table, keyed by lower-case name. It is never
// modified after initialisation.
var commands = map[string]*command{}

func init() {
	for _, cmd := range []*command{
		{"get", 2, (*Cache).getCmd},
		{"set", -3, (*Cache).setCmd},
		{"getex", -2, (*Cache).getexCmd},
		{"getdel", 2, (*Cache).getdelCmd},
		{"mget", -2, (*Cache).mgetCmd},
		{"mset", -3, (*Cache).msetCmd},
		{"msetnx", -3, (*Cache).msetnxCmd},
		{"append", 3, (*Cache).appendCmd},
		{"strlen", 2, (*Cache).strlenCmd},
		{"getrange", 4, (*Cache).getrangeCmd},
		{"setrange", 4, (*Cache).setrangeCmd},
		{"incr", 2, (*Cache).incrCmd},
		{"decr", 2, (*Cache).decrCmd},
		{"incrby", 3, (*Cache).incrbyCmd},
		{"decrby", 3, (*Cache).decrbyCmd},
		{"incrbyfloat", 3, (*Cache).incrbyfloatCmd},
		{"expire", -3, expireHandler("expire", false, false)},
		{"pexpire", -3, expireHandler("pexpire", true, false)},
		{"expireat", -3, expireHandler("expireat", false, true)},
		{"pexpireat", -3, expireHandler("pexpireat", true, true)},
		{"ttl", 2, (*Cache).ttlCmd},
		{"pttl", 2, (*Cache).pttlCmd},
		{"persist", 2, (*Cache).persistCmd},
		{"del", -2, (*Cache).delCmd},
		{"exists", -2, (*Cache).existsCmd},
		{"type", 2, (*Cache).typeCmd},
		{"dbsize", 1, (*Cache).dbsizeCmd},
		{"flushdb", -1, (*Cache).flushdbCmd},
		{"ping", -1, (*Cache).pingCmd},
		{"echo", 2, (*Cache).echoCmd},
	} {
		commands[cmd.name] = cmd
	}
}

// Common replies and error texts, as redis-server 7.0 sends them.
const (
	replyOK        = "+OK\r\n"
	errSyntax      = "-ERR syntax error\r\n"
	errNotInteger  = "-ERR value is not an integer or out of range\r\n"
	errNotFloat    = "-ERR value is not a valid float\r\n"
	errOverflow    = "-ERR increment or decrement would overflow\r\n"
	errDecrement   = "-ERR decrement would overflow\r\n"
	errNaN         = "-ERR increment would produce NaN or Infinity\r\n"
	errOffset      = "-ERR offset is out of range\r\n"
	errTooLong     = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
	errOOM         = "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
	errClosed      = "-ERR lcache is closed\r\n"
	errEmpty       = "-ERR empty command\r\n"
	maxStringBytes = 512 << 20 // redis's default proto-max-bulk-len
)

// Do executes one command and appends its RESP2 reply to dst. args[0] is the
// command name in any case. Do keeps no reference to args or their bytes after
// it returns: what it stores is copied. An unsupported command gets the error
// "-ERR lcache does not support 'name'". Do is safe for concurrent use.
func (c *Cache) Do(dst []byte, args [][]byte) []byte {
	if len(args) == 0 {
		return append(dst, errEmpty...)
	}
	if c.closed.Load() {
		return append(dst, errClosed...)
	}
	c.settleFlush()
	cmd := lookupCommand(args[0])
	if cmd == nil {
		return appendUnsupported(dst, args[0])
	}
	if (cmd.arity > 0 && len(args) != cmd.arity) || len(args) < -cmd.arity {
		return resp.AppendError(dst, "ERR wrong number of arguments for '"+cmd.name+"' command")
	}
	return cmd.run(c, dst, args)
}

// lookupCommand finds the command named name in any case, or returns nil.
func lookupCommand(name []byte) *command {
	if len(name) > maxNameLen {
		return nil
	}
	var buf [maxNameLen]byte
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return commands[string(buf[:len(name)])]
}

// appendUnsupported appends the error for a command lcache does not know,
// naming it as the client sent it (at most 128 bytes, as redis does).
func appendUnsupported(dst []byte, name []byte) []byte {
	if len(name) > 128 {
		name = name[:128]
	}
	return resp.AppendError(dst, "ERR lcache does not support '"+string(name)+"'")
}
