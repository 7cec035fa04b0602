package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// A native TOML file holds one table, pools, with one table per pool:
//
//	[pools.alpha]
//	listen = "127.0.0.1:22121"
//	servers = ["127.0.0.1:6379:1 server1"]
//
// go-toml decodes into maps, which forget the order of the pools and the
// lines of the keys. So the file is read twice: toml.Unmarshal checks that it
// is valid TOML (syntax, keys defined twice), then go-toml's unstable parser
// walks the expressions in file order to build a tree of tnodes that keeps
// the order and the line of every key.

// tnode is a TOML table or value with the line where it is defined.
type tnode struct {
	kind  unstable.Kind // Table (also for inline tables), ArrayTable, Array, or a scalar kind
	line  int
	text  string   // a scalar's value: the decoded string, or the raw literal
	elems []*tnode // an array's elements
	keys  []string // a table's keys in file order
	kids  map[string]*tnode
}

func newTable(line int) *tnode {
	return &tnode{kind: unstable.Table, line: line, kids: map[string]*tnode{}}
}

// describe names a node's type for messages.
func (n *tnode) describe() string {
	switch n.kind {
	case unstable.Table:
		return "a table"
	case unstable.ArrayTable:
		return "an array of tables"
	case unstable.Array:
		return "an array"
	case unstable.String:
		return "a string"
	case unstable.Integer:
		return "an integer"
	case unstable.Float:
		return "a float"
	case unstable.Bool:
		return "a boolean"
	default:
		return "a date or time"
	}
}

// tomlKeys are the pool keys of the native format, and how each is applied.
// servers is read by tomlServers.
var tomlKeys = map[string]func(p *Pool, v *tnode) error{
	"listen": func(p *Pool, v *tnode) error {
		s, err := tomlString(v)
		if err == nil {
			p.Listen, p.ListenMode, err = parseListen(s)
		}
		return err
	},
	"protocol":             tomlSetString(func(p *Pool) *string { return &p.Protocol }),
	"hash":                 tomlSetString(func(p *Pool) *string { return &p.Hash }),
	"hash_tag":             tomlSetString(func(p *Pool) *string { return &p.HashTag }),
	"distribution":         tomlSetString(func(p *Pool) *string { return &p.Distribution }),
	"timeout":              tomlSetDuration(func(p *Pool) *time.Duration { return &p.Timeout }),
	"backlog":              tomlSetInt(func(p *Pool) *int { return &p.Backlog }),
	"client_connections":   tomlSetInt(func(p *Pool) *int { return &p.ClientConnections }),
	"server_connections":   tomlSetInt(func(p *Pool) *int { return &p.ServerConnections }),
	"preconnect":           tomlSetBool(func(p *Pool) *bool { return &p.Preconnect }),
	"auto_eject_hosts":     tomlSetBool(func(p *Pool) *bool { return &p.AutoEjectHosts }),
	"server_retry_timeout": tomlSetDuration(func(p *Pool) *time.Duration { return &p.ServerRetryTimeout }),
	"server_failure_limit": tomlSetInt(func(p *Pool) *int { return &p.ServerFailureLimit }),
	"redis_auth":           tomlSetString(func(p *Pool) *string { return &p.RedisAuth }),
	"redis_db":             tomlSetInt(func(p *Pool) *int { return &p.RedisDB }),
	"tcpkeepalive":         tomlSetBool(func(p *Pool) *bool { return &p.TCPKeepalive }),
	"servant":              tomlSetString(func(p *Pool) *string { return &p.Servant }),
	"servant_max_memory": func(p *Pool, v *tnode) (err error) {
		switch v.kind {
		case unstable.Integer:
			p.ServantMaxMemory, err = tomlInt(v)
		case unstable.String:
			p.ServantMaxMemory, err = parseSize(v.text)
		default:
			err = fmt.Errorf(`is %s; want an integer of bytes or a string such as "64MiB"`, v.describe())
		}
		return err
	},
	"servers": nil,
}

// parseTOML reads a native config. It returns nil when the document is not
// valid TOML; otherwise a Config with the problems found so far in ps, for
// Validate to complete.
func parseTOML(data []byte, ps *problems) *Config {
	var m map[string]any
	if err := toml.Unmarshal(data, &m); err != nil {
		tomlSyntax(ps, err)
		return nil
	}
	root, err := tomlTree(data)
	if err != nil { // toml.Unmarshal accepted it, so this should not happen
		tomlSyntax(ps, err)
		return nil
	}
	c := &Config{format: formatTOML, Server: DefaultGlobal()}
	for _, k := range root.keys {
		v := root.kids[k]
		switch {
		case k == "server":
			c.Server = tomlGlobal(ps, v)
		case k != "pools":
			ps.add(v.line, tomlKey(k), ErrUnknownKey, fmt.Sprintf("unknown key %q; pools are defined as [pools.NAME]", k))
		case v.kind != unstable.Table:
			ps.add(v.line, k, ErrInvalid, fmt.Sprintf("is %s; want a table of pools, as [pools.NAME]", v.describe()))
		default:
			for _, name := range v.keys {
				c.Pools = append(c.Pools, tomlPool(ps, name, v.kids[name]))
			}
		}
	}
	return c
}

// tomlPool reads the table of one pool.
func tomlPool(ps *problems, name string, t *tnode) Pool {
	p := defaultPool(formatTOML)
	p.Name, p.Line = name, t.line
	prefix := "pools." + tomlKey(name)
	if t.kind != unstable.Table {
		ps.add(t.line, prefix, ErrInvalid, fmt.Sprintf("is %s; want a table of pool keys", t.describe()))
		return p
	}
	var replicas *tnode
	for _, k := range t.keys {
		v := t.kids[k]
		key := prefix + "." + tomlKey(k)
		set, known := tomlKeys[k]
		if !known {
			ps.add(v.line, key, ErrUnknownKey, fmt.Sprintf("unknown key %q; see docs/config.md for the pool keys", k))
			continue
		}
		p.lines[k] = v.line
		if k == "servers" {
			p.Servers = tomlServers(ps, key, v)
			continue
		}
		if k == "replicas" {
			replicas = v
			continue
		}
		if err := set(&p, v); err != nil {
			ps.add(v.line, key, ErrInvalid, err.Error())
		}
	}
	if replicas != nil {
		tomlReplicas(ps, prefix+".replicas", &p, replicas)
	}
	p.finishDefaults()
	return p
}

// tomlServers reads the servers array.
func tomlServers(ps *problems, key string, v *tnode) []Server {
	if v.kind != unstable.Array {
		ps.add(v.line, key, ErrInvalid, fmt.Sprintf(`is %s; want an array of "host:port:weight [name]" strings`, v.describe()))
		return nil
	}
	var servers []Server
	for _, e := range v.elems {
		if e.kind != unstable.String {
			ps.add(e.line, key, ErrInvalid, fmt.Sprintf(`a server is %s; want a "host:port:weight [name]" string`, e.describe()))
			continue
		}
		s, err := parseServer(e.text)
		if err != nil {
			ps.add(e.line, key, ErrInvalid, err.Error())
			continue
		}
		s.Line = e.line
		servers = append(servers, s)
	}
	return servers
}

func tomlString(v *tnode) (string, error) {
	if v.kind != unstable.String {
		return "", fmt.Errorf("is %s; want a string", v.describe())
	}
	return v.text, nil
}

func tomlInt(v *tnode) (int64, error) {
	if v.kind != unstable.Integer {
		return 0, fmt.Errorf("is %s; want an integer", v.describe())
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(v.text, "_", ""), 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is out of range", v.text)
	}
	return n, nil
}

func tomlSetString(field func(*Pool) *string) func(*Pool, *tnode) error {
	return func(p *Pool, v *tnode) (err error) {
		*field(p), err = tomlString(v)
		return err
	}
}

func tomlSetInt(field func(*Pool) *int) func(*Pool, *tnode) error {
	return func(p *Pool, v *tnode) error {
		n, err := tomlInt(v)
		if err == nil && int64(int(n)) != n {
			err = fmt.Errorf("%d is out of range", n)
		}
		*field(p) = int(n)
		return err
	}
}

func tomlSetBool(field func(*Pool) *bool) func(*Pool, *tnode) error {
	return func(p *Pool, v *tnode) error {
		if v.kind != unstable.Bool {
			return fmt.Errorf("is %s; want true or false", v.describe())
		}
		*field(p) = v.text == "true"
		return nil
	}
}

// tomlSetDuration reads a duration string ("400ms", "1m30s") or an integer
// of milliseconds, as twemproxy writes times.
func tomlSetDuration(field func(*Pool) *time.Duration) func(*Pool, *tnode) error {
	return func(p *Pool, v *tnode) error {
		var err error
		switch v.kind {
		case unstable.Integer:
			var n int64
			if n, err = tomlInt(v); err == nil {
				*field(p), err = millis(n)
			}
		case unstable.String:
			if *field(p), err = time.ParseDuration(v.text); err != nil {
				err = fmt.Errorf(`%q is not a duration; want a string such as "400ms" or "30s", or an integer of milliseconds`, v.text)
			}
		default:
			err = fmt.Errorf(`is %s; want a string such as "400ms", or an integer of milliseconds`, v.describe())
		}
		return err
	}
}

// tomlSyntax records a TOML decoding error with its line.
func tomlSyntax(ps *problems, err error) {
	var de *toml.DecodeError
	var pe *unstable.ParserError
	switch {
	case errors.As(err, &de):
		line, _ := de.Position()
		ps.add(line, strings.Join(de.Key(), "."), ErrSyntax, strings.TrimPrefix(de.Error(), "toml: "))
	case errors.As(err, &pe):
		ps.add(0, "", ErrSyntax, pe.Error())
	default:
		ps.add(0, "", ErrSyntax, strings.TrimPrefix(err.Error(), "toml: "))
	}
}

// tomlTree walks the expressions of a valid TOML document in file order and
// builds the tree of its tables and values.
func tomlTree(data []byte) (*tnode, error) {
	b := &treeBuilder{newlines: newlineOffsets(data)}
	root := newTable(1)
	cur := root
	var p unstable.Parser
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			parts, line := b.key(e.Key())
			cur = b.descend(root, parts, line)
		case unstable.ArrayTable:
			parts, line := b.key(e.Key())
			parent := b.descend(root, parts[:len(parts)-1], line)
			last := parts[len(parts)-1]
			if parent.kids[last] == nil {
				parent.keys = append(parent.keys, last)
				parent.kids[last] = &tnode{kind: unstable.ArrayTable, line: line}
			}
			cur = newTable(line) // an element: kept out of the tree
		case unstable.KeyValue:
			b.keyValue(cur, e)
		}
	}
	return root, p.Error()
}

// treeBuilder turns unstable.Nodes into tnodes, finding lines by offset.
type treeBuilder struct {
	newlines []int // offsets of the '\n' bytes
}

func newlineOffsets(data []byte) []int {
	var offs []int
	for i, c := range data {
		if c == '\n' {
			offs = append(offs, i)
		}
	}
	return offs
}

// line returns the 1-based line of a node's first byte, or fallback when the
// node has no position.
func (b *treeBuilder) line(n *unstable.Node, fallback int) int {
	if n.Raw.Length == 0 {
		return fallback
	}
	return sort.SearchInts(b.newlines, int(n.Raw.Offset)) + 1
}

// key returns the parts of a dotted key and the line of its first part.
func (b *treeBuilder) key(it unstable.Iterator) (parts []string, line int) {
	for it.Next() {
		if parts == nil {
			line = b.line(it.Node(), 0)
		}
		parts = append(parts, string(it.Node().Data))
	}
	return parts, line
}

// descend returns the table at path below t, creating the missing tables.
// A path through a value or an array of tables (which TOML allows only for
// the last element of the array) gives a table kept out of the tree.
func (b *treeBuilder) descend(t *tnode, path []string, line int) *tnode {
	for _, k := range path {
		next := t.kids[k]
		if next == nil {
			next = newTable(line)
			t.keys = append(t.keys, k)
			t.kids[k] = next
		}
		if next.kind != unstable.Table {
			next = newTable(line)
		}
		t = next
	}
	return t
}

// keyValue adds "a.b.c = value" to table t.
func (b *treeBuilder) keyValue(t *tnode, e *unstable.Node) {
	parts, line := b.key(e.Key())
	if len(parts) == 0 {
		return
	}
	parent := b.descend(t, parts[:len(parts)-1], line)
	v := b.value(e.Value(), line)
	v.line = line
	last := parts[len(parts)-1]
	if parent.kids[last] == nil {
		parent.keys = append(parent.keys, last)
	}
	parent.kids[last] = v
}

// value converts a value node; line is used where the node has no position.
func (b *treeBuilder) value(n *unstable.Node, line int) *tnode {
	v := &tnode{kind: n.Kind, line: b.line(n, line)}
	switch n.Kind {
	case unstable.Array:
		it := n.Children()
		for it.Next() {
			v.elems = append(v.elems, b.value(it.Node(), v.line))
		}
	case unstable.InlineTable:
		v = newTable(v.line)
		it := n.Children()
		for it.Next() {
			if it.Node().Kind == unstable.KeyValue {
				b.keyValue(v, it.Node())
			}
		}
	default:
		v.text = string(n.Data)
	}
	return v
}
