package loadkit

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"time"
)

func TestReadReply(t *testing.T) {
	tests := []struct {
		name, in, msg string
		wantErr       bool
	}{
		{"simple", "+OK\r\n", "", false},
		{"error", "-ERR boom\r\n", "ERR boom", false},
		{"empty error", "-\r\n", "(empty error)", false},
		{"bulk", "$3\r\nabc\r\n", "", false},
		{"nil bulk", "$-1\r\n", "", false},
		{"nested array", "*2\r\n:1\r\n*1\r\n-ERR inner\r\n", "", false},
		{"truncated", "$5\r\nab", "", true},
		{"no CRLF", "+OK\n", "", true},
		{"eof", "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := ReadReply(bufio.NewReader(strings.NewReader(tc.in)))
			if msg != tc.msg || (err != nil) != tc.wantErr {
				t.Errorf("got %q, %v; want %q, error %v", msg, err, tc.msg, tc.wantErr)
			}
		})
	}
}

func TestReadLineEOF(t *testing.T) {
	for _, in := range []string{"", "partial"} {
		if _, err := ReadLine(bufio.NewReader(strings.NewReader(in))); err != io.ErrUnexpectedEOF {
			t.Errorf("ReadLine(%q): got %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
}

func TestAppendCommand(t *testing.T) {
	got := string(AppendCommand([]byte("x"), []byte("SET"), []byte("k"), []byte("")))
	if want := "x*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestIsErrorLine(t *testing.T) {
	for line, want := range map[string]bool{
		"ERROR": true, "CLIENT_ERROR bad": true, "SERVER_ERROR x": true,
		"END": false, "ERRORS": false, "STORED": false,
	} {
		if got := IsErrorLine([]byte(line)); got != want {
			t.Errorf("IsErrorLine(%q): got %v, want %v", line, got, want)
		}
	}
}

func TestParseMarks(t *testing.T) {
	start := time.Unix(100, 0)
	marks, bad := ParseMarks("kill 101,5\nrestart 103.25\nbad x\nthree fields here\n", start)
	want := []Mark{{"kill", 1500 * time.Millisecond}, {"restart", 3250 * time.Millisecond}}
	if len(marks) != len(want) || marks[0] != want[0] || marks[1] != want[1] {
		t.Errorf("marks: got %v, want %v", marks, want)
	}
	if len(bad) != 1 || bad[0] != "bad x" {
		t.Errorf("bad: got %q, want [\"bad x\"]", bad)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tc := range tests {
		in := append([]float64(nil), tc.in...)
		if got := Median(tc.in); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Errorf("%s: Median changed its input", tc.name)
			}
		}
	}
	if got := Median([]int64{1, 2}); got != 1.5 {
		t.Errorf("int64: got %v, want 1.5", got)
	}
}

func TestStart(t *testing.T) {
	seen := make([]bool, 5)
	<-Start(len(seen), func(w int) { seen[w] = true })
	for w, ok := range seen {
		if !ok {
			t.Errorf("worker %d did not run", w)
		}
	}
}
