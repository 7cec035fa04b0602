// Command opsload is the measuring client of bench/ops.sh: Redis or memcache
// GET/SET load through a proxy while the proxy is reloaded or shut down, with
// every request that did not get a proper reply classified by how it failed.
//
// -c workers each hold one connection to -addr and loop: send -pipeline
// requests (each a GET or a SET of -size bytes, half and half, on keys
// "ops:N" with N uniform in [0, -keys)), read the replies, sleep -think,
// repeat, until -d has passed (or SIGINT or SIGTERM: the summary is printed
// all the same). Every request ends in exactly one of:
//
//	ok            a proper reply (a hit, a miss, OK, STORED)
//	error_replies an error reply: "-ERR ..." (redis), ERROR, CLIENT_ERROR or
//	              SERVER_ERROR (memcache); the connection goes on
//	unanswered    the proxy ended the connection cleanly (end of file, at a
//	              reply boundary) before answering it: the request was
//	              written but never read, so it was not executed and is safe
//	              to send again. This is what a draining proxy does to the
//	              requests a client pipelines after its last reply.
//	reset         the connection was reset (ECONNRESET, EPIPE) before its
//	              reply: the client cannot tell whether it was executed
//	broken        end of file in the middle of a reply, or a reply that does
//	              not parse
//	timeouts      no reply within -timeout
//
// reset, broken and timeouts are real failures ("failed"). After an
// unanswered, reset, broken or timeout the worker closes the connection and
// dials again; a dial that is refused counts as dial_refused, any other
// failed dial as dial_errors (neither is a request). With -stop-when-closed
// (the default) a worker whose connection ended (cleanly or not), and which
// then finds the port closed, stops: the run ends early once every worker
// has.
//
// -marks names a file of "LABEL UNIXTIME" lines (bash's $EPOCHREALTIME) that
// the driving script appends to while the load runs; it is read at the end.
// Each mark starts a phase that lasts until the next mark (the last one until
// the end of the run), and the summary gives every phase's throughput and
// failures; the mark "term" (the proxy was sent SIGTERM) also gives the
// figures of the shutdown: the requests answered after it, and when the last
// reply and the last end of file came.
//
// It prints key=value lines on stdout; start_unix= first, the rest at the end:
//
//	label=redis proto=redis addr=127.0.0.1:22121 conns=50 pipeline=8 think=0s
//	start_unix=1763775549.123456789
//	secs=5.02 requests=812345 ok=812300 ok_per_sec=161822
//	error_replies=0 unanswered=45 reset=0 broken=0 timeouts=0 failed=0
//	conns_closed_by_proxy=50 dial_refused=50 dial_errors=0
//	first_error=          (the first error reply or failure, not unanswered)
//	phase_term_secs=1.02 phase_term_ok=1234 phase_term_ok_per_sec=1210 phase_term_error_replies=0 ...
//	term_ok_after=1234 term_last_ok_ms=3.1 term_last_eof_ms=4.0 term_last_conn_end_ms=4.2
//
// and, for the first 20 failures and error replies, one line each:
//
//	failure t=3.0012s term+1.2ms kind=reset requests=1 msg="read tcp ...: connection reset by peer"
//
// The exit status is 0 when the run was measured, whatever the failures; 2
// for bad flags.
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
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fae-dev/fae/bench/internal/loadkit"
)

type options struct {
	addr, proto, label, marks string
	conns, pipeline, keys     int
	size                      int
	dur, timeout, think       time.Duration
	stopWhenClosed            bool
}

// kind is how one request (or dial) ended.
type kind uint8

const (
	kOK kind = iota
	kErrReply
	kUnanswered
	kReset
	kBroken
	kTimeout
	kRefused // dial refused (not a request)
	kDialErr // other dial failure (not a request)
	kClosed  // a connection the proxy ended cleanly (not a request)
	nKinds
)

var kindNames = [nKinds]string{"ok", "error_replies", "unanswered", "reset", "broken", "timeouts",
	"dial_refused", "dial_errors", "conns_closed_by_proxy"}

// bucketDur is the resolution of the ok counts over time (phases).
const bucketDur = time.Millisecond

// event is one outcome other than ok, at an offset from the start; n
// requests.
type event struct {
	at  time.Duration
	k   kind
	n   int
	msg string // failures and error replies only, the first maxDetail
}

// maxDetail is how many failures are printed one by one.
const maxDetail = 20

type run struct {
	opt     options
	start   time.Time
	stop    atomic.Bool // the end of the run: -d, a signal, or every worker stopped
	keys    [][]byte
	value   []byte
	okAt    []atomic.Int64 // ok replies per bucketDur
	lastOK  atomic.Int64   // offset of the last ok reply, ns
	mu      sync.Mutex
	events  []event
	detail  int // events with msg
	firstEr string
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:22121", "proxy `address` (host:port)")
	flag.StringVar(&o.proto, "proto", "redis", "redis or memcache")
	flag.StringVar(&o.label, "label", "", "label printed with the summary")
	flag.StringVar(&o.marks, "marks", "", "`file` of \"LABEL UNIXTIME\" lines, read at the end: phase boundaries")
	flag.IntVar(&o.conns, "c", 50, "concurrent connections (workers)")
	flag.IntVar(&o.pipeline, "pipeline", 8, "requests sent per round trip")
	flag.IntVar(&o.keys, "keys", 100000, "key space: ops:0 .. ops:N-1")
	flag.IntVar(&o.size, "size", 32, "SET value size in bytes")
	flag.DurationVar(&o.dur, "d", 10*time.Second, "longest run")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Second, "longest wait for one reply (or a dial)")
	flag.DurationVar(&o.think, "think", 0, "pause after each round trip (a mostly idle client: faed parks it after 1s)")
	flag.BoolVar(&o.stopWhenClosed, "stop-when-closed", true, "a worker stops once the proxy ended its connection and refuses new ones")
	flag.Parse()
	if (o.proto != "redis" && o.proto != "memcache") || o.conns <= 0 || o.pipeline <= 0 || o.keys <= 0 ||
		o.size < 0 || o.dur <= 0 || o.timeout <= 0 || o.think < 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "opsload: need -proto redis|memcache, and -c, -pipeline, -keys, -d, -timeout > 0")
		flag.Usage()
		os.Exit(2)
	}
	r := &run{opt: o}
	r.keys = make([][]byte, o.keys)
	for i := range r.keys {
		r.keys[i] = fmt.Appendf(nil, "ops:%d", i)
	}
	r.value = bytes.Repeat([]byte{'v'}, o.size)
	r.okAt = make([]atomic.Int64, int(o.dur/bucketDur)+2)
	r.lastOK.Store(-1)

	fmt.Printf("label=%s proto=%s addr=%s conns=%d pipeline=%d think=%s\n", o.label, o.proto, o.addr, o.conns, o.pipeline, o.think)
	r.start = time.Now()
	fmt.Printf("start_unix=%d.%09d\n", r.start.Unix(), r.start.Nanosecond())
	// SIGINT or SIGTERM ends the run early, as -d would: the summary is
	// still printed.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		r.stop.Store(true)
	}()
	timer := time.AfterFunc(o.dur, func() { r.stop.Store(true) })
	defer timer.Stop()
	done := loadkit.Start(o.conns, r.worker)
	for !r.stop.Load() {
		select {
		case <-done:
			r.stop.Store(true)
		case <-time.After(10 * time.Millisecond):
		}
	}
	stopped := time.Since(r.start)
	select {
	case <-done:
	case <-time.After(o.timeout + time.Second):
		fmt.Println("# some workers were still waiting at the end")
	}
	r.summarize(stopped)
}

func (r *run) note(k kind, n int, msg string) {
	if n <= 0 && k != kRefused && k != kDialErr && k != kClosed {
		return
	}
	at := time.Since(r.start)
	r.mu.Lock()
	e := event{at: at, k: k, n: n}
	if (k == kErrReply || k == kReset || k == kBroken || k == kTimeout) && r.detail < maxDetail {
		e.msg = msg
		r.detail++
	}
	r.events = append(r.events, e)
	if msg != "" && r.firstEr == "" && k != kUnanswered && k != kRefused && k != kClosed {
		r.firstEr = fmt.Sprintf("%s: %s", kindNames[k], msg)
	}
	r.mu.Unlock()
}

func (r *run) ok() {
	at := time.Since(r.start)
	if i := int(at / bucketDur); i < len(r.okAt) {
		r.okAt[i].Add(1)
	}
	for {
		last := r.lastOK.Load()
		if int64(at) <= last || r.lastOK.CompareAndSwap(last, int64(at)) {
			return
		}
	}
}

// worker is one connection's loop until the end of the run.
func (r *run) worker(w int) {
	o := r.opt
	rnd := rand.New(rand.NewPCG(uint64(w), 0x6f70736c6f6164))
	var (
		conn   net.Conn
		br     *bufio.Reader
		req    []byte
		batch  = make([]bool, 0, o.pipeline) // true: GET
		closed bool                          // the proxy ended a connection of this worker
	)
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	if o.think > 0 { // spread the idle clients over the think time
		r.sleep(time.Duration(rnd.Int64N(int64(o.think))))
	}
	for !r.stop.Load() {
		if conn == nil {
			c, err := net.DialTimeout("tcp", o.addr, o.timeout)
			if err != nil {
				if errors.Is(err, syscall.ECONNREFUSED) {
					r.note(kRefused, 0, err.Error())
					if closed && o.stopWhenClosed {
						return
					}
				} else {
					r.note(kDialErr, 0, err.Error())
				}
				r.sleep(20 * time.Millisecond)
				continue
			}
			conn, br = c, bufio.NewReaderSize(c, 32<<10)
		}
		req, batch = req[:0], batch[:0]
		for range o.pipeline {
			k := r.keys[rnd.IntN(o.keys)]
			get := rnd.IntN(2) == 0
			batch = append(batch, get)
			req = r.appendRequest(req, get, k)
		}
		conn.SetDeadline(time.Now().Add(o.timeout))
		_, err := conn.Write(req)
		if err != nil {
			// nothing was read yet; whatever the proxy took of the batch
			// is unknown
			r.note(classify(err, false), len(batch), "write: "+err.Error())
			closed = true
			conn.Close()
			conn = nil
			continue
		}
		answered := 0
		for answered < len(batch) {
			var msg string
			msg, err = r.readReply(br, batch[answered])
			if err != nil {
				break
			}
			answered++
			if msg != "" {
				r.note(kErrReply, 1, msg)
			} else {
				r.ok()
			}
		}
		if err != nil {
			k := classify(err, true)
			r.note(k, len(batch)-answered, err.Error())
			if k == kUnanswered {
				r.note(kClosed, 0, "")
			}
			closed = true
			conn.Close()
			conn = nil
			continue
		}
		if o.think > 0 {
			r.sleep(o.think)
		}
	}
}

// sleep sleeps for d or until the end of the run.
func (r *run) sleep(d time.Duration) {
	for end := time.Now().Add(d); !r.stop.Load(); {
		left := time.Until(end)
		if left <= 0 {
			return
		}
		time.Sleep(min(left, 10*time.Millisecond))
	}
}

// classify maps an I/O error to how the requests it hit ended; afterWrite is
// false for an error of the write itself.
func classify(err error, afterWrite bool) kind {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF) && afterWrite:
		return kUnanswered // clean end of file at a reply boundary
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return kReset
	case errors.As(err, &ne) && ne.Timeout():
		return kTimeout
	}
	return kBroken
}

func (r *run) appendRequest(dst []byte, get bool, key []byte) []byte {
	if r.opt.proto == "memcache" {
		if get {
			return append(append(append(dst, "get "...), key...), "\r\n"...)
		}
		return fmt.Appendf(dst, "set %s 0 0 %d\r\n%s\r\n", key, len(r.value), r.value)
	}
	if get {
		return loadkit.AppendCommand(dst, []byte("GET"), key)
	}
	return loadkit.AppendCommand(dst, []byte("SET"), key, r.value)
}

// errMidReply is end of file inside a reply.
var errMidReply = errors.New("end of file in the middle of a reply")

// readReply reads the reply to one request. msg is the text of an error
// reply. err is io.EOF only for an end of file before the first byte of the
// reply: a clean close between replies.
func (r *run) readReply(br *bufio.Reader, get bool) (msg string, err error) {
	if _, err := br.Peek(1); err != nil {
		return "", err
	}
	if r.opt.proto == "memcache" {
		msg, err = readMemcache(br, get)
	} else {
		msg, err = loadkit.ReadReply(br)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errMidReply
	}
	return msg, err
}

// readMemcache reads the reply to one get (VALUE blocks, END) or set
// (STORED).
func readMemcache(br *bufio.Reader, get bool) (msg string, err error) {
	for {
		line, err := loadkit.ReadLine(br)
		if err != nil {
			return "", err
		}
		switch {
		case loadkit.IsErrorLine(line):
			return string(line), nil
		case !get && string(line) == "STORED":
			return "", nil
		case !get:
			return "", fmt.Errorf("set: unexpected line %q", line)
		case string(line) == "END":
			return "", nil
		case bytes.HasPrefix(line, []byte("VALUE ")):
			f := bytes.Fields(line)
			if len(f) < 4 {
				return "", fmt.Errorf("get: bad VALUE line %q", line)
			}
			n, err := strconv.Atoi(string(f[3]))
			if err != nil || n < 0 {
				return "", fmt.Errorf("get: bad VALUE line %q", line)
			}
			if _, err := br.Discard(n); err != nil {
				return "", err
			}
			end, err := br.Peek(2)
			if err != nil {
				return "", err
			}
			if string(end) != "\r\n" {
				return "", fmt.Errorf("get: data block not followed by CRLF (%q)", end)
			}
			br.Discard(2)
		default:
			return "", fmt.Errorf("get: unexpected line %q", line)
		}
	}
}

// readMarks reads the -marks file: the phase boundaries, as offsets from the
// start, in time order.
func readMarks(path string, start time.Time) []loadkit.Mark {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Printf("# marks: %v\n", err)
		return nil
	}
	ms, bad := loadkit.ParseMarks(string(data), start)
	for _, line := range bad {
		fmt.Printf("# marks: bad line %q\n", line)
	}
	slices.SortStableFunc(ms, func(a, b loadkit.Mark) int { return int(a.At - b.At) })
	return ms
}

func (r *run) summarize(elapsed time.Duration) {
	r.mu.Lock()
	evs := slices.Clone(r.events)
	first := r.firstEr
	r.mu.Unlock()
	slices.SortFunc(evs, func(a, b event) int { return int(a.at - b.at) })
	okIn := func(lo, hi time.Duration) (n int64) { // ok replies in [lo, hi), bucket resolution
		for i := range r.okAt {
			if t := time.Duration(i) * bucketDur; t >= lo && t < hi {
				n += r.okAt[i].Load()
			}
		}
		return n
	}
	countIn := func(lo, hi time.Duration) (c [nKinds]int64) {
		for _, e := range evs {
			if e.at >= lo && e.at < hi {
				if e.k == kRefused || e.k == kDialErr || e.k == kClosed {
					c[e.k]++
				} else {
					c[e.k] += int64(e.n)
				}
			}
		}
		return c
	}
	const forever = time.Duration(math.MaxInt64)
	all := countIn(0, forever)
	all[kOK] = okIn(0, forever)
	secs := elapsed.Seconds()
	var requests int64
	for k := kOK; k <= kTimeout; k++ {
		requests += all[k]
	}
	failed := all[kReset] + all[kBroken] + all[kTimeout]
	fmt.Printf("secs=%.2f requests=%d ok=%d ok_per_sec=%.0f\n", secs, requests, all[kOK], float64(all[kOK])/secs)
	fmt.Printf("error_replies=%d unanswered=%d reset=%d broken=%d timeouts=%d failed=%d\n",
		all[kErrReply], all[kUnanswered], all[kReset], all[kBroken], all[kTimeout], failed)
	fmt.Printf("conns_closed_by_proxy=%d dial_refused=%d dial_errors=%d\n", all[kClosed], all[kRefused], all[kDialErr])
	fmt.Printf("first_error=%s\n", first)

	ms := readMarks(r.opt.marks, r.start)
	for i, m := range ms {
		hi := elapsed
		if i+1 < len(ms) {
			hi = ms[i+1].At
		}
		lo := max(m.At, 0)
		c := countIn(lo, hi)
		ok := okIn(lo, hi)
		d := (hi - lo).Seconds()
		rate := 0.0
		if d > 0 {
			rate = float64(ok) / d
		}
		fmt.Printf("phase_%s_secs=%.2f phase_%s_ok=%d phase_%s_ok_per_sec=%.0f", m.Label, d, m.Label, ok, m.Label, rate)
		for k := kErrReply; k < nKinds; k++ {
			fmt.Printf(" phase_%s_%s=%d", m.Label, kindNames[k], c[k])
		}
		fmt.Println()
	}
	var term *loadkit.Mark
	for i := range ms {
		if ms[i].Label == "term" {
			term = &ms[i]
		}
	}
	for _, e := range evs {
		if e.msg == "" {
			continue
		}
		rel := ""
		if term != nil {
			rel = fmt.Sprintf(" term%+.1fms", float64(e.at-term.At)/1e6)
		}
		fmt.Printf("failure t=%.4fs%s kind=%s requests=%d msg=%q\n", e.at.Seconds(), rel, kindNames[e.k], e.n, e.msg)
	}
	for _, m := range ms {
		if m.Label != "term" {
			continue
		}
		term := m.At
		rel := func(d time.Duration) string {
			if d < 0 {
				return "none"
			}
			return fmt.Sprintf("%.1f", float64(d-term)/1e6)
		}
		lastOK := time.Duration(r.lastOK.Load())
		if lastOK < term {
			lastOK = -1
		}
		lastEOF, lastEnd := time.Duration(-1), time.Duration(-1)
		for _, e := range evs {
			if e.at < term {
				continue
			}
			if e.k == kClosed {
				lastEOF = e.at
			}
			if e.k != kRefused && e.k != kDialErr {
				lastEnd = e.at // the last connection that ended after the term
			}
		}
		fmt.Printf("term_ok_after=%d term_last_ok_ms=%s term_last_eof_ms=%s term_last_conn_end_ms=%s\n",
			okIn(term, forever), rel(lastOK), rel(lastEOF), rel(lastEnd))
	}
}
