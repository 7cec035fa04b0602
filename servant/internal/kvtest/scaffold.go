package kvtest

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// ToArgs returns cmd as the argument vector of a redis command.
func ToArgs(cmd []string) [][]byte {
	args := make([][]byte, len(cmd))
	for i, a := range cmd {
		args[i] = []byte(a)
	}
	return args
}

// QuoteArgs renders a redis command for a log or failure message: its
// arguments quoted as by Quote, separated by spaces, those longer than 60
// bytes cut to their first 40.
func QuoteArgs(args [][]byte) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if len(a) > 60 {
			a = append(a[:40:40], "..."...)
		}
		b.WriteString(Quote(a))
	}
	return b.String()
}

// Quote returns a as it is if it is not empty and holds no space, quote,
// NUL, CR, LF or tab, else in double quotes with those escaped.
func Quote(a []byte) string {
	s := string(a)
	if s != "" && !strings.ContainsAny(s, " \"\x00\r\n\t") {
		return s
	}
	return `"` + strings.NewReplacer("\x00", `\0`, "\r", `\r`, "\n", `\n`, `"`, `\"`).Replace(s) + `"`
}

// Clip renders a reply quoted, cut to its first 200 bytes if it is longer
// than 300.
func Clip(b []byte) string {
	if len(b) > 300 {
		return fmt.Sprintf("%q...(%d bytes)", b[:200], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// SameReply compares the replies of two servants to the redis command args
// exactly, but the time left of TTL and PTTL with a tolerance (1 s and
// 100 ms): the two run the command at slightly different times.
func SameReply(args [][]byte, want, got []byte) bool {
	if bytes.Equal(want, got) {
		return true
	}
	if len(args) != 2 {
		return false
	}
	tolerance := map[string]int64{"ttl": 1, "pttl": 100}[strings.ToLower(string(args[0]))]
	w, okW := ReplyInt(want)
	g, okG := ReplyInt(got)
	return tolerance > 0 && okW && okG && w >= 0 && g >= 0 && max(w-g, g-w) <= tolerance
}

// ReplyInt returns the integer of a RESP integer reply.
func ReplyInt(b []byte) (int64, bool) {
	if len(b) < 4 || b[0] != ':' || !bytes.HasSuffix(b, []byte("\r\n")) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[1:len(b)-2]), 10, 64)
	return n, err == nil
}

// ReplyKind names the kind of a redis reply for a coverage tally: its type,
// or its text for an error.
func ReplyKind(reply []byte) string {
	switch {
	case reply[0] == '-':
		return strings.TrimSpace(string(reply))
	case bytes.Equal(reply, []byte("$-1\r\n")):
		return "null"
	}
	return string(reply[:1])
}

// History returns the last n entries of history that keep reports true
// for, numbered from 1 in history, oldest first, one a line.
func History(history []string, n int, keep func(entry string) bool) string {
	var out []string
	for i := len(history) - 1; i >= 0 && len(out) < n; i-- {
		if keep(history[i]) {
			out = append(out, fmt.Sprintf("%6d %s", i+1, history[i]))
		}
	}
	slices.Reverse(out)
	return strings.Join(out, "\n")
}

// KeyHistory returns the last n commands of history (rendered by QuoteArgs)
// that name the key of args (all commands if it has none), numbered.
func KeyHistory(history []string, args [][]byte, n int) string {
	return History(history, n, func(h string) bool {
		return len(args) < 2 || slices.Contains(strings.Fields(h)[1:], Quote(args[1]))
	})
}

// SameMCReply compares two memcache replies exactly but for the seconds
// left of a meta t flag, which may differ by one: each side reads its own
// clock. Splitting on the exact separators loses nothing.
func SameMCReply(got, want []byte) bool {
	if bytes.Equal(got, want) {
		return true
	}
	g := strings.Split(string(got), "\r\n")
	w := strings.Split(string(want), "\r\n")
	if len(g) != len(w) {
		return false
	}
	for i := range g {
		gt, wt := strings.Split(g[i], " "), strings.Split(w[i], " ")
		if len(gt) != len(wt) {
			return false
		}
		for j := range gt {
			if gt[j] != wt[j] && !closeTTL(gt[j], wt[j]) {
				return false
			}
		}
	}
	return true
}

// closeTTL reports whether a and b are t flags one second apart at most.
func closeTTL(a, b string) bool {
	if !strings.HasPrefix(a, "t") || !strings.HasPrefix(b, "t") {
		return false
	}
	x, err1 := strconv.ParseInt(a[1:], 10, 64)
	y, err2 := strconv.ParseInt(b[1:], 10, 64)
	return err1 == nil && err2 == nil && x >= y-1 && x <= y+1
}

// MCReplyKind names a memcache reply for a coverage tally.
func MCReplyKind(reply []byte) string {
	switch {
	case len(reply) == 0:
		return "(none)"
	case bytes.HasPrefix(reply, []byte("VALUE ")):
		return "VALUE"
	case reply[0] >= '0' && reply[0] <= '9':
		return "number"
	}
	line, _, _ := strings.Cut(string(reply), "\r\n")
	if f := strings.Fields(line); len(f) > 0 && IsMetaCode(f[0]) {
		return f[0]
	}
	return line
}

// Tally counts the replies of a differential test by command and reply
// kind, to show what its stream covered.
type Tally map[string]int

// Log logs the counts of the tally, sorted by name.
func (ty Tally) Log(t testing.TB) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(ty)) {
		t.Logf("%-40s %6d", k, ty[k])
	}
}

// Count counts the reply of a redis command: its name in lower case and
// the ReplyKind of the reply.
func (ty Tally) Count(args [][]byte, reply []byte) {
	ty[strings.ToLower(string(args[0]))+" "+ReplyKind(reply)]++
}

// CountMC counts the reply of a memcache command cmd: its name and the
// MCReplyKind of the reply.
func (ty Tally) CountMC(cmd string, reply []byte) {
	ty[cmd+" "+MCReplyKind(reply)]++
}
