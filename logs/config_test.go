package logs

import (
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    slog.Level
		wantErr bool
	}{
		{name: "debug", in: "debug", want: slog.LevelDebug},
		{name: "info", in: "info", want: slog.LevelInfo},
		{name: "warn", in: "warn", want: slog.LevelWarn},
		{name: "warning", in: "warning", want: slog.LevelWarn},
		{name: "error", in: "error", want: slog.LevelError},
		{name: "upper case and spaces", in: " ERROR ", want: slog.LevelError},
		{name: "empty", in: "", wantErr: true},
		{name: "unknown", in: "loud", wantErr: true},
		{name: "slog offset syntax", in: "info+2", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLevel(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrUnknownLevel) {
					t.Fatalf("ParseLevel(%q) error = %v, want ErrUnknownLevel", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseLevel(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string // fields named in the error; none means valid
	}{
		{name: "zero", cfg: Config{}},
		{name: "everything set", cfg: Config{Level: "Debug", Format: "JSON", File: "/tmp/x.log",
			MaxSize: 1, MaxAge: time.Second, MaxFiles: 1, Buffer: 1,
			SlowThreshold: time.Millisecond, SlowSample: 0.01}},
		{name: "never rotate", cfg: Config{MaxSize: -1, MaxAge: -1}},
		{name: "sample 1", cfg: Config{SlowThreshold: time.Millisecond, SlowSample: 1}},
		{name: "bad level", cfg: Config{Level: "loud"}, wantErr: []string{"Level"}},
		{name: "bad format", cfg: Config{Format: "xml"}, wantErr: []string{"Format"}},
		{name: "negative MaxFiles", cfg: Config{MaxFiles: -1}, wantErr: []string{"MaxFiles"}},
		{name: "negative Buffer", cfg: Config{Buffer: -1}, wantErr: []string{"Buffer"}},
		{name: "negative SlowThreshold", cfg: Config{SlowThreshold: -time.Second}, wantErr: []string{"SlowThreshold"}},
		{name: "SlowSample above 1", cfg: Config{SlowSample: 1.5}, wantErr: []string{"SlowSample"}},
		{name: "SlowSample negative", cfg: Config{SlowSample: -0.1}, wantErr: []string{"SlowSample"}},
		{name: "SlowSample NaN", cfg: Config{SlowSample: math.NaN()}, wantErr: []string{"SlowSample"}},
		{name: "all reported at once", cfg: Config{Level: "x", Format: "y", Buffer: -2},
			wantErr: []string{"Level", "Format", "Buffer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want an error wrapping ErrInvalidConfig", err)
			}
			for _, field := range tt.wantErr {
				if !strings.Contains(err.Error(), field+":") {
					t.Errorf("Validate() = %q, want it to name %s", err, field)
				}
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	got := Config{Level: "WARN", Format: "JSON"}.withDefaults()
	want := Config{Level: "warn", Format: "json", MaxSize: DefaultMaxSize, MaxAge: DefaultMaxAge,
		MaxFiles: DefaultMaxFiles, Buffer: DefaultBuffer, SlowSample: DefaultSlowSample}
	if got != want {
		t.Errorf("withDefaults() = %+v, want %+v", got, want)
	}
	got = Config{MaxSize: -1, MaxAge: -1, SlowSample: 0.25}.withDefaults()
	if got.MaxSize != -1 || got.MaxAge != -1 || got.SlowSample != 0.25 {
		t.Errorf("withDefaults() changed set fields: %+v", got)
	}
}
