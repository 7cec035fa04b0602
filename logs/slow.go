package logs

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxKeyLen is the number of bytes of a key the slow log shows.
const maxKeyLen = 64

// SlowLog is the slow-request log: requests that took at least a threshold
// are counted, and a sampled fraction of them is logged at Warn level with
// the message "slow request" and the attributes pool, command, key (its
// first 64 bytes, non-printable bytes escaped as \xNN, "..." appended when
// cut), server and duration_ms (a float, to the microsecond). The record's
// time is when the request was observed, that is when it ended.
//
// Slow records go through the Logger like any other, so they are dropped
// too when its queue is full, and filtered out when its level is above
// warn; Count counts them all the same.
//
// A nil *SlowLog is valid and off: Observe does nothing and Count returns
// 0. Safe for concurrent use.
type SlowLog struct {
	threshold time.Duration
	sample    float64        // in (0, 1]
	log       *slog.Logger   // not nil
	rand      func() float64 // in [0, 1); math/rand/v2's, or a seeded one in tests
	count     atomic.Int64
}

// NewSlowLog returns a slow-request log writing to log, for the requests
// that take threshold or more, logging the fraction sample of them. A
// sample of 0 (or NaN, or out of range) means 1, all of them. It returns
// nil, an off SlowLog, when threshold is not positive or log is nil.
// Logger.SlowLog returns the one Config asks for; NewSlowLog is for other
// *slog.Loggers.
func NewSlowLog(log *slog.Logger, threshold time.Duration, sample float64) *SlowLog {
	if threshold <= 0 || log == nil {
		return nil
	}
	if math.IsNaN(sample) || sample <= 0 || sample > 1 {
		sample = 1
	}
	return &SlowLog{threshold: threshold, sample: sample, log: log, rand: rand.Float64}
}

// Observe records that a request took d. Below the threshold it costs one
// comparison; from it on, the request is counted and, if sampled, logged
// with the pool, command, key and server (the backend's name or address)
// that it names.
func (s *SlowLog) Observe(d time.Duration, pool, command, key, server string) {
	if s == nil || d < s.threshold {
		return
	}
	s.slow(d, pool, command, key, server)
}

// slow is Observe's path for slow requests, kept apart so that Observe
// inlines.
func (s *SlowLog) slow(d time.Duration, pool, command, key, server string) {
	s.count.Add(1)
	if s.sample < 1 && s.rand() >= s.sample {
		return
	}
	ctx := context.Background()
	if !s.log.Enabled(ctx, slog.LevelWarn) {
		return
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "slow request",
		slog.String("pool", pool),
		slog.String("command", command),
		slog.String("key", printableKey(key)),
		slog.String("server", server),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
	)
}

// Count returns the number of slow requests observed so far, logged or
// not. It is 0 for a nil SlowLog.
func (s *SlowLog) Count() int64 {
	if s == nil {
		return 0
	}
	return s.count.Load()
}

// printableKey returns key as the slow log shows it: at most its first
// maxKeyLen bytes, whole printable runes kept and every other byte written
// as \xNN, with "..." appended when key was cut.
func printableKey(key string) string {
	if len(key) <= maxKeyLen && isPrintableASCII(key) {
		return key
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	i := 0
	for i < len(key) {
		r, size := utf8.DecodeRuneInString(key[i:])
		if i+size > maxKeyLen {
			break
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			for _, c := range []byte(key[i : i+size]) {
				b.WriteString(`\x`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			}
		} else {
			b.WriteString(key[i : i+size])
		}
		i += size
	}
	if i < len(key) {
		b.WriteString("...")
	}
	return b.String()
}

// isPrintableASCII reports whether s holds only bytes from ' ' to '~'.
func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
