// Command faed is the fae proxy daemon. See README.md and docs/config.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/proxy"
)

func main() {
	os.Exit(run())
}

func run() int {
	conf := flag.String("c", "", "config `file`: .toml (native) or .yml (twemproxy); none serves the built-in default")
	test := flag.Bool("t", false, "test the config for errors and exit")
	version := flag.Bool("V", false, "print the version and exit")
	verbose := flag.Int("v", 5, "log `level` as in nutcracker: 0-11, higher is louder (5 = info)")
	threads := flag.Int("threads", 0, "`N` goroutine threads (GOMAXPROCS); 0 = the GOMAXPROCS environment variable if set, else half the CPUs (at least 1): faed shares the host with its clients and often its backends")
	flag.Parse()
	setThreads(*threads)
	if *version {
		fmt.Println("faed", proxy.Version)
		return 0
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(*verbose)}))

	cfg, err := load(*conf)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		if *test {
			fmt.Fprintf(os.Stderr, "faed: configuration file '%s' syntax is invalid\n", *conf)
		}
		return 1
	}
	if *test {
		fmt.Printf("faed: configuration file '%s' syntax is ok\n", cfg.File)
		return 0
	}
	srv, err := proxy.New(cfg, log)
	if err == nil {
		err = srv.Listen()
	}
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	log.Info("faed started", "version", proxy.Version, "config", describe(cfg), "threads", runtime.GOMAXPROCS(0))
	s := <-sig
	log.Info("shutting down", "signal", s.String())
	srv.Close()
	return 0
}

func load(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
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

// logLevel maps nutcracker's -v levels onto slog's.
func logLevel(v int) slog.Level {
	switch {
	case v >= 6:
		return slog.LevelDebug
	case v >= 5:
		return slog.LevelInfo
	case v >= 4:
		return slog.LevelWarn
	}
	return slog.LevelError
}
