package proxy

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/fae-dev/fae/rediscmd"
	"github.com/fae-dev/fae/resp"
)

// Version is faed's version, reported by INFO and HELLO.
const Version = "0.1.0"

// redisVersion is the Redis version whose commands fae speaks; clients that
// check INFO's redis_version see it.
const redisVersion = "7.0.0"

// local answers a command the proxy handles itself. It returns false when the
// session must stop reading (QUIT).
func (s *session) local(cmd *rediscmd.Command, args [][]byte) bool {
	var r []byte
	closeAfter := false
	switch cmd.Name {
	case "ping":
		if len(args) > 2 {
			r = resp.AppendError(r, "ERR wrong number of arguments for 'ping' command")
		} else if len(args) > 1 {
			r = resp.AppendBulk(r, args[1])
		} else {
			r = resp.AppendSimple(r, "PONG")
		}
	case "echo":
		r = resp.AppendBulk(r, args[1])
	case "quit":
		r, closeAfter = resp.AppendSimple(r, "OK"), true
	case "auth":
		r = s.authenticate(r, args[1:])
	case "select":
		r = selectDB(r, args[1])
	case "hello":
		r = s.hello(r, args[1:])
	case "command":
		r = commandReply(r, args[1:])
	case "info":
		r = resp.AppendBulkString(r, s.srv.info(s.p))
	case "client":
		r = s.client(r, args[1:])
	default:
		r = resp.AppendError(r, "ERR fae does not support '"+cmd.Name+"'")
	}
	s.pushLocal(r, closeAfter)
	return !closeAfter
}

// authenticate implements AUTH [username] password as redis 7 does for its
// default user, whose password is the pool's redis_auth.
func (s *session) authenticate(r []byte, args [][]byte) []byte {
	if len(args) > 2 {
		return resp.AppendError(r, "ERR syntax error")
	}
	want := s.p.cfg.RedisAuth
	if want == "" && len(args) == 1 {
		return resp.AppendError(r, "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
	}
	userOK := len(args) == 1 || bytes.Equal(args[0], []byte("default"))
	pass := args[len(args)-1]
	if !userOK || want != "" && subtle.ConstantTimeCompare(pass, []byte(want)) != 1 {
		return resp.AppendError(r, "WRONGPASS invalid username-password pair or user is disabled.")
	}
	s.auth = true
	return resp.AppendSimple(r, "OK")
}

func selectDB(r []byte, arg []byte) []byte {
	n, ok := resp.ParseInteger(arg)
	switch {
	case !ok || n != int64(int32(n)):
		return resp.AppendError(r, "ERR value is not an integer or out of range")
	case n != 0:
		return resp.AppendError(r, "ERR fae pools serve only database 0 (set redis_db in the pool to choose the backend database)")
	}
	return resp.AppendSimple(r, "OK")
}

// hello implements HELLO [protover [AUTH user pass] [SETNAME name]] for RESP2.
func (s *session) hello(r []byte, args [][]byte) []byte {
	if len(args) > 0 {
		v, ok := resp.ParseInteger(args[0])
		if !ok {
			return resp.AppendError(r, "ERR Protocol version is not an integer or out of range")
		}
		if v != 2 {
			return resp.AppendError(r, "NOPROTO sorry, this protocol version is not supported")
		}
		for i := 1; i < len(args); i++ {
			switch opt := strings.ToLower(string(args[i])); {
			case opt == "auth" && i+2 < len(args):
				if e := s.authenticate(nil, args[i+1:i+3]); e[0] == '-' {
					return append(r, e...)
				}
				i += 2
			case opt == "setname" && i+1 < len(args):
				if !validClientName(args[i+1]) {
					return resp.AppendError(r, errClientName)
				}
				s.name = append(s.name[:0], args[i+1]...)
				i++
			default:
				return resp.AppendError(r, fmt.Sprintf("ERR Syntax error in HELLO option '%s'", clip(args[i])))
			}
		}
	}
	if !s.auth {
		return resp.AppendError(r, "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
	}
	r = resp.AppendArrayHeader(r, 14)
	r = resp.AppendBulkString(r, "server")
	r = resp.AppendBulkString(r, "fae")
	r = resp.AppendBulkString(r, "version")
	r = resp.AppendBulkString(r, redisVersion)
	r = resp.AppendBulkString(r, "proto")
	r = resp.AppendInt(r, 2)
	r = resp.AppendBulkString(r, "id")
	r = resp.AppendInt(r, int64(s.id))
	r = resp.AppendBulkString(r, "mode")
	r = resp.AppendBulkString(r, "proxy")
	r = resp.AppendBulkString(r, "role")
	r = resp.AppendBulkString(r, "master")
	r = resp.AppendBulkString(r, "modules")
	return resp.AppendArrayHeader(r, 0)
}

// client answers the CLIENT subcommands a connection pool uses on connect.
func (s *session) client(r []byte, args [][]byte) []byte {
	if len(args) == 0 {
		return resp.AppendError(r, "ERR wrong number of arguments for 'client' command")
	}
	sub := strings.ToLower(string(args[0]))
	wantArgs := map[string]int{"setname": 2, "getname": 1, "id": 1}[sub]
	if wantArgs > 0 && len(args) != wantArgs {
		return resp.AppendError(r, "ERR wrong number of arguments for 'client|"+sub+"' command")
	}
	switch sub {
	case "setname":
		if !validClientName(args[1]) {
			return resp.AppendError(r, errClientName)
		}
		s.name = append(s.name[:0], args[1]...)
		return resp.AppendSimple(r, "OK")
	case "getname":
		if len(s.name) == 0 {
			return resp.AppendNull(r)
		}
		return resp.AppendBulk(r, s.name)
	case "id":
		return resp.AppendInt(r, int64(s.id))
	case "setinfo":
		return resp.AppendSimple(r, "OK")
	}
	return resp.AppendError(r, fmt.Sprintf("ERR fae does not support 'client %s'", clip(args[0])))
}

const errClientName = "ERR Client names cannot contain spaces, newlines or special characters."

// validClientName reports whether redis accepts name: printable ASCII
// without spaces.
func validClientName(name []byte) bool {
	for _, c := range name {
		if c < '!' || c > '~' {
			return false
		}
	}
	return true
}

// commandReply answers COMMAND, COMMAND COUNT, COMMAND INFO, COMMAND LIST
// and COMMAND DOCS from the command table.
func commandReply(r []byte, args [][]byte) []byte {
	all := rediscmd.All()
	if len(args) == 0 {
		r = resp.AppendArrayHeader(r, len(all))
		for _, c := range all {
			r = appendCommandInfo(r, c)
		}
		return r
	}
	sub := strings.ToLower(string(args[0]))
	if (sub == "count" || sub == "list") && len(args) != 1 {
		return resp.AppendError(r, "ERR wrong number of arguments for 'command|"+sub+"' command")
	}
	switch sub {
	case "count":
		return resp.AppendInt(r, int64(len(all)))
	case "list":
		r = resp.AppendArrayHeader(r, len(all))
		for _, c := range all {
			r = resp.AppendBulkString(r, c.Name)
		}
		return r
	case "info":
		r = resp.AppendArrayHeader(r, len(args)-1)
		for _, name := range args[1:] {
			if c := rediscmd.Lookup(name); c != nil {
				r = appendCommandInfo(r, c)
			} else {
				r = resp.AppendNullArray(r)
			}
		}
		return r
	case "docs":
		return resp.AppendArrayHeader(r, 0)
	}
	return resp.AppendError(r, fmt.Sprintf("ERR fae does not support 'command %s'", clip(args[0])))
}

// appendCommandInfo writes one command in Redis 7's COMMAND INFO shape.
func appendCommandInfo(r []byte, c *rediscmd.Command) []byte {
	r = resp.AppendArrayHeader(r, 10)
	r = resp.AppendBulkString(r, c.Name)
	r = resp.AppendInt(r, int64(c.Arity))
	var flags []string
	if c.Write {
		flags = append(flags, "write")
	}
	if c.ReadOnly {
		flags = append(flags, "readonly")
	}
	r = resp.AppendArrayHeader(r, len(flags))
	for _, f := range flags {
		r = resp.AppendSimple(r, f)
	}
	r = resp.AppendInt(r, int64(c.First))
	r = resp.AppendInt(r, int64(c.Last))
	r = resp.AppendInt(r, int64(c.Step))
	for range 4 { // ACL categories, tips, key specs, subcommands
		r = resp.AppendArrayHeader(r, 0)
	}
	return r
}
