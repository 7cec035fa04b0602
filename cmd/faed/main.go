// Command faed is the fae proxy daemon. See README.md and docs/config.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/fae-dev/fae/admin"
	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/logs"
	"github.com/fae-dev/fae/nutstats"
	"github.com/fae-dev/fae/proxy"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	setThreads(o.threads)
	switch {
	case o.version:
		fmt.Fprintln(stdout, "This is faed", proxy.Version)
		return 0
	case o.describe:
		fmt.Fprint(stdout, nutstatsDescription)
		return 0
	}
	cfg, err := load(o.conf, o.dataDir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if o.test {
			fmt.Fprintf(stderr, "faed: configuration file '%s' syntax is invalid\n", o.conf)
		}
		return 1
	}
	if o.test {
		fmt.Fprintf(stdout, "faed: configuration file '%s' syntax is ok\n", cfg.File)
		return 0
	}
	if o.daemonize {
		pid, err := daemonize(args)
		if err != nil {
			fmt.Fprintln(stderr, "faed: daemonize:", err)
			return 1
		}
		fmt.Fprintln(stdout, "faed: running in the background, pid", pid)
		return 0
	}
	return serve(o, cfg, stderr)
}

// serve runs faed until a signal stops it.
func serve(o *options, cfg *config.Config, stderr io.Writer) int {
	logger, err := logs.New(logConfig(o, cfg))
	if err != nil {
		fmt.Fprintln(stderr, "faed:", err)
		return 1
	}
	defer logger.Close()
	log := logger.Slog()
	if o.pidFile != "" {
		if err := os.WriteFile(o.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			log.Error("cannot write the pid file", "err", err)
			return 1
		}
		defer os.Remove(o.pidFile)
	}
	srv, err := proxy.New(cfg, log)
	if err == nil {
		srv.SlowLog, srv.SlowAfter = logger.SlowLog(), cfg.Server.SlowLog
		err = srv.Listen()
	}
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	stopOps, err := startOps(o, cfg, srv, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		srv.Close()
		return 1
	}
	defer stopOps()
	log.Info("faed started", "version", proxy.Version, "config", describe(cfg), "threads", runtime.GOMAXPROCS(0))
	return waitSignals(srv, logger, drainTimeout(o, cfg), log)
}

// startOps starts the admin server, the twemproxy stats port and the config
// watcher; the returned func stops them.
func startOps(o *options, cfg *config.Config, srv *proxy.Server, log *slog.Logger) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	addr := cfg.Server.AdminListen
	if o.adminSet {
		addr = o.admin
	}
	var a *admin.Server
	if addr != "" && addr != "off" {
		token := cfg.Server.AdminToken
		if o.adminToken != "" {
			token = o.adminToken
		}
		a, err = admin.New(admin.Config{Addr: addr, Token: token}, srv, log)
		if err == nil {
			err = a.Start()
		}
		switch {
		case err != nil && !o.adminSet && addr == config.DefaultAdminListen:
			// the default address may be taken by another faed on the host:
			// serve without the admin server rather than not at all
			log.Warn("admin server disabled", "addr", addr, "err", err)
			a = nil
		case err != nil:
			return stop, fmt.Errorf("admin server on %s: %w", addr, err)
		}
	}
	if a != nil {
		log.Info("admin listening", "addr", a.Addr().String())
		stops = append(stops, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = a.Close(ctx)
		})
	}
	if o.statsPort > 0 {
		st, err := nutstats.Listen(net.JoinHostPort(o.statsAddr, strconv.Itoa(o.statsPort)), srv.Stats, "")
		if err != nil {
			return stop, fmt.Errorf("stats port: %w", err)
		}
		log.Info("twemproxy stats listening", "addr", st.Addr().String())
		stops = append(stops, func() { _ = st.Close() })
	}
	if (o.watch || cfg.Server.WatchConfig) && cfg.File != "" {
		quit := make(chan struct{})
		done, err := watchConfig(cfg.File, func() { _ = srv.Reload() }, log, quit)
		if err != nil {
			return stop, fmt.Errorf("watch %s: %w", cfg.File, err)
		}
		stops = append(stops, func() { close(quit); <-done })
	}
	return stop, nil
}

// waitSignals serves until SIGTERM or SIGINT: then it drains (a second
// signal exits at once). SIGHUP reloads the config and reopens the log.
func waitSignals(srv *proxy.Server, logger *logs.Logger, drain time.Duration, log *slog.Logger) int {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sig)
	for {
		s := <-sig
		if s == syscall.SIGHUP {
			_ = logger.Reopen()
			if err := srv.Reload(); err == nil {
				log.Info("reloaded on SIGHUP")
			}
			continue
		}
		log.Info("shutting down: draining requests in flight", "signal", s.String(), "drain_timeout", drain)
		ctx, cancel := context.WithTimeout(context.Background(), drain)
		done := make(chan error, 1)
		go func() { done <- srv.Shutdown(ctx) }()
		for {
			select {
			case err := <-done:
				cancel()
				if err != nil {
					log.Warn("drain timed out; closed the rest", "err", err)
				}
				log.Info("stopped")
				return 0
			case s := <-sig:
				if s == syscall.SIGHUP {
					continue
				}
				log.Warn("second signal: exiting at once", "signal", s.String())
				cancel()
				return 1
			}
		}
	}
}

func drainTimeout(o *options, cfg *config.Config) time.Duration {
	switch {
	case o.drain > 0:
		return o.drain
	case cfg.Server.DrainTimeout > 0:
		return cfg.Server.DrainTimeout
	}
	return config.DefaultDrainTimeout
}

// logConfig merges the flags over the config's [server] log settings.
func logConfig(o *options, cfg *config.Config) logs.Config {
	g := cfg.Server
	lc := logs.Config{Level: g.LogLevel, Format: g.LogFormat, File: g.LogFile, MaxSize: g.LogMaxSize,
		MaxAge: g.LogMaxAge, MaxFiles: g.LogMaxFiles, SlowThreshold: g.SlowLog, SlowSample: g.SlowLogSample}
	if o.verboseSet {
		lc.Level = logLevel(o.verbose)
	}
	if o.output != "" {
		lc.File = o.output
	}
	if o.logFormat != "" {
		lc.Format = o.logFormat
	}
	return lc
}

func load(path, dataDir string) (*config.Config, error) {
	if path == "" {
		return config.Default(dataDir), nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			return nil, fmt.Errorf("faed: %d error(s) in config:\n%w", len(errs), err)
		}
		return nil, fmt.Errorf("faed: %w", err)
	}
	return cfg, nil
}

func describe(cfg *config.Config) string {
	if cfg.File == "" {
		return "built-in default"
	}
	return cfg.File
}

// setThreads sets GOMAXPROCS: n if positive, else the environment's
// GOMAXPROCS if set, else half the CPUs. On a host that also runs the
// application workers (and often the backends), a proxy using every core
// mostly adds scheduler spinning; see BENCHMARKS.md.
func setThreads(n int) {
	switch {
	case n > 0:
		runtime.GOMAXPROCS(n)
	case os.Getenv("GOMAXPROCS") == "":
		runtime.GOMAXPROCS(max(1, runtime.NumCPU()/2))
	}
}

// logLevel maps nutcracker's -v levels onto log level names.
func logLevel(v int) string {
	switch {
	case v >= 6:
		return "debug"
	case v >= 5:
		return "info"
	case v >= 4:
		return "warn"
	}
	return "error"
}

// nutstatsDescription is -D's output: the twemproxy stats faed serves on -s.
const nutstatsDescription = `pool stats:
  client_eof          "# eof on client connections"
  client_err          "# errors on client connections"
  client_connections  "# active client connections"
  server_ejects       "# times backend server was ejected"
  forward_error       "# times we encountered a forwarding error"
  fragments           "# fragments created from a multi-vector request"

server stats:
  server_eof          "# eof on server connections"
  server_err          "# errors on server connections"
  server_timedout     "# timeouts on server connections"
  server_connections  "# active server connections"
  server_ejected_at   "timestamp when server was ejected in usec since epoch"
  requests            "# requests"
  request_bytes       "total request bytes"
  responses           "# responses"
  response_bytes      "total response bytes"
  in_queue            "# requests in incoming queue"
  in_queue_bytes      "current request bytes in incoming queue"
  out_queue           "# requests in outgoing queue"
  out_queue_bytes     "current request bytes in outgoing queue"

faed serves these with -s PORT (address -a); see docs/operations.md for how
faed's counters map onto them. The admin server's /metrics has more.
`
