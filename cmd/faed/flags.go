package main

import (
	"flag"
	"fmt"
	"io"
	"time"
)

// options are faed's command-line flags: nutcracker's, with the same
// meaning (so init scripts and monitoring written for twemproxy keep
// working), and faed's own.
type options struct {
	conf       string
	test       bool
	version    bool
	describe   bool
	daemonize  bool
	verbose    int
	verboseSet bool
	output     string
	statsPort  int
	statsAddr  string
	statsIntMS int
	pidFile    string
	mbufSize   int
	threads    int
	admin      string
	adminSet   bool
	adminToken string
	logFormat  string
	watch      bool
	drain      time.Duration
	dataDir    string
}

// parseFlags reads args (without the program name).
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("faed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, def, usage string, names ...string) {
		for _, n := range names {
			fs.StringVar(p, n, def, usage)
		}
	}
	boolean := func(p *bool, usage string, names ...string) {
		for _, n := range names {
			fs.BoolVar(p, n, false, usage)
		}
	}
	integer := func(p *int, def int, usage string, names ...string) {
		for _, n := range names {
			fs.IntVar(p, n, def, usage)
		}
	}
	str(&o.conf, "", "config `file`: .toml (native) or .yml (twemproxy); none serves the built-in default", "c", "conf-file")
	boolean(&o.test, "test the config for errors and exit", "t", "test-conf")
	boolean(&o.version, "print the version and exit", "V", "version")
	boolean(&o.describe, "describe the stats of -s and exit", "D", "describe-stats")
	boolean(&o.daemonize, "run in the background (detached, in a new session)", "d", "daemonize")
	integer(&o.verbose, 5, "log `level` as nutcracker's -v: 0-11, higher is louder (4 warn, 5 info, 6+ debug); overrides [server] log_level", "v", "verbose")
	str(&o.output, "", "log `file` (default standard error); overrides [server] log_file", "o", "output")
	integer(&o.statsPort, 0, "serve twemproxy's stats document on this `port` (one JSON per TCP connection); 0 = off", "s", "stats-port")
	str(&o.statsAddr, "0.0.0.0", "`address` for -s, as nutcracker's -a", "a", "stats-addr")
	integer(&o.statsIntMS, 30000, "stats interval in `ms` (accepted for nutcracker compatibility; faed's stats are always current)", "i", "stats-interval")
	str(&o.pidFile, "", "write the process id to `file`", "p", "pid-file")
	integer(&o.mbufSize, 16384, "mbuf size in `bytes` (accepted for nutcracker compatibility; unused: faed sizes its buffers itself)", "m", "mbuf-size")
	fs.IntVar(&o.threads, "threads", 0, "`N` threads (GOMAXPROCS); 0 = the GOMAXPROCS environment variable if set, else half the CPUs (at least 1)")
	fs.StringVar(&o.admin, "admin", "", "admin HTTP `address` (metrics, stats, reload, dashboard); overrides [server] admin_listen (default 127.0.0.1:22223); \"off\" disables it")
	fs.StringVar(&o.adminToken, "admin-token", "", "bearer `token` the admin server requires; overrides [server] admin_token")
	fs.StringVar(&o.logFormat, "log-format", "", "`text` or json; overrides [server] log_format")
	fs.BoolVar(&o.watch, "watch", false, "reload the config when its file changes (also [server] watch_config)")
	fs.StringVar(&o.dataDir, "data", "", "`dir` of the built-in default's kvdb (with no -c); default $FAE_DATA_DIR, else $XDG_DATA_HOME/fae, else ~/.local/share/fae")
	fs.DurationVar(&o.drain, "drain", 0, "how long shutdown waits for requests in flight; overrides [server] drain_timeout (default 10s)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: faed [options]

faed is the fae proxy: Redis, memcache and HTTP in front of pools of servers.
It takes nutcracker's options with the same meaning, plus its own.

Signals: SIGHUP reloads the config and reopens the log file; SIGTERM and
SIGINT stop accepting, let requests in flight finish (-drain), and exit 0; a
second SIGTERM or SIGINT exits at once (status 1).

Options:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "v", "verbose":
			o.verboseSet = true
		case "admin":
			o.adminSet = true
		}
	})
	return o, nil
}
