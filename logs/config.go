package logs

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"
)

// Defaults of Config, filled in by New and NewRotatingFile for zero fields.
const (
	DefaultLevel      = "info"
	DefaultFormat     = "text"
	DefaultMaxSize    = 100 << 20 // bytes
	DefaultMaxAge     = 24 * time.Hour
	DefaultMaxFiles   = 5
	DefaultBuffer     = 4096 // records
	DefaultSlowSample = 1.0
)

// Config configures a Logger. The zero Config is valid: info level, text
// format, to standard error, no slow log. A Config is a plain value; it is
// copied by New and not retained.
type Config struct {
	// Level is the lowest level logged: "debug", "info", "warn" (or
	// "warning") or "error", in any case. Empty means "info".
	Level string

	// Format is "text" (slog.TextHandler, key=value) or "json"
	// (slog.JSONHandler, one object a line). Empty means "text".
	Format string

	// File is the path of the log file, created (with its directory) if
	// missing and appended to otherwise. Empty means standard error, which
	// is never rotated: MaxSize, MaxAge and MaxFiles then have no effect.
	File string

	// MaxSize is the size in bytes past which File is rotated. Zero means
	// DefaultMaxSize (100 MiB); negative means never rotate by size.
	MaxSize int64

	// MaxAge rotates File when it was opened longer ago than this. It is
	// checked when a record is written, so an idle log rotates on its next
	// record. Zero means DefaultMaxAge (24h); negative means never rotate by
	// age.
	MaxAge time.Duration

	// MaxFiles is the number of rotated files kept (File.1 the newest up to
	// File.MaxFiles the oldest); older ones are deleted. Zero means
	// DefaultMaxFiles (5); negative is invalid.
	MaxFiles int

	// Buffer is the number of records queued between the goroutines that
	// log and the one that writes. When it is full, records are dropped and
	// counted rather than waited for. Zero means DefaultBuffer (4096);
	// negative is invalid.
	Buffer int

	// SlowThreshold is the duration from which a request is slow and goes
	// to the slow-request log (see SlowLog). Zero means the slow log is off;
	// negative is invalid.
	SlowThreshold time.Duration

	// SlowSample is the fraction, from 0 to 1, of slow requests that are
	// logged; all of them are counted. Zero means DefaultSlowSample (1, all
	// of them). It has no effect when SlowThreshold is zero.
	SlowSample float64
}

// ParseLevel returns the slog.Level named by s: "debug", "info", "warn" (or
// "warning") or "error", in any case and with surrounding spaces ignored.
// Any other name, the empty one included, is an error wrapping
// ErrUnknownLevel.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%w %q; want debug, info, warn or error", ErrUnknownLevel, s)
}

// Validate reports every invalid field of c at once (joined with
// errors.Join), each error naming its field and wrapping ErrInvalidConfig.
// Zero fields are valid: they stand for the defaults. Validate does not
// touch the file system.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...)))
	}
	if c.Level != "" {
		if _, err := ParseLevel(c.Level); err != nil {
			bad("Level", "unknown level %q; want debug, info, warn or error", c.Level)
		}
	}
	switch strings.ToLower(c.Format) {
	case "", "text", "json":
	default:
		bad("Format", "unknown format %q; want text or json", c.Format)
	}
	if c.MaxFiles < 0 {
		bad("MaxFiles", "%d is negative; want 0 for the default (%d) or more", c.MaxFiles, DefaultMaxFiles)
	}
	if c.Buffer < 0 {
		bad("Buffer", "%d is negative; want 0 for the default (%d) or more", c.Buffer, DefaultBuffer)
	}
	if c.SlowThreshold < 0 {
		bad("SlowThreshold", "%v is negative; want 0 (off) or more", c.SlowThreshold)
	}
	if math.IsNaN(c.SlowSample) || c.SlowSample < 0 || c.SlowSample > 1 {
		bad("SlowSample", "%v is out of range; want 0 to 1", c.SlowSample)
	}
	return errors.Join(errs...)
}

// withDefaults returns c with its zero fields set to the defaults and Level
// and Format lower-cased. It is the one place defaults are filled in.
func (c Config) withDefaults() Config {
	if c.Level == "" {
		c.Level = DefaultLevel
	}
	c.Level = strings.ToLower(strings.TrimSpace(c.Level))
	if c.Format == "" {
		c.Format = DefaultFormat
	}
	c.Format = strings.ToLower(c.Format)
	if c.MaxSize == 0 {
		c.MaxSize = DefaultMaxSize
	}
	if c.MaxAge == 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.MaxFiles == 0 {
		c.MaxFiles = DefaultMaxFiles
	}
	if c.Buffer == 0 {
		c.Buffer = DefaultBuffer
	}
	if c.SlowSample == 0 {
		c.SlowSample = DefaultSlowSample
	}
	return c
}
