package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// A twemproxy YAML file is one mapping of pool names to pools; each pool maps
// the keys below to scalars, except servers, a sequence of server lines:
//
//	alpha:
//	  listen: 127.0.0.1:22121
//	  redis: true
//	  servers:
//	   - 127.0.0.1:6379:1 server1
//
// Values are read as nutcracker reads them: numbers are digits only (times in
// milliseconds), booleans are exactly true or false.

// yamlKeys are the pool keys of nutcracker 0.5, and how each is applied.
var yamlKeys = map[string]func(p *Pool, v string) error{
	"listen": func(p *Pool, v string) (err error) {
		p.Listen, p.ListenMode, err = parseListen(v)
		return err
	},
	"hash":         func(p *Pool, v string) error { p.Hash = v; return nil },
	"hash_tag":     func(p *Pool, v string) error { p.HashTag = v; return nil },
	"distribution": func(p *Pool, v string) error { p.Distribution = v; return nil },
	"timeout":      yamlMillis(func(p *Pool) *time.Duration { return &p.Timeout }),
	"backlog":      yamlInt(func(p *Pool) *int { return &p.Backlog }),
	"client_connections": yamlInt(func(p *Pool) *int {
		return &p.ClientConnections
	}),
	"redis": func(p *Pool, v string) error {
		var redis bool
		err := yamlBool(&redis, v)
		if redis {
			p.Protocol = ProtocolRedis
		}
		return err
	},
	"tcpkeepalive": func(p *Pool, v string) error { return yamlBool(&p.TCPKeepalive, v) },
	"redis_auth":   func(p *Pool, v string) error { p.RedisAuth = v; return nil },
	"redis_db":     yamlInt(func(p *Pool) *int { return &p.RedisDB }),
	"preconnect":   func(p *Pool, v string) error { return yamlBool(&p.Preconnect, v) },
	"auto_eject_hosts": func(p *Pool, v string) error {
		return yamlBool(&p.AutoEjectHosts, v)
	},
	"server_connections": yamlInt(func(p *Pool) *int { return &p.ServerConnections }),
	"server_retry_timeout": yamlMillis(func(p *Pool) *time.Duration {
		return &p.ServerRetryTimeout
	}),
	"server_failure_limit": yamlInt(func(p *Pool) *int { return &p.ServerFailureLimit }),
	"servers":              nil, // a sequence, read by yamlServers
}

func yamlInt(field func(*Pool) *int) func(*Pool, string) error {
	return func(p *Pool, v string) error {
		n, ok := atoi(v)
		if !ok {
			return fmt.Errorf("%q is not a number; want digits only", v)
		}
		*field(p) = n
		return nil
	}
}

func yamlMillis(field func(*Pool) *time.Duration) func(*Pool, string) error {
	return func(p *Pool, v string) error {
		n, ok := atoi(v)
		if !ok {
			return fmt.Errorf("%q is not a number of milliseconds; want digits only", v)
		}
		d, err := millis(int64(n))
		*field(p) = d
		return err
	}
}

func yamlBool(b *bool, v string) error {
	switch v {
	case "true":
		*b = true
	case "false":
		*b = false
	default:
		return fmt.Errorf(`%q is not "true" or "false"`, v)
	}
	return nil
}

// yamlLine finds the line in yaml's syntax errors ("yaml: line 3: ...").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parseYAML reads a twemproxy config. It returns nil when the document
// cannot be read at all; otherwise a Config with the problems found so far in
// ps, for Validate to complete.
func parseYAML(data []byte, ps *problems) *Config {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			ps.add(0, "", ErrMissing, "no pools: the file is empty")
		} else {
			yamlSyntax(ps, err)
		}
		return nil
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		ps.add(more.Line, "", ErrSyntax, "more than one YAML document; nutcracker reads exactly one")
		return nil
	}
	c := &Config{format: formatYAML, Server: DefaultGlobal()}
	if len(doc.Content) == 0 {
		return c
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		if !yamlEmpty(root) {
			ps.add(root.Line, "", ErrSyntax, "the top level is not a mapping of pool names to pools")
		}
		return c // Validate reports no pools
	}
	names := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			ps.add(k.Line, "", ErrSyntax, "a pool name must be a plain string")
			continue
		}
		if line, dup := names[k.Value]; dup {
			ps.add(k.Line, k.Value, ErrDuplicate, fmt.Sprintf("pool name is a duplicate of the pool on line %d", line))
			continue
		}
		names[k.Value] = k.Line
		c.Pools = append(c.Pools, yamlPool(ps, k, v))
	}
	return c
}

// yamlPool reads one pool: name is its key, m its mapping.
func yamlPool(ps *problems, name, m *yaml.Node) Pool {
	p := defaultPool(formatYAML)
	p.Name, p.Line = name.Value, name.Line
	if m.Kind != yaml.MappingNode {
		ps.add(m.Line, p.Name, ErrSyntax, "a pool must be a mapping of keys to values")
		return p
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := p.Name + "." + k.Value
		set, known := yamlKeys[k.Value]
		switch {
		case k.Kind != yaml.ScalarNode:
			ps.add(k.Line, p.Name, ErrSyntax, "a key must be a plain string")
			continue
		case !known:
			ps.add(k.Line, key, ErrUnknownKey, fmt.Sprintf("unknown key %q; nutcracker 0.5 keys are %s", k.Value, yamlKeyList()))
			continue
		}
		if line, dup := p.lines[k.Value]; dup {
			ps.add(k.Line, key, ErrDuplicate, fmt.Sprintf("is a duplicate of line %d", line))
			continue
		}
		p.lines[k.Value] = k.Line
		if k.Value == "servers" {
			p.Servers = yamlServers(ps, key, v)
			continue
		}
		if v.Kind != yaml.ScalarNode {
			msg := "must be a single value"
			if v.Kind == yaml.AliasNode {
				msg = "aliases are not supported (nutcracker rejects them too)"
			} else if k.Value == "hash_tag" {
				msg += `; quote it, as in hash_tag: "{}"`
			}
			ps.add(v.Line, key, ErrInvalid, msg)
			continue
		}
		if err := set(&p, v.Value); err != nil {
			ps.add(v.Line, key, ErrInvalid, err.Error())
		}
	}
	p.finishDefaults()
	return p
}

// yamlServers reads the servers sequence.
func yamlServers(ps *problems, key string, seq *yaml.Node) []Server {
	if seq.Kind != yaml.SequenceNode {
		ps.add(seq.Line, key, ErrInvalid, `must be a list of "host:port:weight [name]" lines`)
		return nil
	}
	var servers []Server
	for _, n := range seq.Content {
		if n.Kind != yaml.ScalarNode {
			ps.add(n.Line, key, ErrInvalid, `a server must be one "host:port:weight [name]" line`)
			continue
		}
		s, err := parseServer(n.Value)
		if err != nil {
			ps.add(n.Line, key, ErrInvalid, err.Error())
			continue
		}
		s.Line = n.Line
		servers = append(servers, s)
	}
	return servers
}

// yamlParserProblems are the messages of yaml's parser (as opposed to its
// scanner). yaml reports their line counting from 0, and the line is where
// the enclosing construct starts: an unclosed "[" is reported where it opens.
var yamlParserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// yamlSyntax records a yaml decoding error with its line when it has one.
func yamlSyntax(ps *problems, err error) {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
		if slices.Contains(yamlParserProblems, msg) {
			line++
		}
	}
	ps.add(line, "", ErrSyntax, strings.TrimPrefix(msg, "yaml: "))
}

// yamlEmpty reports whether a document root holds nothing (a null scalar).
func yamlEmpty(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && (n.Value == "" || n.Value == "~" || n.Value == "null")
}

// yamlKeyList names the keys nutcracker accepts, for messages.
func yamlKeyList() string {
	return "listen, hash, hash_tag, distribution, timeout, backlog, client_connections, " +
		"redis, tcpkeepalive, redis_auth, redis_db, preconnect, auto_eject_hosts, " +
		"server_connections, server_retry_timeout, server_failure_limit, servers"
}
