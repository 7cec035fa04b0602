package logs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// openRotating opens a RotatingFile faed.log in a temporary directory with
// cfg's rotation settings, on clock, and closes it when the test ends.
func openRotating(t *testing.T, cfg Config, clock *fakeClock) *RotatingFile {
	t.Helper()
	if cfg.File == "" {
		cfg.File = filepath.Join(t.TempDir(), "faed.log")
	}
	r, err := newRotatingFile(cfg.withDefaults(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// read returns the content of the i-th file of r ("" if missing).
func read(t *testing.T, r *RotatingFile, i int) string {
	t.Helper()
	b, err := os.ReadFile(r.name(i))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

// files returns the names of the files in r's directory.
func files(t *testing.T, r *RotatingFile) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(r.path))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func write(t *testing.T, r *RotatingFile, s string) {
	t.Helper()
	if n, err := r.Write([]byte(s)); n != len(s) || err != nil {
		t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
	}
}

func TestRotateBySize(t *testing.T) {
	const maxSize, maxFiles, lineCount = 1000, 3, 1000
	var want strings.Builder
	var all []string
	for i := range lineCount {
		line := fmt.Sprintf("line %05d\n", i)
		all = append(all, line)
		want.WriteString(line)
	}
	tests := []struct {
		name  string
		batch int // lines a Write
	}{
		{name: "a line a write", batch: 1},
		{name: "7 lines a write", batch: 7},
		{name: "250 lines a write", batch: 250},
		{name: "one write", batch: lineCount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := openRotating(t, Config{MaxSize: maxSize, MaxAge: -1, MaxFiles: maxFiles}, &fakeClock{})
			for i := 0; i < lineCount; i += tt.batch {
				write(t, r, strings.Join(all[i:min(i+tt.batch, lineCount)], ""))
			}
			if got := files(t, r); len(got) != maxFiles+1 {
				t.Errorf("files %v, want %d", got, maxFiles+1)
			}
			var kept strings.Builder
			for i := maxFiles; i >= 0; i-- {
				s := read(t, r, i)
				full := i > 0 // rotated files are as full as whole lines allow
				if len(s) > maxSize || full && len(s) <= maxSize-len(all[0]) || !strings.HasSuffix(s, "\n") {
					t.Errorf("file %d has %d bytes, want whole lines up to %d", i, len(s), maxSize)
				}
				kept.WriteString(s)
			}
			if !strings.HasSuffix(want.String(), kept.String()) || kept.Len() < maxFiles*(maxSize-len(all[0])) {
				t.Errorf("the files hold %d bytes that are not the last ones written, in order", kept.Len())
			}
		})
	}
}

func TestRotateLongLine(t *testing.T) {
	r := openRotating(t, Config{MaxSize: 10, MaxAge: -1, MaxFiles: 2}, &fakeClock{})
	write(t, r, "short\n")
	write(t, r, "a line longer than MaxSize\nend\n")
	for i, want := range []string{"end\n", "a line longer than MaxSize\n", "short\n"} {
		if got := read(t, r, i); got != want {
			t.Errorf("file %d = %q, want %q", i, got, want)
		}
	}
}

func TestRotateByAge(t *testing.T) {
	const maxAge = time.Hour
	tests := []struct {
		name   string
		maxAge time.Duration
		steps  []time.Duration // clock advances, each followed by a write of the next letter
		want   []string        // the files, live first
	}{
		{name: "younger than MaxAge", maxAge: maxAge,
			steps: []time.Duration{0, 59 * time.Minute}, want: []string{"a\nb\n"}},
		{name: "at MaxAge", maxAge: maxAge,
			steps: []time.Duration{0, 30 * time.Minute, 30 * time.Minute, time.Minute},
			want:  []string{"c\nd\n", "a\nb\n"}},
		{name: "age counts from the first byte", maxAge: maxAge,
			steps: []time.Duration{5 * time.Hour, 59 * time.Minute}, want: []string{"a\nb\n"}},
		{name: "twice", maxAge: maxAge,
			steps: []time.Duration{0, 2 * time.Hour, 2 * time.Hour}, want: []string{"c\n", "b\n", "a\n"}},
		{name: "never", maxAge: -1,
			steps: []time.Duration{0, 100 * time.Hour}, want: []string{"a\nb\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Date(2026, 11, 22, 1, 30, 0, 0, time.UTC)}
			r := openRotating(t, Config{MaxSize: -1, MaxAge: tt.maxAge, MaxFiles: 5}, clock)
			for i, d := range tt.steps {
				clock.Advance(d)
				write(t, r, string(rune('a'+i))+"\n")
			}
			for i, want := range tt.want {
				if got := read(t, r, i); got != want {
					t.Errorf("file %d = %q, want %q", i, got, want)
				}
			}
			if got := files(t, r); len(got) != len(tt.want) {
				t.Errorf("files %v, want %d", got, len(tt.want))
			}
		})
	}
}

func TestRotateDeletesBeyondMaxFiles(t *testing.T) {
	r := openRotating(t, Config{MaxSize: 4, MaxAge: -1, MaxFiles: 2}, &fakeClock{})
	for i := 1; i <= 6; i++ { // left by a run with a larger MaxFiles
		if err := os.WriteFile(r.name(i), []byte("old "+strconv.Itoa(i)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(t, r, "one\n")
	write(t, r, "two\n")
	want := map[int]string{0: "two\n", 1: "one\n", 2: "old 1\n"}
	for i := 0; i <= 6; i++ {
		if got := read(t, r, i); got != want[i] {
			t.Errorf("file %d = %q, want %q", i, got, want[i])
		}
	}
}

func TestRotatingFileReopen(t *testing.T) {
	r := openRotating(t, Config{MaxSize: -1, MaxAge: -1}, &fakeClock{})
	write(t, r, "a\n")
	if err := os.Rename(r.path, r.path+".old"); err != nil {
		t.Fatal(err)
	}
	write(t, r, "b\n") // still to the renamed file
	if err := r.Reopen(); err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	write(t, r, "c\n")
	if got := read(t, r, 0); got != "c\n" {
		t.Errorf("after Reopen the file holds %q, want %q", got, "c\n")
	}
	if b, _ := os.ReadFile(r.path + ".old"); string(b) != "a\nb\n" {
		t.Errorf("the renamed file holds %q, want %q", b, "a\nb\n")
	}
}

func TestRotatingFileAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faed.log")
	if err := os.WriteFile(path, []byte("0123456789\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := openRotating(t, Config{File: path, MaxSize: 15, MaxAge: -1, MaxFiles: 1}, &fakeClock{})
	write(t, r, "ab\n") // fits: 14 bytes
	write(t, r, "cd\n") // does not: the existing content counts
	if got, want := read(t, r, 1), "0123456789\nab\n"; got != want {
		t.Errorf("rotated file = %q, want %q", got, want)
	}
}

func TestRotatingFileClosed(t *testing.T) {
	r := openRotating(t, Config{}, &fakeClock{})
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := r.Write([]byte("x\n")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	if err := r.Reopen(); !errors.Is(err, ErrClosed) {
		t.Errorf("Reopen after Close = %v, want ErrClosed", err)
	}
}

func TestNewRotatingFile(t *testing.T) {
	if _, err := NewRotatingFile(Config{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewRotatingFile without File: %v, want ErrInvalidConfig", err)
	}
	if _, err := NewRotatingFile(Config{File: "x", MaxFiles: -1}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewRotatingFile with MaxFiles -1: %v, want ErrInvalidConfig", err)
	}
	r, err := NewRotatingFile(Config{File: filepath.Join(t.TempDir(), "a", "b", "faed.log")})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.maxSize != DefaultMaxSize || r.maxAge != DefaultMaxAge || r.maxFiles != DefaultMaxFiles {
		t.Errorf("limits %d, %v, %d; want the defaults", r.maxSize, r.maxAge, r.maxFiles)
	}
}
