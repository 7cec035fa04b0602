package rediscmd

import (
	"slices"
	"strconv"
)

// Kind says how the proxy handles a command. The zero value is Unsupported.
type Kind uint8

// The kinds of command, from rejected to routed by several keys.
const (
	// Unsupported commands are answered with an error saying fae does not
	// support them; Command.Reason says why. The connection stays usable.
	Unsupported Kind = iota
	// Local commands are answered by the proxy itself, never forwarded.
	Local
	// Single commands have exactly one key and go to that key's server.
	Single
	// Multi commands (MGET MSET DEL UNLINK EXISTS TOUCH) are split per server
	// and their replies merged in key order.
	Multi
	// SameServer commands name several keys that must all hash to one server;
	// the proxy forwards them there or rejects them when the keys are spread.
	SameServer
)

var kindNames = [...]string{
	Unsupported: "unsupported",
	Local:       "local",
	Single:      "single",
	Multi:       "multi",
	SameServer:  "same-server",
}

// String returns the kind's lower-case name, e.g. "same-server", or
// "kind(N)" for a value outside the constants.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// blockMode says when a command blocks the connection on the server.
type blockMode uint8

const (
	blocksNever      blockMode = iota
	blocksAlways               // BLPOP, WAIT, ...
	blocksWithOption           // XREAD, XREADGROUP with BLOCK before STREAMS
)

// Command describes one Redis command. Commands come from the package's
// table (Lookup, All): they are immutable and safe for concurrent use, and
// callers must not modify them.
type Command struct {
	// Name is the command name in lower case, e.g. "get".
	Name string
	// Arity is the argument count including the name, as Redis reports it in
	// COMMAND: > 0 means exactly Arity, < 0 means at least -Arity.
	Arity int
	// First, Last and Step are the key positions Redis reports in COMMAND:
	// args[First], args[First+Step], ... up to args[Last], where a negative
	// Last counts from the end (-1 is the last argument). All three are 0
	// for commands with no fixed key positions; Keys also handles the
	// commands whose keys move (numkeys arguments, STREAMS, STORE, ...).
	First, Last, Step int
	// Kind says how the proxy handles the command.
	Kind Kind
	// ReadOnly reports the Redis "readonly" flag: the command does not
	// modify data. For OBJECT, XINFO and MEMORY it is true because every
	// subcommand that takes a key is read-only.
	ReadOnly bool
	// Write reports the Redis "write" flag: the command may modify data.
	// For XGROUP it is true because every subcommand that takes a key writes.
	Write bool
	// ID is the command's index in the table, from 0 to Count()-1, for
	// per-command counters kept in a slice.
	ID int
	// Reason is a short lower-case reason why fae rejects the command, e.g.
	// "blocking command"; it is non-empty exactly when Kind is Unsupported.
	Reason string

	// keys finds movable keys; nil means First/Last/Step describe them all.
	// It is called with dst[:0] and appends key indexes in increasing order.
	keys func(args [][]byte, dst []int) []int
	// blocks says when the command blocks on the server.
	blocks blockMode
}

// maxNameLen bounds the longest command name ("georadiusbymember_ro" has 20
// bytes); Lookup lower-cases names into a buffer of this size.
const maxNameLen = 24

// byName indexes table by lower-case name. It is built once and never
// modified afterwards.
var byName = func() map[string]*Command {
	m := make(map[string]*Command, len(table))
	for i := range table {
		table[i].ID = i
		m[table[i].Name] = &table[i]
	}
	return m
}()

// Count is the number of commands in the table: Command.ID is below it.
func Count() int { return len(table) }

// all holds every command sorted by name (table is written in that order).
var all = func() []*Command {
	s := make([]*Command, len(table))
	for i := range table {
		s[i] = &table[i]
	}
	return s
}()

// Lookup finds a command by name, ignoring ASCII case, without allocating.
// It returns nil for an unknown name. It is safe for concurrent use.
func Lookup(name []byte) *Command {
	if len(name) == 0 || len(name) > maxNameLen {
		return nil
	}
	var buf [maxNameLen]byte
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return byName[string(buf[:len(name)])]
}

// All returns every command sorted by name, for the proxy's COMMAND reply.
// The slice is a fresh copy the caller may keep or reorder; the commands it
// points to must not be modified.
func All() []*Command {
	return slices.Clone(all)
}

// ArityOK reports whether a request of n arguments, the name included,
// satisfies c.Arity.
func (c *Command) ArityOK(n int) bool {
	if c.Arity >= 0 {
		return n == c.Arity
	}
	return n >= -c.Arity
}

// Keys appends to dst[:0] the indexes in args of every key argument, in
// increasing order, and returns the extended slice; args[0] is the command
// name. It follows First/Last/Step and, for commands whose keys move, their
// syntax: numkeys counts (EVAL, FCALL, ZUNIONSTORE, ZUNION, LMPOP, ...), the
// STREAMS keyword of XREAD/XREADGROUP, SORT ... STORE, GEORADIUS ... STORE,
// MIGRATE ... KEYS, and subcommands that take a key (OBJECT ENCODING key,
// XINFO STREAM key, XGROUP CREATE key ..., MEMORY USAGE key).
//
// Keys never panics on malformed requests: a numkeys that is not a number
// or is negative yields no counted keys; one larger than the arguments left
// yields the keys that are there. Arity is not checked (see ArityOK). It
// does not allocate when dst has enough capacity.
func (c *Command) Keys(args [][]byte, dst []int) []int {
	dst = dst[:0]
	if c.keys != nil {
		return c.keys(args, dst)
	}
	return appendRange(dst, len(args), c.First, c.Last, c.Step)
}

// Blocking reports whether the request would block the connection on the
// server: always for BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP, BZPOPMIN,
// BZPOPMAX, BZMPOP and WAIT; for XREAD and XREADGROUP only when a BLOCK
// option comes before STREAMS. The proxy rejects such requests.
func (c *Command) Blocking(args [][]byte) bool {
	switch c.blocks {
	case blocksAlways:
		return true
	case blocksWithOption:
		_, block := scanStreamOptions(args)
		return block
	}
	return false
}
