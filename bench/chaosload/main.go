// Command chaosload is the measuring client of bench/chaos.sh: steady Redis
// GET/SET load through a proxy while one server of the pool is killed and
// restarted, counted per interval and split by which server owns each key.
//
// It reads the proxy's config (-config, twemproxy YAML or faed TOML) and
// places every key the way twemproxy does (the pool's hash, hash_tag and
// distribution over all its servers, through packages config and hashkit), so
// each request is either for a "dead key", one the -dead server owns while
// all servers are up, or for an "other key". Keys are "chaos:N", N uniform in
// [0, -keys); each request is a GET or a SET (-size bytes), half and half.
//
// -c workers each hold one connection to -addr and loop: send -pipeline
// requests, read the replies, repeat. Every reply has -timeout (default 2s) to
// arrive. An error reply ("-ERR ...") is an error for its key; an I/O error or
// timeout is an error for every request of the batch still unanswered, after
// which the worker reconnects. A failed dial is a dial error (no key). A reply
// counts in the interval in which it is read.
//
// Every -interval it prints one line on stdout, for the interval that just
// ended (t is the interval's start, in seconds since the start of the run):
//
//	t=5.10 ok_per_s=20510 dead_ok=310 dead_err=12 other_ok=1741 other_err=0 dial_err=0 max_ms=3.1 srv_cmds=0 first_err="ERR Connection refused"
//
// srv_cmds is the number of commands the dead server executed in the
// interval that chaosload did not send itself, read by polling the server
// directly with INFO at each interval boundary (-poll): traffic from the
// proxy. It is -1 while the server does not answer.
//
// The kill and restart times come from -events, a file the driving script
// appends "kill UNIXTIME" and "restart UNIXTIME" lines to (seconds, with a
// fraction: bash's $EPOCHREALTIME); "restart" is when the server accepts
// connections again. -kill-at and -restart-at (offsets from the start) are the
// alternative. At the end it prints a one-second timeline ("timeline ..."
// lines) and the summary, key=value lines (see summarize for the exact
// definitions):
//
//	ok_per_s_before, ok_per_s_during, ok_per_s_after  median ok/s of the
//	    intervals before the kill (after the first -warmup), during the kill,
//	    and after the restart
//	dead_err_*, other_err_*, dial_err_*   error counts, by key kind and
//	              phase (exact: from each failure's time)
//	eject_s       kill -> first interval in which dead keys succeed and none
//	              fails: the proxy serves them from the other servers
//	first_dead_err_s, last_dead_err_s   kill -> first and last dead-key
//	              error before that (exact times): the burst the kill causes
//	other_err_after_eject     other-key errors from eject until the restart
//	back_s        restart -> first interval in which the proxy sends the
//	              restarted server commands
//	settle_s      restart -> the later of back_s and the last error of the run
//	recover_s     restart -> start of the first -hold (1s) window of intervals
//	              with no error at all and a mean ok/s >= 90% of ok_per_s_before
//
// Figures that did not happen are "none". The exit status is 0 when the run
// was measured, whatever the errors; 2 for bad flags or config.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fae-dev/fae/bench/internal/loadkit"
	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/hashkit"
)

type options struct {
	addr, confPath, pool, dead, label, events string
	conns, keys, pipeline, size               int
	dur, interval, timeout, warmup, hold      time.Duration
	killAt, restartAt                         time.Duration
	poll                                      bool
	recoverFrac                               float64
}

// bucket is one worker's counts for one interval; only that worker writes it.
type bucket struct {
	deadOK, deadErr, otherOK, otherErr, dialErr atomic.Int64
	maxLat                                      atomic.Int64 // ns
}

// interval is the sum of the workers' buckets for one interval, plus what the
// poller saw.
type interval struct {
	deadOK, deadErr, otherOK, otherErr, dialErr int64
	maxLat                                      time.Duration
	srvCmds                                     int64 // -1: server down; -2: not polled
	firstErr                                    string
}

func (iv interval) ok() int64   { return iv.deadOK + iv.otherOK }
func (iv interval) errs() int64 { return iv.deadErr + iv.otherErr + iv.dialErr }

type run struct {
	opt      options
	start    time.Time
	end      time.Time
	nb       int // number of intervals
	keys     [][]byte
	deadKey  []bool
	value    []byte
	buckets  [][]bucket // [worker][interval]
	firstErr []atomic.Pointer[string]
	srvCmds  []atomic.Int64
	errLogs  []errLog // [worker]
	deadAddr string
}

// An errEvent is one failed request (or dial), at the time the failure was
// seen, as an offset from the start. The summary counts errors per phase from
// these, exactly, wherever the kill and restart fall in an interval.
type errEvent struct {
	at   time.Duration
	kind errKind
}

type errKind uint8

const (
	errDead  errKind = iota // a dead key's request failed
	errOther                // another key's request failed
	errDial                 // chaosload could not connect to the proxy
)

// errLog is one worker's failures; the mutex only matters if the summary
// reads it while a worker is late.
type errLog struct {
	mu sync.Mutex
	ev []errEvent
}

func (l *errLog) add(at time.Duration, k errKind) {
	l.mu.Lock()
	l.ev = append(l.ev, errEvent{at, k})
	l.mu.Unlock()
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:22121", "proxy `address` (host:port)")
	flag.StringVar(&o.confPath, "config", "", "the proxy's config `file` (.yml twemproxy or .toml); required")
	flag.StringVar(&o.pool, "pool", "", "pool `name` in the config; default: the only pool")
	flag.StringVar(&o.dead, "dead", "0", "the server that is killed: its `index` in the pool (from 0, config order), its host:port or its name")
	flag.StringVar(&o.label, "label", "", "label printed with the summary (e.g. the proxy's name)")
	flag.StringVar(&o.events, "events", "", "`file` with \"kill UNIXTIME\" and \"restart UNIXTIME\" lines, read at the end")
	flag.DurationVar(&o.killAt, "kill-at", 0, "kill time as an offset from the start, when -events does not give it")
	flag.DurationVar(&o.restartAt, "restart-at", 0, "restart time as an offset from the start, when -events does not give it")
	flag.IntVar(&o.conns, "c", 50, "concurrent connections (workers)")
	flag.IntVar(&o.keys, "keys", 10000, "key space: chaos:0 .. chaos:N-1")
	flag.IntVar(&o.pipeline, "pipeline", 1, "requests sent per round trip")
	flag.IntVar(&o.size, "size", 32, "SET value size in bytes")
	flag.DurationVar(&o.dur, "duration", 25*time.Second, "length of the run")
	flag.DurationVar(&o.interval, "interval", 100*time.Millisecond, "reporting interval")
	flag.DurationVar(&o.timeout, "timeout", 2*time.Second, "longest wait for one reply (or a dial)")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "start of the run left out of ok_per_s_before")
	flag.DurationVar(&o.hold, "hold", time.Second, "how long throughput must stay recovered for recover_s")
	flag.Float64Var(&o.recoverFrac, "recover-frac", 0.9, "fraction of ok_per_s_before that counts as recovered")
	flag.BoolVar(&o.poll, "poll", true, "poll the dead server directly (INFO) for srv_cmds and back_s")
	flag.Parse()
	if o.confPath == "" || o.conns <= 0 || o.keys <= 0 || o.pipeline <= 0 || o.size < 0 ||
		o.dur <= 0 || o.interval <= 0 || o.timeout <= 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "chaosload: need -config, and -c, -keys, -pipeline, -duration, -interval, -timeout > 0")
		flag.Usage()
		os.Exit(2)
	}
	r, pc, deadIdx, err := setup(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaosload:", err)
		os.Exit(2)
	}
	nDead := 0
	for _, d := range r.deadKey {
		if d {
			nDead++
		}
	}
	fmt.Printf("label=%s addr=%s pool=%s servers=%d hash=%s distribution=%s dead_server=%s dead_index=%d dead_keys=%d keys=%d conns=%d pipeline=%d interval_ms=%d\n",
		o.label, o.addr, pc.Name, len(pc.Servers), pc.Hash, pc.Distribution, r.deadAddr, deadIdx,
		nDead, o.keys, o.conns, o.pipeline, o.interval.Milliseconds())
	fmt.Printf("config auto_eject_hosts=%v server_failure_limit=%d server_retry_timeout_ms=%d timeout_ms=%d\n",
		pc.AutoEjectHosts, pc.ServerFailureLimit, pc.ServerRetryTimeout.Milliseconds(), pc.Timeout.Milliseconds())

	r.start = time.Now()
	r.end = r.start.Add(o.dur)
	// The driving script times the kill and restart from this line.
	fmt.Printf("start_unix=%d.%09d\n", r.start.Unix(), r.start.Nanosecond())
	done := loadkit.Start(o.conns, r.worker)
	r.ticker()
	// Workers stop sending at the end; the last replies may take -timeout.
	select {
	case <-done:
	case <-time.After(o.timeout + time.Second):
		fmt.Println("# some workers were still waiting for replies at the end")
	}
	kill, restart := events(o, r.start)
	summarize(r, pc, kill, restart)
}

// setup reads the config and places every key.
func setup(o options) (*run, config.Pool, int, error) {
	cfg, err := config.Load(o.confPath)
	if err != nil {
		return nil, config.Pool{}, 0, err
	}
	var pc *config.Pool
	for i := range cfg.Pools {
		if o.pool == "" || cfg.Pools[i].Name == o.pool {
			if pc != nil && o.pool == "" {
				return nil, config.Pool{}, 0, fmt.Errorf("%s has several pools: name one with -pool", o.confPath)
			}
			pc = &cfg.Pools[i]
		}
	}
	if pc == nil {
		return nil, config.Pool{}, 0, fmt.Errorf("no pool %q in %s", o.pool, o.confPath)
	}
	if pc.Protocol != config.ProtocolRedis || len(pc.Servers) == 0 {
		return nil, config.Pool{}, 0, fmt.Errorf("pool %s is not a redis pool with servers", pc.Name)
	}
	deadIdx := -1
	if n, err := strconv.Atoi(o.dead); err == nil {
		deadIdx = n
	} else {
		for i, s := range pc.Servers {
			if s.Addr == o.dead || (s.Name != "" && s.Name == o.dead) {
				deadIdx = i
			}
		}
	}
	if deadIdx < 0 || deadIdx >= len(pc.Servers) {
		return nil, config.Pool{}, 0, fmt.Errorf("-dead %q is not a server of pool %s", o.dead, pc.Name)
	}
	// Place keys as proxy/pool.go's pick does with every server live.
	h, err := hashkit.Lookup(pc.Hash)
	if err != nil {
		return nil, config.Pool{}, 0, err
	}
	nodes := make([]hashkit.Node, len(pc.Servers))
	for i, s := range pc.Servers {
		nodes[i] = hashkit.Node{Name: s.RingName(), Weight: s.Weight}
	}
	dist, err := hashkit.NewDistribution(pc.Distribution, nodes)
	if err != nil {
		return nil, config.Pool{}, 0, err
	}
	if pc.Distribution == "random" {
		return nil, config.Pool{}, 0, errors.New("distribution random: keys have no owner")
	}
	r := &run{opt: o, deadAddr: pc.Servers[deadIdx].Addr}
	r.nb = int((o.dur + o.interval - 1) / o.interval)
	r.keys = make([][]byte, o.keys)
	r.deadKey = make([]bool, o.keys)
	for i := range r.keys {
		r.keys[i] = fmt.Appendf(nil, "chaos:%d", i)
		one := len(pc.Servers) == 1
		r.deadKey[i] = one || hashkit.Locate(dist, h, pc.HashTag, r.keys[i]) == deadIdx
	}
	r.value = bytes.Repeat([]byte{'v'}, o.size)
	r.buckets = make([][]bucket, o.conns)
	for w := range r.buckets {
		r.buckets[w] = make([]bucket, r.nb)
	}
	r.firstErr = make([]atomic.Pointer[string], r.nb)
	r.srvCmds = make([]atomic.Int64, r.nb)
	r.errLogs = make([]errLog, o.conns)
	for i := range r.srvCmds {
		r.srvCmds[i].Store(-2)
	}
	return r, *pc, deadIdx, nil
}

// slot returns the interval t falls in, or -1 past the end.
func (r *run) slot(t time.Time) int {
	i := int(t.Sub(r.start) / r.opt.interval)
	if i < 0 {
		i = 0
	}
	if i >= r.nb {
		return -1
	}
	return i
}

func (r *run) noteErr(i int, msg string) {
	if i >= 0 && r.firstErr[i].Load() == nil {
		r.firstErr[i].CompareAndSwap(nil, &msg)
	}
}

// worker is one connection's loop until the end of the run.
func (r *run) worker(w int) {
	o := r.opt
	rnd := rand.New(rand.NewPCG(uint64(w), 0x6368616f73))
	b := r.buckets[w]
	var (
		conn  net.Conn
		br    *bufio.Reader
		req   []byte
		batch = make([]int, 0, o.pipeline) // key indexes
	)
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	count := func(k int, ok bool, at time.Time, lat time.Duration) {
		i := r.slot(at)
		if i < 0 {
			return
		}
		switch {
		case ok && r.deadKey[k]:
			b[i].deadOK.Add(1)
		case ok:
			b[i].otherOK.Add(1)
		case r.deadKey[k]:
			b[i].deadErr.Add(1)
			r.errLogs[w].add(at.Sub(r.start), errDead)
		default:
			b[i].otherErr.Add(1)
			r.errLogs[w].add(at.Sub(r.start), errOther)
		}
		if ns := int64(lat); ns > b[i].maxLat.Load() {
			b[i].maxLat.Store(ns)
		}
	}
	for {
		now := time.Now()
		if !now.Before(r.end) {
			return
		}
		if conn == nil {
			c, err := net.DialTimeout("tcp", o.addr, o.timeout)
			if err != nil {
				at := time.Now()
				if i := r.slot(at); i >= 0 {
					b[i].dialErr.Add(1)
					r.errLogs[w].add(at.Sub(r.start), errDial)
					r.noteErr(i, "dial: "+err.Error())
				}
				time.Sleep(10 * time.Millisecond)
				continue
			}
			conn, br = c, bufio.NewReaderSize(c, 16<<10)
		}
		req, batch = req[:0], batch[:0]
		for range o.pipeline {
			k := rnd.IntN(o.keys)
			batch = append(batch, k)
			if rnd.IntN(2) == 0 {
				req = loadkit.AppendCommand(req, []byte("GET"), r.keys[k])
			} else {
				req = loadkit.AppendCommand(req, []byte("SET"), r.keys[k], r.value)
			}
		}
		sent := time.Now()
		conn.SetDeadline(sent.Add(o.timeout))
		_, err := conn.Write(req)
		answered := 0
		for err == nil && answered < len(batch) {
			var msg string
			msg, err = loadkit.ReadReply(br)
			if err != nil {
				break
			}
			at := time.Now()
			k := batch[answered]
			answered++
			count(k, msg == "", at, at.Sub(sent))
			if msg != "" {
				r.noteErr(r.slot(at), msg)
			}
		}
		if err != nil {
			at := time.Now()
			for _, k := range batch[answered:] {
				count(k, false, at, at.Sub(sent))
			}
			r.noteErr(r.slot(at), ioError(err))
			conn.Close()
			conn = nil
		}
	}
}

// ioError shortens an I/O error for the per-interval line.
func ioError(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout (no reply)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the proxy"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op + ": " + oe.Err.Error()
	}
	return err.Error()
}

// ticker prints each interval's line when it ends, after polling the dead
// server, until the end of the run.
func (r *run) ticker() {
	var p poller
	if r.opt.poll {
		p.c = loadkit.Client{Addr: r.deadAddr, Timeout: 50 * time.Millisecond}
		p.poll() // baseline
	}
	for i := range r.nb {
		time.Sleep(time.Until(r.start.Add(time.Duration(i+1) * r.opt.interval)))
		if r.opt.poll {
			r.srvCmds[i].Store(p.poll())
		}
		time.Sleep(5 * time.Millisecond) // replies read at the boundary
		iv := r.sum(i)
		fmt.Printf("t=%.2f ok_per_s=%.0f dead_ok=%d dead_err=%d other_ok=%d other_err=%d dial_err=%d max_ms=%.1f srv_cmds=%d first_err=%q\n",
			r.t(i), float64(iv.ok())/r.opt.interval.Seconds(), iv.deadOK, iv.deadErr, iv.otherOK, iv.otherErr,
			iv.dialErr, ms(iv.maxLat), iv.srvCmds, iv.firstErr)
	}
}

func (r *run) t(i int) float64 { return (time.Duration(i) * r.opt.interval).Seconds() }

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func (r *run) sum(i int) interval {
	var iv interval
	for w := range r.buckets {
		b := &r.buckets[w][i]
		iv.deadOK += b.deadOK.Load()
		iv.deadErr += b.deadErr.Load()
		iv.otherOK += b.otherOK.Load()
		iv.otherErr += b.otherErr.Load()
		iv.dialErr += b.dialErr.Load()
		iv.maxLat = max(iv.maxLat, time.Duration(b.maxLat.Load()))
	}
	iv.srvCmds = r.srvCmds[i].Load()
	if p := r.firstErr[i].Load(); p != nil {
		iv.firstErr = *p
	}
	return iv
}

// poller reads total_commands_processed from the dead server with INFO and
// returns the commands executed since the previous poll, less its own INFOs.
type poller struct {
	c     loadkit.Client
	runID string
	last  int64 // commands not ours at the previous poll of runID
	mine  int64 // our INFOs on runID so far
}

func (p *poller) poll() int64 {
	v, err := p.c.Do([]byte("INFO"))
	if err != nil {
		p.c.Close()
		return -1
	}
	info := string(v)
	id, total := field(info, "run_id"), field(info, "total_commands_processed")
	n, err := strconv.ParseInt(total, 10, 64)
	if err != nil || id == "" {
		return -1
	}
	var since int64
	if id != p.runID { // a new server process: everything it ran so far
		p.runID, p.mine, p.last = id, 0, 0
	}
	// total_commands_processed does not count the INFO being answered.
	notMine := n - p.mine
	since = notMine - p.last
	p.last = notMine
	p.mine++
	return since
}

func field(info, name string) string {
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	return ""
}

// events returns the kill and restart times as offsets from start; negative
// when unknown.
func events(o options, start time.Time) (kill, restart time.Duration) {
	kill, restart = -1, -1
	if o.killAt > 0 {
		kill = o.killAt
	}
	if o.restartAt > 0 {
		restart = o.restartAt
	}
	if o.events == "" {
		return kill, restart
	}
	data, err := os.ReadFile(o.events)
	if err != nil {
		fmt.Printf("# events: %v\n", err)
		return kill, restart
	}
	marks, bad := loadkit.ParseMarks(string(data), start)
	for _, line := range bad {
		fmt.Printf("# events: bad line %q\n", line)
	}
	for _, m := range marks {
		switch m.Label {
		case "kill":
			kill = m.At
		case "restart":
			restart = m.At
		}
	}
	return kill, restart
}

// summarize prints the one-second timeline and the summary.
//
// Intervals are [t, t+interval). Errors are counted per phase from their exact
// times: before the kill, during (from the kill to the restart), after the
// restart. Throughput medians use only intervals wholly inside a phase, and
// "before" leaves out the first -warmup.
//
//   - eject_s: from the kill to the start of the first interval that begins
//     after the kill (and before the restart) in which dead keys had at least
//     one success and no error: the proxy has taken the dead server out and
//     serves its keys from the others. Resolution: one interval (the interval
//     boundary after the kill is the earliest it can be). "none" if it never
//     happens before the restart.
//   - first_dead_err_s, last_dead_err_s: from the kill to the first and to the
//     last dead-key error before that interval (exact): the burst of errors
//     the kill causes. "none" if there was no error.
//   - other_err_after_eject: errors on other keys, plus dial errors (which
//     would hit any key), from the start of that interval until the restart
//     (the target is 0); dead_err_after_eject: dead-key errors in the same
//     span (a proxy that puts the dead server back every
//     server_retry_timeout fails some of its keys at each retry), and
//     dead_err_intervals_after_eject the number of intervals with such errors.
//   - back_s: from the restart to the start of the first interval (ending
//     after the restart) in which the restarted server executed commands it
//     did not get from chaosload: the proxy uses it again.
//   - settle_s: from the restart until the proxy uses the server again and no
//     request fails any more: the later of back_s and the last error (exact)
//     of the run after the restart. Unlike recover_s it does not depend on
//     throughput, which a busy host makes noisy.
//   - recover_s: from the restart to the start of the first window of -hold
//     (1 s) of intervals, beginning at or after the restart, with no error of
//     any kind (dead, other or dial) and a mean ok/s >= -recover-frac (0.9)
//     of ok_per_s_before. The mean, not every interval, so that one slow
//     100 ms interval on a busy host does not reset it. recover_target_s is
//     2 s plus the pool's server_retry_timeout. after_before_ratio tells
//     whether "none" comes from a host whose throughput drifted (a ratio
//     near or below -recover-frac all along) rather than from the proxy.
func summarize(r *run, pc config.Pool, kill, restart time.Duration) {
	o := r.opt
	ivs := make([]interval, r.nb)
	for i := range ivs {
		ivs[i] = r.sum(i)
	}
	var errs []errEvent
	for w := range r.errLogs {
		l := &r.errLogs[w]
		l.mu.Lock()
		errs = append(errs, l.ev...)
		l.mu.Unlock()
	}
	slices.SortFunc(errs, func(a, b errEvent) int { return int(a.at - b.at) })

	step := max(1, int(time.Second/o.interval))
	for i := 0; i < r.nb; i += step {
		var s interval
		s.srvCmds = -2
		n := 0
		for j := i; j < min(i+step, r.nb); j++ {
			v := ivs[j]
			s.deadOK += v.deadOK
			s.deadErr += v.deadErr
			s.otherOK += v.otherOK
			s.otherErr += v.otherErr
			s.dialErr += v.dialErr
			s.maxLat = max(s.maxLat, v.maxLat)
			if v.srvCmds >= 0 {
				s.srvCmds = max(s.srvCmds, 0) + v.srvCmds
			} else if s.srvCmds == -2 {
				s.srvCmds = v.srvCmds
			}
			n++
		}
		secs := (time.Duration(n) * o.interval).Seconds()
		fmt.Printf("timeline t=%.0f ok_per_s=%.0f dead_err=%d other_err=%d dial_err=%d max_ms=%.0f srv_cmds_per_s=%s\n",
			r.t(i), float64(s.ok())/secs, s.deadErr, s.otherErr, s.dialErr, ms(s.maxLat), perSec(s.srvCmds, secs))
	}

	iv := o.interval
	startOf := func(i int) time.Duration { return time.Duration(i) * iv }
	rate := func(i int) float64 { return float64(ivs[i].ok()) / iv.Seconds() }
	median := func(lo, hi time.Duration) (float64, bool) { // intervals wholly in [lo, hi)
		var v []float64
		for i := range ivs {
			if startOf(i) >= lo && startOf(i)+iv <= hi {
				v = append(v, rate(i))
			}
		}
		return loadkit.Median(v), len(v) > 0
	}
	rateStr := func(m float64, ok bool) string {
		if !ok {
			return "none"
		}
		return fmt.Sprintf("%.0f", m)
	}
	const forever = time.Duration(math.MaxInt64)
	count := func(lo, hi time.Duration, kinds ...errKind) (n int64) { // errors in [lo, hi)
		for _, e := range errs {
			if e.at >= lo && e.at < hi && slices.Contains(kinds, e.kind) {
				n++
			}
		}
		return n
	}
	secs := func(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
	p := func(k string, v any) { fmt.Printf("%s=%v\n", k, v) }

	var totalOK int64
	for _, v := range ivs {
		totalOK += v.ok()
	}
	end := time.Duration(r.nb) * iv
	target := 2*time.Second + pc.ServerRetryTimeout
	fmt.Printf("summary label=%s\n", o.label)
	p("dead_server", r.deadAddr)
	p("duration_s", secs(o.dur))
	p("interval_ms", iv.Milliseconds())
	p("total_ok", totalOK)
	p("dead_err_total", count(0, forever, errDead))
	p("other_err_total", count(0, forever, errOther))
	p("dial_err_total", count(0, forever, errDial))
	if kill < 0 || restart < 0 || restart <= kill {
		p("kill_s", "none")
		p("restart_s", "none")
		fmt.Println("# no kill/restart events: phase figures not computed")
		return
	}
	p("kill_s", secs(kill))
	p("restart_s", secs(restart))
	before, bok := median(o.warmup, kill)
	p("ok_per_s_before", rateStr(before, bok))
	p("ok_per_s_during", rateStr(median(kill, restart)))
	after, aok := median(restart, end)
	p("ok_per_s_after", rateStr(after, aok))
	if bok && aok && before > 0 {
		p("after_before_ratio", fmt.Sprintf("%.2f", after/before))
	}
	p("dead_err_before", count(0, kill, errDead))
	p("other_err_before", count(0, kill, errOther))
	p("dial_err_before", count(0, kill, errDial))
	p("dead_err_during", count(kill, restart, errDead))
	p("other_err_during", count(kill, restart, errOther))
	p("dial_err_during", count(kill, restart, errDial))
	p("dead_err_after", count(restart, forever, errDead))
	p("other_err_after", count(restart, forever, errOther))
	p("dial_err_after", count(restart, forever, errDial))
	var maxDuring time.Duration
	for i, v := range ivs {
		if startOf(i)+iv > kill && startOf(i) < restart {
			maxDuring = max(maxDuring, v.maxLat)
		}
	}
	p("max_latency_ms_during", fmt.Sprintf("%.1f", ms(maxDuring)))

	// eject_s: the first clean interval for dead keys after the kill.
	ej := -1
	for i, v := range ivs {
		if s := startOf(i); s >= kill && s < restart && v.deadOK > 0 && v.deadErr == 0 {
			ej = i
			break
		}
	}
	ejectAt := restart // the end of the dead-key error burst, for its bounds
	if ej >= 0 {
		ejectAt = startOf(ej)
	}
	first, last := time.Duration(-1), time.Duration(-1)
	for _, e := range errs {
		if e.kind == errDead && e.at >= kill && e.at < ejectAt {
			if first < 0 {
				first = e.at - kill
			}
			last = e.at - kill
		}
	}
	orNone := func(d time.Duration) string {
		if d < 0 {
			return "none"
		}
		return secs(d)
	}
	p("first_dead_err_s", orNone(first))
	p("last_dead_err_s", orNone(last))
	if ej < 0 {
		p("eject_s", "none")
		p("other_err_after_eject", "none")
		p("dead_err_after_eject", "none")
		p("dead_err_intervals_after_eject", "none")
	} else {
		p("eject_s", secs(ejectAt-kill))
		p("other_err_after_eject", count(ejectAt, restart, errOther, errDial))
		p("dead_err_after_eject", count(ejectAt, restart, errDead))
		n := 0
		for i, v := range ivs {
			if startOf(i) >= ejectAt && startOf(i) < restart && v.deadErr > 0 {
				n++
			}
		}
		p("dead_err_intervals_after_eject", n)
	}

	// back_s, settle_s
	back := time.Duration(-1)
	for i, v := range ivs {
		if startOf(i)+iv > restart && v.srvCmds > 0 {
			back = max(startOf(i)-restart, 0)
			break
		}
	}
	settle := back
	if back >= 0 {
		for _, e := range errs {
			if e.at >= restart {
				settle = max(settle, e.at-restart)
			}
		}
	}
	if o.poll {
		p("back_s", orNone(back))
		p("settle_s", orNone(settle))
	} else {
		p("back_s", "not_polled")
		p("settle_s", "not_polled")
	}

	// recover_s
	rec := time.Duration(-1)
	if bok {
		floor := o.recoverFrac * before
		need := max(1, int((o.hold+iv-1)/iv))
	window:
		for i := range ivs {
			if startOf(i) < restart || i+need > len(ivs) {
				continue
			}
			var ok int64
			for _, v := range ivs[i : i+need] {
				if v.errs() > 0 {
					continue window
				}
				ok += v.ok()
			}
			if float64(ok)/(time.Duration(need)*iv).Seconds() >= floor {
				rec = startOf(i) - restart
				break
			}
		}
	}
	p("recover_s", orNone(rec))
	p("recover_target_s", secs(target))
	p("recover_ok", verdict(rec >= 0 && rec <= target))
	p("other_err_ok", verdict(ej >= 0 && count(ejectAt, restart, errOther, errDial) == 0))
}

func perSec(n int64, secs float64) string {
	switch n {
	case -1:
		return "down"
	case -2:
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(n)/secs)
}

func verdict(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}
