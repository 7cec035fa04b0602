package logs

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestSlowLogThreshold(t *testing.T) {
	const threshold = 10 * time.Millisecond
	tests := []struct {
		name       string
		d          time.Duration
		wantLogged bool
	}{
		{name: "fast", d: time.Millisecond},
		{name: "just under", d: threshold - 1},
		{name: "at the threshold", d: threshold, wantLogged: true},
		{name: "over", d: 15*time.Millisecond + 250*time.Microsecond, wantLogged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sink syncBuffer
			l := newTestLogger(t, Config{Format: "json", SlowThreshold: threshold}, &sink, nil)
			s := l.SlowLog()
			s.Observe(tt.d, "alpha", "GET", "user:42", "10.0.0.1:6379")
			l.Close()
			got := jsonLines(t, sink.String())
			var wantCount int64
			if tt.wantLogged {
				wantCount = 1
			}
			if s.Count() != wantCount || int64(len(got)) != wantCount {
				t.Fatalf("Count() = %d and %d lines logged, want %d: %q", s.Count(), len(got), wantCount, sink.String())
			}
			if !tt.wantLogged {
				return
			}
			m := got[0]
			want := map[string]any{"level": "WARN", "msg": "slow request", "pool": "alpha", "command": "GET",
				"key": "user:42", "server": "10.0.0.1:6379", "duration_ms": float64(tt.d.Microseconds()) / 1000}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("%s = %v, want %v", k, m[k], v)
				}
			}
		})
	}
}

func TestSlowLogSampling(t *testing.T) {
	const observations = 10000
	tests := []struct {
		sample    float64
		want, tol int
	}{
		{sample: 0.5, want: 5000, tol: 250},
		{sample: 0.1, want: 1000, tol: 150},
		{sample: 1, want: observations},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("sample ", tt.sample), func(t *testing.T) {
			var sink syncBuffer
			l := newTestLogger(t, Config{Buffer: observations, SlowThreshold: time.Millisecond, SlowSample: tt.sample}, &sink, nil)
			s := l.SlowLog()
			s.rand = rand.New(rand.NewPCG(1, 2)).Float64
			for range observations {
				s.Observe(2*time.Millisecond, "alpha", "GET", "k", "s1")
			}
			l.Close()
			if s.Count() != observations {
				t.Errorf("Count() = %d, want %d", s.Count(), observations)
			}
			got := len(lines(sink.String()))
			if got < tt.want-tt.tol || got > tt.want+tt.tol {
				t.Errorf("%d of %d slow requests logged, want %d±%d", got, observations, tt.want, tt.tol)
			}
			if d := l.Dropped(); d != 0 {
				t.Errorf("Dropped() = %d, want 0", d)
			}
		})
	}
}

func TestSlowLogFilteredByLevel(t *testing.T) {
	var sink syncBuffer
	l := newTestLogger(t, Config{Level: "error", SlowThreshold: time.Millisecond}, &sink, nil)
	l.SlowLog().Observe(time.Second, "alpha", "GET", "k", "s1")
	l.Close()
	if got := sink.String(); got != "" || l.SlowLog().Count() != 1 {
		t.Errorf("logged %q and counted %d, want nothing logged and 1 counted", got, l.SlowLog().Count())
	}
}

func TestSlowLogOff(t *testing.T) {
	var sink syncBuffer
	l := newTestLogger(t, Config{}, &sink, nil)
	if s := l.SlowLog(); s != nil {
		t.Fatalf("SlowLog() = %v without a threshold, want nil", s)
	}
	var s *SlowLog
	s.Observe(time.Hour, "alpha", "GET", "k", "s1") // must not panic
	if n := s.Count(); n != 0 {
		t.Errorf("nil Count() = %d, want 0", n)
	}
	if (*Logger)(nil).SlowLog() != nil {
		t.Error("nil Logger's SlowLog() is not nil")
	}
	if NewSlowLog(nil, time.Second, 1) != nil || NewSlowLog(slog.Default(), 0, 1) != nil {
		t.Error("NewSlowLog without a logger or threshold is not nil")
	}
	for _, sample := range []float64{0, -1, 2} {
		if got := NewSlowLog(slog.Default(), time.Second, sample).sample; got != 1 {
			t.Errorf("NewSlowLog sample %v: got %v, want 1", sample, got)
		}
	}
}

func TestPrintableKey(t *testing.T) {
	long := strings.Repeat("k", 100)
	tests := []struct {
		name, key, want string
	}{
		{name: "plain", key: "user:42", want: "user:42"},
		{name: "empty", key: "", want: ""},
		{name: "space kept", key: "a b", want: "a b"},
		{name: "exactly 64", key: long[:64], want: long[:64]},
		{name: "65 cut", key: long[:65], want: long[:64] + "..."},
		{name: "control bytes", key: "a\r\n\x00\x7f", want: `a\x0d\x0a\x00\x7f`},
		{name: "invalid utf-8", key: "a\xffb", want: `a\xffb`},
		{name: "printable utf-8", key: "clé:ключ", want: "clé:ключ"},
		{name: "non-printable rune", key: "a\u200bb", want: `a\xe2\x80\x8bb`},
		{name: "rune across the cut", key: long[:63] + "é", want: long[:63] + "..."},
		{name: "binary cut", key: strings.Repeat("\x01", 70), want: strings.Repeat(`\x01`, 64) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := printableKey(tt.key); got != tt.want {
				t.Errorf("printableKey(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

// BenchmarkSlowObserveFast measures Observe below the threshold, inlined
// as at its call sites: the loop is over b.N, since b.Loop keeps calls in
// its body from being inlined.
func BenchmarkSlowObserveFast(b *testing.B) {
	s := NewSlowLog(slog.New(slog.DiscardHandler), 10*time.Millisecond, 1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Observe(time.Microsecond, "alpha", "GET", "user:42", "10.0.0.1:6379")
	}
	if s.Count() != 0 {
		b.Fatalf("Count() = %d, want 0", s.Count())
	}
}

func BenchmarkSlowObserveLogged(b *testing.B) {
	l := start(Config{SlowThreshold: time.Millisecond}.withDefaults(), discard{}, nil, discard{})
	defer l.Close()
	s := l.SlowLog()
	b.ReportAllocs()
	for b.Loop() {
		s.Observe(2*time.Millisecond, "alpha", "GET", "user:42", "10.0.0.1:6379")
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
