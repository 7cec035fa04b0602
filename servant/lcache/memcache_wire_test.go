package lcache

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
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
	op := mcOpOf(r.Cmd)
	if op > mcGats && op < mcMetaGet && len(args) > 0 && args[len(args)-1] == "noreply" {
		r.NoReply = true
		args = args[:len(args)-1]
	}
	num := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return "0"
	}
	first := toArgs(args[:min(1, len(args))])
	switch op {
	case mcGet, mcGets:
		r.Keys = toArgs(args)
	case mcGat, mcGats:
		r.Exptime = atoi(num(0))
		r.Keys = toArgs(args[min(1, len(args)):])
	case mcSet, mcAdd, mcReplace, mcAppend, mcPrepend, mcCas:
		r.Keys = first
		r.Flags = uint32(atou(num(1)))
		r.Exptime = atoi(num(2))
		r.Cas = atou(num(3))
		r.Value = []byte(value)
	case mcIncr, mcDecr:
		r.Keys = first
		r.Delta = atou(num(1))
	case mcTouch:
		r.Keys = first
		r.Exptime = atoi(num(1))
	case mcDelete:
		r.Keys = first
	case mcFlushAll:
		r.Exptime = atoi(num(0))
	case mcMetaNoop:
	default: // other meta commands, and unknown ones
		r.Keys = first
		r.Meta = toArgs(args[min(1, len(args)):])
		if op == mcMetaSet {
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
	op := mcOpOf(r.Cmd)
	switch op {
	case mcGat, mcGats:
		num(r.Exptime)
	case mcFlushAll:
		if r.Exptime != 0 {
			num(r.Exptime)
		}
	}
	for _, k := range r.Keys {
		word(k)
	}
	switch op {
	case mcSet, mcAdd, mcReplace, mcAppend, mcPrepend, mcCas:
		unum(uint64(r.Flags))
		num(r.Exptime)
		num(int64(len(r.Value)))
		if op == mcCas {
			unum(r.Cas)
		}
	case mcIncr, mcDecr:
		unum(r.Delta)
	case mcTouch:
		num(r.Exptime)
	case mcMetaSet:
		num(int64(len(r.Value)))
	}
	for _, f := range r.Meta {
		word(f)
	}
	if r.NoReply {
		word([]byte("noreply"))
	}
	b = append(b, "\r\n"...)
	if (op >= mcSet && op <= mcCas) || op == mcMetaSet {
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

// dataSize returns the length of the data block a reply line announces:
// "VALUE key flags bytes [cas]" or "VA bytes flags...".
func dataSize(line []byte) (int, bool) {
	f := lineFields(line)
	var s string
	switch {
	case len(f) >= 4 && f[0] == "VALUE":
		s = f[3]
	case len(f) >= 2 && f[0] == "VA":
		s = f[1]
	default:
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// replyCas returns the cas uniques a reply shows, in order, with the key of
// each ("" when the reply does not name it).
func replyCas(reply []byte) (keys []string, cas []uint64) {
	forEachLine(reply, func(f []string) {
		switch {
		case f[0] == "VALUE" && len(f) == 5:
			keys, cas = append(keys, f[1]), append(cas, atou(f[4]))
		case isMetaCode(f[0]):
			for _, tok := range f[1:] {
				if len(tok) > 1 && tok[0] == 'c' {
					keys, cas = append(keys, ""), append(cas, atou(tok[1:]))
				}
			}
		}
	})
	return keys, cas
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
		case isMetaCode(f[0]):
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

// forEachLine calls f with the fields of each reply line, skipping data
// blocks.
func forEachLine(reply []byte, f func(fields []string)) {
	rest := reply
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return
		}
		line := rest[:i+1]
		rest = rest[i+1:]
		f(lineFields(line))
		if n, ok := dataSize(line); ok && n+2 <= len(rest) {
			rest = rest[n+2:]
		}
	}
}

// lineFields splits a reply line on spaces, as memcached joins its fields,
// without the line end.
func lineFields(line []byte) []string {
	return strings.Split(strings.TrimSuffix(string(line), "\r\n"), " ")
}

// isMetaCode reports whether s is the status code of a meta reply.
func isMetaCode(s string) bool {
	switch s {
	case "HD", "VA", "EN", "NF", "NS", "EX":
		return true
	}
	return false
}
