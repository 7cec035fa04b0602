package config

import (
	"fmt"
	"time"

	"github.com/pelletier/go-toml/v2/unstable"
)

// Defaults of the [server] table.
const (
	// DefaultAdminListen is where the admin HTTP server listens.
	DefaultAdminListen = "127.0.0.1:22223"
	// DefaultDrainTimeout bounds how long a shutdown waits for requests in
	// flight.
	DefaultDrainTimeout = 10 * time.Second
	// DefaultMaxInFlight is the number of client requests in flight (all
	// pools together) above which new requests are refused as busy.
	DefaultMaxInFlight = 100000
)

// Global holds the settings of the whole process: TOML table [server]. A
// twemproxy YAML file has none; faed's flags set the same fields.
type Global struct {
	// AdminListen is the admin HTTP server's address ("" turns it off).
	// Default 127.0.0.1:22223 (22222 is nutcracker's stats port).
	AdminListen string
	// AdminToken, when set, is required as a bearer token by the admin
	// server (except /healthz). Default none.
	AdminToken string
	// Metrics counts requests per pool and command. Default true.
	Metrics bool
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string
	// LogFormat is text or json. Default text.
	LogFormat string
	// LogFile is the log's path; "" is standard error. Default "".
	LogFile string
	// LogMaxSize, LogMaxAge and LogMaxFiles rotate LogFile: at this many
	// bytes, or this age, keeping this many old files. Defaults 100 MiB,
	// 24h, 5.
	LogMaxSize  int64
	LogMaxAge   time.Duration
	LogMaxFiles int
	// SlowLog logs requests slower than this (0: off). Default off.
	SlowLog time.Duration
	// SlowLogSample is the share of slow requests logged. Default 1.
	SlowLogSample float64
	// MaxInFlight sheds load: with this many client requests in flight, new
	// ones get a "busy" error at once (0: no limit). Default 100000.
	MaxInFlight int
	// DrainTimeout bounds the wait for requests in flight at shutdown.
	// Default 10s.
	DrainTimeout time.Duration
	// WatchConfig reloads the config when its file changes. Default false.
	WatchConfig bool
}

// DefaultGlobal returns the defaults of Global.
func DefaultGlobal() Global {
	return Global{
		AdminListen:   DefaultAdminListen,
		Metrics:       true,
		LogLevel:      "info",
		LogFormat:     "text",
		LogMaxSize:    100 << 20,
		LogMaxAge:     24 * time.Hour,
		LogMaxFiles:   5,
		SlowLogSample: 1,
		MaxInFlight:   DefaultMaxInFlight,
		DrainTimeout:  DefaultDrainTimeout,
	}
}

// globalKeys are the keys of the [server] table.
var globalKeys = map[string]func(g *Global, v *tnode) error{
	"admin_listen":    globalString(func(g *Global) *string { return &g.AdminListen }),
	"admin_token":     globalString(func(g *Global) *string { return &g.AdminToken }),
	"metrics":         globalBool(func(g *Global) *bool { return &g.Metrics }),
	"log_level":       globalString(func(g *Global) *string { return &g.LogLevel }),
	"log_format":      globalString(func(g *Global) *string { return &g.LogFormat }),
	"log_file":        globalString(func(g *Global) *string { return &g.LogFile }),
	"log_max_size":    globalSize(func(g *Global) *int64 { return &g.LogMaxSize }),
	"log_max_age":     globalDuration(func(g *Global) *time.Duration { return &g.LogMaxAge }),
	"log_max_files":   globalInt(func(g *Global) *int { return &g.LogMaxFiles }),
	"slow_log":        globalDuration(func(g *Global) *time.Duration { return &g.SlowLog }),
	"slow_log_sample": globalFloat(func(g *Global) *float64 { return &g.SlowLogSample }),
	"max_in_flight":   globalInt(func(g *Global) *int { return &g.MaxInFlight }),
	"drain_timeout":   globalDuration(func(g *Global) *time.Duration { return &g.DrainTimeout }),
	"watch_config":    globalBool(func(g *Global) *bool { return &g.WatchConfig }),
}

// The global setters reuse the pool setters on a scratch pool.
func globalString(f func(*Global) *string) func(*Global, *tnode) error {
	return func(g *Global, v *tnode) (err error) { *f(g), err = tomlString(v); return err }
}

func globalBool(f func(*Global) *bool) func(*Global, *tnode) error {
	return func(g *Global, v *tnode) error {
		var p Pool
		err := tomlSetBool(func(*Pool) *bool { return &p.Preconnect })(&p, v)
		*f(g) = p.Preconnect
		return err
	}
}

func globalInt(f func(*Global) *int) func(*Global, *tnode) error {
	return func(g *Global, v *tnode) error {
		var p Pool
		err := tomlSetInt(func(*Pool) *int { return &p.Backlog })(&p, v)
		*f(g) = p.Backlog
		return err
	}
}

func globalFloat(f func(*Global) *float64) func(*Global, *tnode) error {
	return func(g *Global, v *tnode) error {
		var p Pool
		err := tomlSetFloat(func(*Pool) *float64 { return &p.Stack.RetryBudgetPercent })(&p, v)
		*f(g) = p.Stack.RetryBudgetPercent
		return err
	}
}

func globalDuration(f func(*Global) *time.Duration) func(*Global, *tnode) error {
	return func(g *Global, v *tnode) error {
		var p Pool
		err := tomlSetDuration(func(*Pool) *time.Duration { return &p.Timeout })(&p, v)
		*f(g) = p.Timeout
		return err
	}
}

func globalSize(f func(*Global) *int64) func(*Global, *tnode) error {
	return func(g *Global, v *tnode) error {
		var p Pool
		err := tomlKeys["servant_max_memory"](&p, v)
		*f(g) = p.ServantMaxMemory
		return err
	}
}

// tomlGlobal reads the [server] table.
func tomlGlobal(ps *problems, t *tnode) Global {
	g := DefaultGlobal()
	if t.kind != unstable.Table {
		ps.add(t.line, "server", ErrInvalid, fmt.Sprintf("is %s; want a table [server]", t.describe()))
		return g
	}
	for _, k := range t.keys {
		v := t.kids[k]
		key := "server." + tomlKey(k)
		set, known := globalKeys[k]
		if !known {
			ps.add(v.line, key, ErrUnknownKey, fmt.Sprintf("unknown key %q; see docs/config.md for the [server] keys", k))
			continue
		}
		if err := set(&g, v); err != nil {
			ps.add(v.line, key, ErrInvalid, err.Error())
		}
	}
	return g
}

// validateGlobal checks the [server] table.
func (c *Config) validateGlobal(ps *problems) {
	g := c.Server
	bad := func(key, format string, args ...any) {
		ps.add(0, "server."+key, ErrInvalid, fmt.Sprintf(format, args...))
	}
	if g.AdminListen != "" {
		if msg := checkListen(g.AdminListen); msg != "" {
			bad("admin_listen", "%s", msg)
		}
	}
	switch g.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		bad("log_level", "unknown level %q; want debug, info, warn or error", g.LogLevel)
	}
	switch g.LogFormat {
	case "", "text", "json":
	default:
		bad("log_format", "unknown format %q; want text or json", g.LogFormat)
	}
	if g.SlowLogSample < 0 || g.SlowLogSample > 1 {
		bad("slow_log_sample", "is %g; want 0 to 1", g.SlowLogSample)
	}
	for key, v := range map[string]int64{"max_in_flight": int64(g.MaxInFlight), "drain_timeout": int64(g.DrainTimeout),
		"slow_log": int64(g.SlowLog), "log_max_files": int64(g.LogMaxFiles)} {
		if v < 0 {
			bad(key, "is negative")
		}
	}
}
