package logs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// blockingWriter blocks every Write until unblock is called; entered is
// closed when the first Write starts.
type blockingWriter struct {
	entered     chan struct{}
	release     chan struct{}
	enterOnce   sync.Once
	releaseOnce sync.Once
	syncBuffer
}

func (w *blockingWriter) unblock() { w.releaseOnce.Do(func() { close(w.release) }) }

func newBlockingWriter() *blockingWriter {
	return &blockingWriter{entered: make(chan struct{}), release: make(chan struct{})}
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	w.enterOnce.Do(func() { close(w.entered) })
	<-w.release
	return w.syncBuffer.Write(p)
}

// failingWriter fails every Write with err.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// newTestLogger starts a Logger over sink, with errors reported on
// fallback (discarded if nil), and closes it when the test ends.
func newTestLogger(t *testing.T, cfg Config, sink, fallback io.Writer) *Logger {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if fallback == nil {
		fallback = io.Discard
	}
	l := start(cfg.withDefaults(), sink, nil, fallback)
	t.Cleanup(func() { l.Close() })
	return l
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// lines splits s into its lines, without the empty one after the last \n.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// jsonLines decodes every line of s as a JSON object.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range lines(s) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d %q: %v", i+1, line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestLevelFiltering(t *testing.T) {
	tests := []struct {
		level string
		want  []string
	}{
		{level: "debug", want: []string{"DEBUG", "INFO", "WARN", "ERROR"}},
		{level: "", want: []string{"INFO", "WARN", "ERROR"}},
		{level: "info", want: []string{"INFO", "WARN", "ERROR"}},
		{level: "warn", want: []string{"WARN", "ERROR"}},
		{level: "error", want: []string{"ERROR"}},
	}
	for _, tt := range tests {
		t.Run("level "+tt.level, func(t *testing.T) {
			var sink syncBuffer
			l := newTestLogger(t, Config{Level: tt.level, Format: "json"}, &sink, nil)
			log := l.Slog()
			log.Debug("d")
			log.Info("i")
			log.Warn("w")
			log.Error("e")
			if err := l.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			var got []string
			for _, m := range jsonLines(t, sink.String()) {
				got = append(got, m["level"].(string))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("levels logged = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSetLevel(t *testing.T) {
	var sink syncBuffer
	l := newTestLogger(t, Config{Level: "error"}, &sink, nil)
	l.Slog().Info("before")
	l.SetLevel(slog.LevelDebug)
	l.Slog().Debug("after")
	l.Close()
	got := sink.String()
	if strings.Contains(got, "before") || !strings.Contains(got, "msg=after") {
		t.Errorf("got %q, want only the record logged after SetLevel", got)
	}
}

func TestFormats(t *testing.T) {
	logSome := func(l *Logger) {
		l.Slog().With("pool", "alpha").WithGroup("req").Info("hello world", "key", "k1", "n", 3)
	}
	t.Run("json", func(t *testing.T) {
		var sink syncBuffer
		l := newTestLogger(t, Config{Format: "json"}, &sink, nil)
		logSome(l)
		l.Close()
		got := jsonLines(t, sink.String())
		if len(got) != 1 {
			t.Fatalf("got %d lines, want 1: %q", len(got), sink.String())
		}
		m := got[0]
		req, _ := m["req"].(map[string]any)
		if m["level"] != "INFO" || m["msg"] != "hello world" || m["pool"] != "alpha" ||
			req["key"] != "k1" || req["n"] != 3.0 {
			t.Errorf("got %v, want level INFO, msg, pool and the req group", m)
		}
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m["time"])); err != nil {
			t.Errorf("time %v: %v", m["time"], err)
		}
	})
	t.Run("text", func(t *testing.T) {
		var sink syncBuffer
		l := newTestLogger(t, Config{Format: "text"}, &sink, nil)
		logSome(l)
		l.Close()
		got := lines(sink.String())
		if len(got) != 1 {
			t.Fatalf("got %d lines, want 1: %q", len(got), sink.String())
		}
		want := `level=INFO msg="hello world" pool=alpha req.key=k1 req.n=3`
		if !strings.HasPrefix(got[0], "time=") || !strings.HasSuffix(got[0], want) {
			t.Errorf("got %q, want time=... %s", got[0], want)
		}
	})
}

// seqs returns the seq attributes of the text lines with msg=rec, in order.
func seqs(t *testing.T, s string) []int {
	t.Helper()
	re := regexp.MustCompile(`msg=rec seq=(-?\d+)$`)
	var out []int
	for _, line := range lines(s) {
		if m := re.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			out = append(out, n)
		}
	}
	return out
}

func TestNeverBlocks(t *testing.T) {
	const records = 10000
	sink := newBlockingWriter()
	l := newTestLogger(t, Config{Buffer: 64}, sink, nil)
	t.Cleanup(sink.unblock) // runs before newTestLogger's Close, should the test fail early
	log := l.Slog()
	log.Info("rec", "seq", -1)
	select {
	case <-sink.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the writer goroutine never wrote")
	}

	done := make(chan time.Duration)
	go func() {
		start := time.Now()
		for i := range records {
			log.Info("rec", "seq", i)
		}
		done <- time.Since(start)
	}()
	select {
	case took := <-done:
		t.Logf("%d records logged in %v while the sink was blocked", records, took)
	case <-time.After(30 * time.Second):
		t.Fatal("logging blocked on a blocked sink")
	}
	dropped := l.Dropped()
	if dropped < records-64-1 || dropped > records {
		t.Fatalf("Dropped() = %d, want %d to %d", dropped, records-64-1, records)
	}

	sink.unblock()
	notice := regexp.MustCompile(`level=WARN msg="dropped (\d+) records" dropped=(\d+) dropped_total=(\d+)`)
	waitFor(t, "the dropped notice", func() bool { return notice.MatchString(sink.String()) })
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	out := sink.String()
	var noticed int64
	for _, m := range notice.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		noticed += n
	}
	if noticed != dropped {
		t.Errorf("notices announce %d dropped records, want %d", noticed, dropped)
	}
	got := seqs(t, out)
	if int64(len(got)) != records+1-dropped {
		t.Errorf("%d records written, want %d logged - %d dropped", len(got), records+1, dropped)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("records out of order: seq %d after %d", got[i], got[i-1])
		}
	}
}

func TestCloseFlushes(t *testing.T) {
	t.Run("in order", func(t *testing.T) {
		const records = 5000
		var sink syncBuffer
		l := newTestLogger(t, Config{Buffer: records}, &sink, nil)
		for i := range records {
			l.Slog().Info("rec", "seq", i)
		}
		if err := l.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		got := seqs(t, sink.String())
		if len(got) != records {
			t.Fatalf("%d records written, want %d", len(got), records)
		}
		for i, seq := range got {
			if seq != i {
				t.Fatalf("record %d has seq %d, want %d", i, seq, i)
			}
		}
		if d := l.Dropped(); d != 0 {
			t.Errorf("Dropped() = %d, want 0", d)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		const goroutines, each = 8, 500
		var sink syncBuffer
		l := newTestLogger(t, Config{Buffer: goroutines * each, Format: "json"}, &sink, nil)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				log := l.Slog().With("g", g)
				for i := range each {
					log.Info("rec", "seq", i)
				}
			})
		}
		wg.Wait()
		if err := l.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		next := make(map[float64]float64) // per goroutine, the next seq expected
		for _, m := range jsonLines(t, sink.String()) {
			g, seq := m["g"].(float64), m["seq"].(float64)
			if seq != next[g] {
				t.Fatalf("goroutine %v: seq %v, want %v", g, seq, next[g])
			}
			next[g]++
		}
		for g := range goroutines {
			if next[float64(g)] != each {
				t.Errorf("goroutine %d: %v records written, want %d", g, next[float64(g)], each)
			}
		}
	})
}

func TestCloseIdempotent(t *testing.T) {
	var sink syncBuffer
	l := newTestLogger(t, Config{}, &sink, nil)
	l.Slog().Info("before")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = l.Close() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Close #%d = %v, want nil", i, err)
		}
	}
	l.Slog().Info("after") // must not panic nor be written
	if d := l.Dropped(); d != 1 {
		t.Errorf("Dropped() after logging past Close = %d, want 1", d)
	}
	if got := sink.String(); !strings.Contains(got, "msg=before") || strings.Contains(got, "after") {
		t.Errorf("got %q, want the record before Close only", got)
	}
}

func TestNoGoroutineLeft(t *testing.T) {
	before := goleak.IgnoreCurrent()
	sink := newBlockingWriter()
	l := newTestLogger(t, Config{Buffer: 4}, sink, nil)
	for i := range 100 {
		l.Slog().Info("rec", "seq", i)
	}
	<-sink.entered
	sink.unblock()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	goleak.VerifyNone(t, before)
}

func TestWriteErrorReported(t *testing.T) {
	errDisk := errors.New("disk full")
	var fallback syncBuffer
	l := newTestLogger(t, Config{}, failingWriter{errDisk}, &fallback)
	l.Slog().Info("rec", "seq", 0)
	waitFor(t, "the write error", func() bool { return fallback.String() != "" })
	for i := range 10 {
		l.Slog().Info("rec", "seq", i+1)
	}
	err := l.Close()
	if !errors.Is(err, errDisk) {
		t.Errorf("Close() = %v, want the write error", err)
	}
	if got := lines(fallback.String()); len(got) != 1 || !strings.Contains(got[0], "disk full") {
		t.Errorf("fallback got %q, want one report of the error", got)
	}
}

func TestNew(t *testing.T) {
	t.Run("invalid config", func(t *testing.T) {
		if _, err := New(Config{Format: "xml"}); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("New() error = %v, want ErrInvalidConfig", err)
		}
	})
	t.Run("unopenable file", func(t *testing.T) {
		notDir := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(notDir, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Config{File: filepath.Join(notDir, "faed.log")}); err == nil {
			t.Error("New() with a file under a regular file: nil error")
		}
	})
	t.Run("stderr", func(t *testing.T) {
		l, err := New(Config{Level: "error", SlowThreshold: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if l.SlowLog() == nil {
			t.Error("SlowLog() = nil with a threshold set")
		}
		if err := l.Reopen(); err != nil {
			t.Errorf("Reopen() on stderr = %v, want nil", err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
}

// TestFileRotates logs through New to a file, rotating by size.
func TestFileRotates(t *testing.T) {
	const records, maxSize, maxFiles = 2000, 8 << 10, 2
	path := filepath.Join(t.TempDir(), "sub", "faed.log")
	l, err := New(Config{File: path, Format: "json", MaxSize: maxSize, MaxFiles: maxFiles, Buffer: records})
	if err != nil {
		t.Fatal(err)
	}
	for i := range records {
		l.Slog().Info("rec", "seq", i, "pad", strings.Repeat("x", 50))
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Reopen(); !errors.Is(err, ErrClosed) {
		t.Errorf("Reopen() after Close = %v, want ErrClosed", err)
	}
	var all []map[string]any
	for i := maxFiles; i >= 0; i-- { // oldest first
		name := path
		if i > 0 {
			name += "." + strconv.Itoa(i)
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > maxSize {
			t.Errorf("file %d has %d bytes, more than MaxSize %d", i, len(b), maxSize)
		}
		all = append(all, jsonLines(t, string(b))...)
	}
	if _, err := os.Stat(path + "." + strconv.Itoa(maxFiles+1)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s.%d: %v, want it not to exist", path, maxFiles+1, err)
	}
	if len(all) < 100 {
		t.Fatalf("only %d records kept", len(all))
	}
	first := all[0]["seq"].(float64)
	for i, m := range all {
		if want := first + float64(i); m["seq"] != want {
			t.Fatalf("record %d: seq %v, want %v", i, m["seq"], want)
		}
	}
	if last := all[len(all)-1]["seq"]; last != float64(records-1) {
		t.Errorf("last seq %v, want %d", last, records-1)
	}
}

// TestLoggerReopen moves the file away as logrotate does, then reopens.
func TestLoggerReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faed.log")
	l, err := New(Config{File: path, MaxSize: -1, MaxAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Slog().Info("first")
	waitFor(t, "the first record in the file", func() bool {
		b, _ := os.ReadFile(path)
		return bytes.Contains(b, []byte("first"))
	})
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	l.Slog().Info("second")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{path + ".old": "msg=first", path: "msg=second"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := lines(string(b)); len(got) != 1 || !strings.Contains(got[0], want) {
			t.Errorf("%s holds %q, want one line with %s", filepath.Base(name), got, want)
		}
	}
}

func BenchmarkLogInfo(b *testing.B) {
	l := start(Config{}.withDefaults(), io.Discard, nil, io.Discard)
	defer l.Close()
	log := l.Slog()
	b.ReportAllocs()
	for b.Loop() {
		log.Info("request done", "pool", "alpha", "command", "GET", "status", 200)
	}
	b.StopTimer()
	b.ReportMetric(float64(l.Dropped())/float64(b.N), "dropped/op")
}

func BenchmarkLogInfoParallel(b *testing.B) {
	l := start(Config{}.withDefaults(), io.Discard, nil, io.Discard)
	defer l.Close()
	log := l.Slog()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			log.Info("request done", "pool", "alpha", "command", "GET", "status", 200)
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(l.Dropped())/float64(b.N), "dropped/op")
}
