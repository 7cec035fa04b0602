package rediscmd

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/redis-commands.md from the table")

// docPath is the generated document, relative to this package.
var docPath = filepath.Join("..", "docs", "redis-commands.md")

// movableDoc describes, per command, what its key finder reports.
var movableDoc = map[string]string{
	"eval": "numkeys at 2, keys after it", "eval_ro": "numkeys at 2, keys after it",
	"evalsha": "numkeys at 2, keys after it", "evalsha_ro": "numkeys at 2, keys after it",
	"fcall": "numkeys at 2, keys after it", "fcall_ro": "numkeys at 2, keys after it",
	"blmpop": "numkeys at 2, keys after it", "bzmpop": "numkeys at 2, keys after it",
	"zunion": "numkeys at 1, keys after it", "zinter": "numkeys at 1, keys after it",
	"zdiff": "numkeys at 1, keys after it", "sintercard": "numkeys at 1, keys after it",
	"zintercard": "numkeys at 1, keys after it", "lmpop": "numkeys at 1, keys after it",
	"zmpop":       "numkeys at 1, keys after it",
	"zunionstore": "1, numkeys at 2, keys after it", "zinterstore": "1, numkeys at 2, keys after it",
	"zdiffstore": "1, numkeys at 2, keys after it",
	"xread":      "first half of the arguments after STREAMS", "xreadgroup": "first half of the arguments after STREAMS",
	"sort":      "1, and the destination of STORE",
	"georadius": "1, and the destinations of STORE and STOREDIST", "georadiusbymember": "1, and the destinations of STORE and STOREDIST",
	"migrate": "3, or the keys after KEYS when arg 3 is empty",
	"object":  "2 for ENCODING, FREQ, IDLETIME, REFCOUNT",
	"xinfo":   "2 for STREAM, GROUPS, CONSUMERS",
	"xgroup":  "2 for CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER",
	"memory":  "2 for USAGE",
}

// keysDoc describes where c finds its keys.
func keysDoc(c *Command) string {
	if c.keys != nil {
		return movableDoc[c.Name]
	}
	var s string
	switch {
	case c.First == 0:
		return "none"
	case c.First == c.Last:
		return fmt.Sprint(c.First)
	case c.Last == -1:
		s = fmt.Sprintf("%d to the last", c.First)
	case c.Last < -1:
		s = fmt.Sprintf("%d to the last but %d", c.First, -c.Last-1)
	default:
		s = fmt.Sprintf("%d to %d", c.First, c.Last)
	}
	if c.Step > 1 {
		s += fmt.Sprintf(", every %d", c.Step)
	}
	return s
}

func arityDoc(c *Command) string {
	if c.Arity < 0 {
		return fmt.Sprintf("≥ %d", -c.Arity)
	}
	return fmt.Sprint(c.Arity)
}

func flagsDoc(c *Command) string {
	var f []string
	if c.ReadOnly {
		f = append(f, "read-only")
	}
	if c.Write {
		f = append(f, "write")
	}
	switch c.blocks {
	case blocksAlways:
		f = append(f, "blocking")
	case blocksWithOption:
		f = append(f, "blocking with BLOCK")
	}
	return strings.Join(f, ", ")
}

const docIntro = `# Redis commands in fae

<!-- Generated from rediscmd/table.go by
     go test ./rediscmd -run TestCommandsDoc -update
     (or go generate ./rediscmd). Do not edit by hand. -->

fae knows every command of Redis 7.0. Names, arity, key positions and the
read-only/write flags are those of the COMMAND reply of redis-server 7.0.15
(the rediscmd tests compare them with a live server); how fae handles each
command is fae's choice, listed here. Key positions count arguments from the
command name, which is 0. "≥ n" means at least n arguments, name included.

| How | Commands | Meaning |
|-----|---------:|---------|
`

var kindDoc = []struct {
	kind           Kind
	title, meaning string
}{
	{Local, "Answered by fae", "answered by the proxy itself, never forwarded"},
	{Single, "Forwarded to the key's server", "one key; sent to the server the key hashes to"},
	{Multi, "Split per server", "keys split per server, replies merged back in key order"},
	{SameServer, "All keys on one server", "several keys that must hash to one server (use hash tags); rejected otherwise"},
	{Unsupported, "Rejected", "answered with an error naming the reason; the connection stays usable"},
}

const docNotes = `
## Notes

- **Container commands.** OBJECT, XINFO and XGROUP are routed as single-key
  commands by the key at index 2 (OBJECT ENCODING key, XINFO STREAM key,
  XGROUP CREATE key ...). Their subcommands without a key (HELP) have no key
  to route by and cannot be forwarded. MEMORY is rejected as
  administrative, although its key finder reports the key of MEMORY USAGE.
  CLIENT and COMMAND are answered by fae; CONFIG, ACL, CLUSTER, LATENCY,
  MODULE and SLOWLOG are administrative; SCRIPT and FUNCTION have no key to
  route by; PUBSUB is pub/sub.
- **Scripts and functions.** EVAL, EVALSHA, FCALL and their _RO forms are
  routed by the keys their numkeys argument names; all must live on one
  server. With numkeys 0 they have no key to route by.
- **Malformed numkeys.** A numkeys that is not a number or is negative
  yields no keys; one larger than the arguments left yields the keys that are
  there. The proxy forwards such a request to let the server report the
  error, or answers with an error itself.
- **XREAD and XREADGROUP** are routed by the keys after STREAMS. With a
  BLOCK option they would block the backend connection, so they are
  rejected as blocking commands.
- **SORT** is routed by the sorted key and the STORE destination; keys
  named by BY and GET patterns are read on that same server. SORT_RO has
  one key.
- **GEORADIUS and GEORADIUSBYMEMBER** report every STORE and STOREDIST
  destination (Redis uses the last), so all of them must live with the key.
- **Flags** are Redis': EVAL, EVALSHA and FCALL are neither read-only nor
  write because a script may do either. PFCOUNT is flagged read-only,
  although Redis may rewrite the HyperLogLog's encoding.
`

// renderDoc renders docs/redis-commands.md from the table.
func renderDoc() []byte {
	var b bytes.Buffer
	b.WriteString(docIntro)
	byKind := map[Kind][]*Command{}
	for _, c := range All() {
		byKind[c.Kind] = append(byKind[c.Kind], c)
	}
	for _, k := range kindDoc {
		anchor := strings.ToLower(strings.ReplaceAll(k.title, " ", "-"))
		anchor = strings.ReplaceAll(anchor, "'", "")
		fmt.Fprintf(&b, "| [%s](#%s) | %d | %s |\n", k.title, anchor, len(byKind[k.kind]), k.meaning)
	}
	for _, k := range kindDoc {
		fmt.Fprintf(&b, "\n## %s\n\n", k.title)
		if k.kind == Unsupported {
			renderRejected(&b, byKind[k.kind])
			continue
		}
		b.WriteString("| Command | Arity | Keys | Flags |\n|---------|-------|------|-------|\n")
		for _, c := range byKind[k.kind] {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", strings.ToUpper(c.Name), arityDoc(c), keysDoc(c), flagsDoc(c))
		}
	}
	b.WriteString(docNotes)
	return b.Bytes()
}

func renderRejected(b *bytes.Buffer, cmds []*Command) {
	byReason := map[string][]string{}
	var reasons []string
	for _, c := range cmds {
		if byReason[c.Reason] == nil {
			reasons = append(reasons, c.Reason)
		}
		byReason[c.Reason] = append(byReason[c.Reason], strings.ToUpper(c.Name))
	}
	slices.Sort(reasons)
	b.WriteString("| Reason | Commands |\n|--------|----------|\n")
	for _, r := range reasons {
		fmt.Fprintf(b, "| %s | %s |\n", r, strings.Join(byReason[r], ", "))
	}
}

// TestCommandsDoc fails when docs/redis-commands.md is not what the table
// renders; run with -update to rewrite it.
func TestCommandsDoc(t *testing.T) {
	for _, c := range All() {
		if c.keys != nil && movableDoc[c.Name] == "" {
			t.Errorf("%s: has a key finder but no entry in movableDoc", c.Name)
		}
	}
	got := renderDoc()
	if *update {
		if err := os.MkdirAll(filepath.Dir(docPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(docPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("%v; run go test ./rediscmd -run TestCommandsDoc -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale; run go test ./rediscmd -run TestCommandsDoc -update", docPath)
	}
}
