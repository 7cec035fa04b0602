package httpapi

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/fae-dev/fae/testkit"
)

// docExample is one ```sh block of docs/http-api.md with the ```text block
// that follows it: the output the commands must print.
type docExample struct {
	line   int // of the ```sh fence
	script string
	want   string
}

// parseDocExamples returns the examples of a Markdown document. Every ```sh
// block must be followed, with only blank lines between, by a ```text
// block.
func parseDocExamples(md []byte) ([]docExample, error) {
	var (
		examples []docExample
		block    []string
		fence    string // the open fence's info string; "" outside blocks
		open     bool
		start    int
	)
	sc := bufio.NewScanner(bytes.NewReader(md))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !strings.HasPrefix(line, "```") {
			if open {
				block = append(block, line)
			} else if strings.TrimSpace(line) != "" && len(examples) > 0 && examples[len(examples)-1].want == "\x00" {
				return nil, fmt.Errorf("line %d: the ```sh block of line %d is not followed by a ```text block",
					n, examples[len(examples)-1].line)
			}
			continue
		}
		if !open {
			fence, open, start, block = strings.TrimPrefix(line, "```"), true, n, nil
			pending := len(examples) > 0 && examples[len(examples)-1].want == "\x00"
			if pending && fence != "text" || !pending && fence == "text" {
				return nil, fmt.Errorf("line %d: a ```text block must follow each ```sh block and only those", n)
			}
			continue
		}
		open = false
		text := strings.Join(block, "\n") + "\n"
		switch fence {
		case "sh":
			examples = append(examples, docExample{line: start, script: text, want: "\x00"})
		case "text":
			examples[len(examples)-1].want = text
		}
	}
	if open {
		return nil, fmt.Errorf("line %d: unclosed ``` block", start)
	}
	if len(examples) > 0 && examples[len(examples)-1].want == "\x00" {
		return nil, fmt.Errorf("line %d: the last ```sh block has no ```text block", examples[len(examples)-1].line)
	}
	return examples, sc.Err()
}

// TestDocExamples runs every example of docs/http-api.md with curl against a
// server with one lcache pool, alpha, in order (later examples read what
// earlier ones wrote), and compares each one's output with the documented
// one.
func TestDocExamples(t *testing.T) {
	testkit.Need(t, "curl", "curl")
	testkit.Need(t, "gzip", "gzip")
	testkit.Need(t, "od", "coreutils")
	md, err := os.ReadFile("../docs/http-api.md")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := parseDocExamples(md)
	if err != nil {
		t.Fatalf("docs/http-api.md: %v", err)
	}
	if len(examples) < 15 {
		t.Fatalf("docs/http-api.md has %d examples, want at least 15", len(examples))
	}
	_, base := startServer(t, Config{}, map[string]Store{"alpha": newLcacheStore(t)})
	home := t.TempDir()
	for _, ex := range examples {
		ok := t.Run(fmt.Sprintf("line%d", ex.line), func(t *testing.T) {
			cmd := exec.Command("sh", "-c", ex.script)
			cmd.Dir = home
			// A user's curlrc or proxy settings must not change the output.
			cmd.Env = append(os.Environ(), "FAE="+base, "HOME="+home, "CURL_HOME="+home,
				"NO_PROXY=*", "no_proxy=*", "LC_ALL=C")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("docs/http-api.md:%d: %v\nscript:\n%s\nstderr:\n%s", ex.line, err, ex.script, &stderr)
			}
			if got := stdout.String(); got != ex.want {
				t.Errorf("docs/http-api.md:%d: output\n%s\nwant (as documented)\n%s\nscript:\n%s\nstderr:\n%s",
					ex.line, got, ex.want, ex.script, &stderr)
			}
		})
		if !ok {
			break // later examples depend on this one
		}
	}
}

func TestParseDocExamples(t *testing.T) {
	tests := []struct {
		name, md string
		want     []docExample
		wantErr  bool
	}{
		{"pair", "x\n```sh\necho a\n```\n\n```text\na\n```\n", []docExample{{2, "echo a\n", "a\n"}}, false},
		{"other blocks", "```go\nx\n```\n```sh\ne\n```\n```text\no\n```\n```json\n{}\n```\n",
			[]docExample{{4, "e\n", "o\n"}}, false},
		{"no output", "```sh\necho a\n```\n", nil, true},
		{"prose between", "```sh\necho a\n```\nthen\n```text\na\n```\n", nil, true},
		{"sh after sh", "```sh\na\n```\n```sh\nb\n```\n```text\nb\n```\n", nil, true},
		{"stray text", "```text\na\n```\n", nil, true},
		{"unclosed", "```sh\na\n", nil, true},
	}
	for _, tc := range tests {
		got, err := parseDocExamples([]byte(tc.md))
		if (err != nil) != tc.wantErr || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v, %v; want %v, error %v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}
