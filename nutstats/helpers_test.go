package nutstats

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// member is one member of a JSON object, kept in document order: its key,
// its kind ("string", "number", "object", ...) and, for an object, its
// members.
type member struct {
	Key     string
	Kind    string
	Members []member
}

// tree decodes a JSON object into its members in document order (Go maps
// would lose the order).
func tree(t *testing.T, doc []byte) []member {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		t.Fatalf("document does not start with an object: %v %v\n%s", tok, err, doc)
	}
	ms, err := objectMembers(dec)
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, doc)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("data after the document: %v\n%s", err, doc)
	}
	return ms
}

// objectMembers reads the members of an object whose '{' was read, and its '}'.
func objectMembers(dec *json.Decoder) ([]member, error) {
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("key %v is not a string", tok)
		}
		m := member{Key: key}
		tok, err = dec.Token()
		if err != nil {
			return nil, err
		}
		switch v := tok.(type) {
		case json.Delim:
			if v != '{' {
				return nil, fmt.Errorf("%q: unexpected %v", key, v)
			}
			m.Kind = "object"
			if m.Members, err = objectMembers(dec); err != nil {
				return nil, err
			}
		case string:
			m.Kind = "string"
		case json.Number:
			m.Kind = "number"
		default:
			m.Kind = fmt.Sprintf("%T", v)
		}
		ms = append(ms, m)
	}
	_, err := dec.Token() // '}'
	return ms, err
}

// compareTrees reports every difference in keys, order or kinds between got
// and want, naming the path of each.
func compareTrees(t *testing.T, path string, got, want []member) {
	t.Helper()
	if g, w := keys(got), keys(want); !slices.Equal(g, w) {
		t.Errorf("%s: got keys %q, want %q", path, g, w)
		return
	}
	for i := range got {
		p := path + "/" + got[i].Key
		if got[i].Kind != want[i].Kind {
			t.Errorf("%s: got a %s, want a %s", p, got[i].Kind, want[i].Kind)
			continue
		}
		compareTrees(t, p, got[i].Members, want[i].Members)
	}
}

func keys(ms []member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Key
	}
	return out
}

// scalar matches a key and its string or number value.
var scalar = regexp.MustCompile(`("(?:[^"\\]|\\.)*"):(?:"(?:[^"\\]|\\.)*"|-?[0-9]+)`)

// skeleton replaces every string and number value of doc by _, keeping keys,
// punctuation and spaces: two documents with equal skeletons differ only in
// values.
func skeleton(doc []byte) string {
	return scalar.ReplaceAllString(string(doc), "${1}:_")
}

// fetch dials addr and reads until the server closes the connection.
func fetch(t *testing.T, addr string) []byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c) // returns at EOF: the server closed
	if err != nil {
		t.Fatalf("read %s: %v (got %q)", addr, err, b)
	}
	return b
}
