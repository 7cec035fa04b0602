package lcache

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

// This file holds the memcache text helpers of the tests: a request written
// as its command line (without the data length, which the value gives)
// becomes an MC, an MC becomes the bytes memcached reads, and a reply is read
// back from memcached. They are independent of package memcache.

// mcLine builds the MC of a command line such as "set k 5 0 noreply" or
// "gat 100 a b", with value as its data block. The line has no data length:
// "set k flags exptime", "cas k flags exptime cas", "ms k flags...".
func mcLine(line, value string) *MC {
	tok := strings.Split(line, " ")
	r := &MC{Cmd: tok[0]}
	args := tok[1:]
	if (isStorage(r.Cmd) || slices.Contains([]string{"delete", "incr", "decr", "touch", "flush_all"}, r.Cmd)) &&
		len(args) > 0 && args[len(args)-1] == "noreply" {
		r.NoReply = true
		args = args[:len(args)-1]
	}
	num := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return "0"
	}
	first := kvtest.ToArgs(args[:min(1, len(args))])
	switch r.Cmd {
	case "get", "gets":
		r.Keys = kvtest.ToArgs(args)
	case "gat", "gats":
		r.Exptime = atoi(num(0))
		r.Keys = kvtest.ToArgs(args[min(1, len(args)):])
	case "set", "add", "replace", "append", "prepend", "cas":
		r.Keys = first
		r.Flags = uint32(atou(num(1)))
		r.Exptime = atoi(num(2))
		r.Cas = atou(num(3))
		r.Value = []byte(value)
	case "incr", "decr":
		r.Keys = first
		r.Delta = atou(num(1))
	case "touch":
		r.Keys = first
		r.Exptime = atoi(num(1))
	case "delete":
		r.Keys = first
	case "flush_all":
		r.Exptime = atoi(num(0))
	case "mn":
	default: // other meta commands, and unknown ones
		r.Keys = first
		r.Meta = kvtest.ToArgs(args[min(1, len(args)):])
		if r.Cmd == "ms" {
			r.Value = []byte(value)
		}
	}
	return r
}

func atoi(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(fmt.Sprintf("test bug: bad number %q", s))
	}
	return n
}

func atou(s string) uint64 {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		panic(fmt.Sprintf("test bug: bad number %q", s))
	}
	return n
}

// mcWire renders r as memcached's text protocol.
func mcWire(r *MC) []byte {
	b := []byte(r.Cmd)
	word := func(s []byte) { b = append(append(b, ' '), s...) }
	num := func(n int64) { word(strconv.AppendInt(nil, n, 10)) }
	unum := func(n uint64) { word(strconv.AppendUint(nil, n, 10)) }
	switch r.Cmd {
	case "gat", "gats":
		num(r.Exptime)
	case "flush_all":
		if r.Exptime != 0 {
			num(r.Exptime)
		}
	}
	for _, k := range r.Keys {
		word(k)
	}
	switch r.Cmd {
	case "set", "add", "replace", "append", "prepend", "cas":
		unum(uint64(r.Flags))
		num(r.Exptime)
		num(int64(len(r.Value)))
		if r.Cmd == "cas" {
			unum(r.Cas)
		}
	case "incr", "decr":
		unum(r.Delta)
	case "touch":
		num(r.Exptime)
	case "ms":
		num(int64(len(r.Value)))
	}
	for _, f := range r.Meta {
		word(f)
	}
	if r.NoReply {
		word([]byte("noreply"))
	}
	b = append(b, "\r\n"...)
	if isStorage(r.Cmd) || r.Cmd == "ms" {
		b = append(append(b, r.Value...), "\r\n"...)
	}
	return b
}

// readMCUntil reads memcache replies from rd up to and including the line
// stop, and returns what came before it. A VALUE or VA line is followed by
// its data block, which is read whole.
func readMCUntil(rd *bufio.Reader, stop string) ([]byte, error) {
	var out []byte
	for {
		line, err := rd.ReadBytes('\n')
		if err != nil {
			return out, err
		}
		if string(line) == stop {
			return out, nil
		}
		out = append(out, line...)
		size, ok := dataSize(line)
		if !ok {
			continue
		}
		data := make([]byte, size+2)
		if _, err := io.ReadFull(rd, data); err != nil {
			return out, err
		}
		out = append(out, data...)
	}
}

// dataSize returns the length of the data block a reply line announces.
func dataSize(line []byte) (int, bool) {
	return kvtest.DataSize(lineFields(line))
}

// normaliseCas replaces the cas uniques in a reply with "C", so that
// replies of two servers whose counters differ compare equal.
func normaliseCas(reply []byte) []byte {
	var out []byte
	rest := reply
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return append(out, rest...)
		}
		line := rest[:i+1]
		rest = rest[i+1:]
		f := lineFields(line)
		switch {
		case len(f) == 5 && f[0] == "VALUE":
			f[4] = "C"
			out = append(out, strings.Join(f, " ")+"\r\n"...)
		case kvtest.IsMetaCode(f[0]):
			for j := range f[1:] {
				if tok := f[j+1]; len(tok) > 1 && tok[0] == 'c' {
					f[j+1] = "cC"
				}
			}
			out = append(out, strings.Join(f, " ")+"\r\n"...)
		default:
			out = append(out, line...)
		}
		if n, ok := dataSize(line); ok && n+2 <= len(rest) {
			out = append(out, rest[:n+2]...)
			rest = rest[n+2:]
		}
	}
	return out
}

// lineFields splits a reply line on spaces, as memcached joins its fields,
// without the line end.
func lineFields(line []byte) []string {
	return strings.Split(strings.TrimSuffix(string(line), "\r\n"), " ")
}

// isStorage reports whether cmd is a classic storage command, which sends a
// data block.
func isStorage(cmd string) bool {
	return slices.Contains([]string{"set", "add", "replace", "append", "prepend", "cas"}, cmd)
}
