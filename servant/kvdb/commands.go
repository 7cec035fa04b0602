package kvdb

import (
	"github.com/fae-dev/fae/resp"
)

// handler executes one command whose arity has been checked and appends the
// reply to dst. On a storage error it returns the error, and Do replaces
// whatever the handler appended with it.
type handler func(db *DB, dst []byte, args [][]byte) ([]byte, error)

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

// commands returns the command table, keyed by lower-case name: the same
// commands as lcache.
func commands() map[string]*command {
	table := map[string]*command{}
	for _, cmd := range []*command{
		{"get", 2, (*DB).getCmd},
		{"set", -3, (*DB).setCmd},
		{"getex", -2, (*DB).getexCmd},
		{"getdel", 2, (*DB).getdelCmd},
		{"mget", -2, (*DB).mgetCmd},
		{"mset", -3, (*DB).msetCmd},
		{"msetnx", -3, (*DB).msetnxCmd},
		{"append", 3, (*DB).appendCmd},
		{"strlen", 2, (*DB).strlenCmd},
		{"getrange", 4, (*DB).getrangeCmd},
		{"setrange", 4, (*DB).setrangeCmd},
		{"incr", 2, (*DB).incrCmd},
		{"decr", 2, (*DB).decrCmd},
		{"incrby", 3, (*DB).incrbyCmd},
		{"decrby", 3, (*DB).decrbyCmd},
		{"incrbyfloat", 3, (*DB).incrbyfloatCmd},
		{"expire", -3, expireHandler("expire", false, false)},
		{"pexpire", -3, expireHandler("pexpire", true, false)},
		{"expireat", -3, expireHandler("expireat", false, true)},
		{"pexpireat", -3, expireHandler("pexpireat", true, true)},
		{"ttl", 2, (*DB).ttlCmd},
		{"pttl", 2, (*DB).pttlCmd},
		{"persist", 2, (*DB).persistCmd},
		{"del", -2, (*DB).delCmd},
		{"exists", -2, (*DB).existsCmd},
		{"type", 2, (*DB).typeCmd},
		{"dbsize", 1, (*DB).dbsizeCmd},
		{"flushdb", -1, (*DB).flushdbCmd},
		{"ping", -1, (*DB).pingCmd},
		{"echo", 2, (*DB).echoCmd},
	} {
		table[cmd.name] = cmd
	}
	return table
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
	errClosed      = "-ERR kvdb is closed\r\n"
	errEmpty       = "-ERR empty command\r\n"
	maxStringBytes = 512 << 20 // redis's default proto-max-bulk-len
)

// Do executes one command and appends its RESP2 reply to dst. args[0] is the
// command name in any case. The commands and their replies are lcache's,
// byte for byte; a failure of the store is answered "-ERR kvdb: ..." and
// leaves any change the command made before it. Do keeps no reference to
// args or their bytes after it returns. An unsupported command gets the
// error "-ERR kvdb does not support 'name'". Do is safe for concurrent use.
func (db *DB) Do(dst []byte, args [][]byte) []byte {
	if len(args) == 0 {
		return append(dst, errEmpty...)
	}
	if !db.enter() {
		return append(dst, errClosed...)
	}
	defer db.leave()
	start := len(dst)
	out, err := db.do(dst, args)
	if err != nil {
		return resp.AppendError(dst[:start], "ERR "+err.Error())
	}
	return out
}

// do is Do for an open DB.
func (db *DB) do(dst []byte, args [][]byte) ([]byte, error) {
	if err := db.settleFlush(); err != nil {
		return dst, err
	}
	cmd := db.lookupCommand(args[0])
	if cmd == nil {
		return appendUnsupported(dst, args[0]), nil
	}
	if (cmd.arity > 0 && len(args) != cmd.arity) || len(args) < -cmd.arity {
		return resp.AppendError(dst, "ERR wrong number of arguments for '"+cmd.name+"' command"), nil
	}
	return cmd.run(db, dst, args)
}

// lookupCommand finds the command named name in any case, or returns nil.
func (db *DB) lookupCommand(name []byte) *command {
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
	return db.commands[string(buf[:len(name)])]
}

// appendUnsupported appends the error for a command kvdb does not know,
// naming it as the client sent it (at most 128 bytes, as redis does).
func appendUnsupported(dst []byte, name []byte) []byte {
	if len(name) > 128 {
		name = name[:128]
	}
	return resp.AppendError(dst, "ERR kvdb does not support '"+string(name)+"'")
}
