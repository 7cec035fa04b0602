package kvcmd

import (
	"github.com/fae-dev/fae/resp"
)

// handler executes one command whose arity has been checked and appends the
// reply to dst. On a storage error it returns the error, and Do replaces
// whatever the handler appended with it.
type handler func(eng *Engine, dst []byte, args [][]byte) ([]byte, error)

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
		{"get", 2, (*Engine).getCmd},
		{"set", -3, (*Engine).setCmd},
		{"getex", -2, (*Engine).getexCmd},
		{"getdel", 2, (*Engine).getdelCmd},
		{"mget", -2, (*Engine).mgetCmd},
		{"mset", -3, (*Engine).msetCmd},
		{"msetnx", -3, (*Engine).msetnxCmd},
		{"append", 3, (*Engine).appendCmd},
		{"strlen", 2, (*Engine).strlenCmd},
		{"getrange", 4, (*Engine).getrangeCmd},
		{"setrange", 4, (*Engine).setrangeCmd},
		{"incr", 2, (*Engine).incrCmd},
		{"decr", 2, (*Engine).decrCmd},
		{"incrby", 3, (*Engine).incrbyCmd},
		{"decrby", 3, (*Engine).decrbyCmd},
		{"incrbyfloat", 3, (*Engine).incrbyfloatCmd},
		{"expire", -3, expireHandler("expire", false, false)},
		{"pexpire", -3, expireHandler("pexpire", true, false)},
		{"expireat", -3, expireHandler("expireat", false, true)},
		{"pexpireat", -3, expireHandler("pexpireat", true, true)},
		{"ttl", 2, (*Engine).ttlCmd},
		{"pttl", 2, (*Engine).pttlCmd},
		{"persist", 2, (*Engine).persistCmd},
		{"del", -2, (*Engine).delCmd},
		{"exists", -2, (*Engine).existsCmd},
		{"type", 2, (*Engine).typeCmd},
		{"dbsize", 1, (*Engine).dbsizeCmd},
		{"flushdb", -1, (*Engine).flushdbCmd},
		{"ping", -1, (*Engine).pingCmd},
		{"echo", 2, (*Engine).echoCmd},
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
	errEmpty       = "-ERR empty command\r\n"
	maxStringBytes = 512 << 20 // redis's default proto-max-bulk-len
)

// Do executes one command and appends its RESP2 reply to dst. args[0] is the
// command name in any case. A failure of the store is answered
// "-ERR name: ..." and leaves any change the command made before it. Do
// keeps no reference to args or their bytes after it returns. An
// unsupported command gets the error "-ERR name does not support 'x'". Do
// is safe for concurrent use.
func (eng *Engine) Do(dst []byte, args [][]byte) []byte {
	if len(args) == 0 {
		return append(dst, errEmpty...)
	}
	if !eng.st.Enter() {
		return append(dst, eng.errStr.closed...)
	}
	defer eng.st.Leave()
	start := len(dst)
	out, err := eng.do(dst, args)
	if err != nil {
		return resp.AppendError(dst[:start], "ERR "+err.Error())
	}
	return out
}

// do is Do for an open store.
func (eng *Engine) do(dst []byte, args [][]byte) ([]byte, error) {
	if err := eng.settleFlush(); err != nil {
		return dst, err
	}
	cmd := lookupCommand(args[0])
	if cmd == nil {
		return eng.appendUnsupported(dst, args[0]), nil
	}
	if (cmd.arity > 0 && len(args) != cmd.arity) || len(args) < -cmd.arity {
		return resp.AppendError(dst, "ERR wrong number of arguments for '"+cmd.name+"' command"), nil
	}
	return cmd.run(eng, dst, args)
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

// appendUnsupported appends the error for a command the engine does not
// know, naming it as the client sent it (at most 128 bytes, as redis does).
func (eng *Engine) appendUnsupported(dst []byte, name []byte) []byte {
	if len(name) > 128 {
		name = name[:128]
	}
	return resp.AppendError(dst, eng.errStr.unsupported+string(name)+"'")
}
