// Command mcload is a closed-loop memcache load generator for bench/memcache.sh.
//
// It opens -c connections to -addr and, once all are open, each connection
// sends one request, reads the whole reply, and sends the next, for -d: no
// pipelining, so the rate measures round trips through whatever serves -addr.
// Keys are "key:N" with N uniform in [0, -keys); values are -size bytes.
//
//	-mode get    get of one key
//	-mode set    set of one key (-size bytes)
//	-mode mget   get of -mget distinct keys in one request
//	-mode fill   set every key once (pipelined, -c connections), then exit
//
// Replies are checked: a get must end in END with each VALUE block of -size
// bytes for a key that was asked for, in the order asked; a set must answer
// STORED. A reply that is not is an error; an error line (ERROR,
// CLIENT_ERROR, SERVER_ERROR) does not stop the connection, an I/O error or a
// malformed reply does. It prints key=value lines on stdout:
//
//	mode=get conns=50 secs=3.00
//	ops=123456 ops_per_sec=41152 keys_per_sec=41152
//	hits=123456 misses=0 errors=0
//	first_error=
//
// and exits 1 when any connection failed or any reply was an error.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fae-dev/fae/bench/internal/loadkit"
)

// config is what one run does; see the flags in main.
type config struct {
	addr    string
	mode    string
	conns   int
	dur     time.Duration
	keys    int
	mget    int
	size    int
	timeout time.Duration
}

// counts are one connection's results, summed at the end.
type counts struct {
	ops, hits, misses, errs int64
	firstErr                string
}

func (c *counts) fail(format string, args ...any) {
	c.errs++
	if c.firstErr == "" {
		c.firstErr = fmt.Sprintf(format, args...)
	}
}

func (c *counts) add(o counts) {
	c.ops += o.ops
	c.hits += o.hits
	c.misses += o.misses
	c.errs += o.errs
	if c.firstErr == "" {
		c.firstErr = o.firstErr
	}
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:11211", "memcache `address` (host:port)")
	flag.StringVar(&cfg.mode, "mode", "get", "get, set, mget or fill")
	flag.IntVar(&cfg.conns, "c", 50, "concurrent connections")
	flag.DurationVar(&cfg.dur, "d", 3*time.Second, "how long to run (not fill)")
	flag.IntVar(&cfg.keys, "keys", 100000, "key space: keys are key:0 .. key:N-1")
	flag.IntVar(&cfg.mget, "mget", 100, "keys per request in mget mode")
	flag.IntVar(&cfg.size, "size", 100, "value size in bytes")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "longest wait for one reply")
	flag.Parse()
	if cfg.conns <= 0 || cfg.keys <= 0 || cfg.size < 0 || cfg.mget <= 0 || cfg.mget > cfg.keys {
		fmt.Fprintln(os.Stderr, "mcload: need -c > 0, -keys > 0, -size >= 0, 0 < -mget <= -keys")
		os.Exit(2)
	}
	var (
		total counts
		secs  float64
		err   error
	)
	switch cfg.mode {
	case "fill":
		total, secs, err = fill(cfg)
	case "get", "set", "mget":
		total, secs, err = load(cfg)
	default:
		err = fmt.Errorf("unknown -mode %q (want get, set, mget or fill)", cfg.mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mcload:", err)
		os.Exit(1)
	}
	perOp := int64(1)
	if cfg.mode == "mget" {
		perOp = int64(cfg.mget)
	}
	fmt.Printf("mode=%s conns=%d secs=%.2f\n", cfg.mode, cfg.conns, secs)
	fmt.Printf("ops=%d ops_per_sec=%.0f keys_per_sec=%.0f\n", total.ops, float64(total.ops)/secs, float64(total.ops*perOp)/secs)
	fmt.Printf("hits=%d misses=%d errors=%d\n", total.hits, total.misses, total.errs)
	fmt.Printf("first_error=%s\n", total.firstErr)
	if total.errs > 0 {
		os.Exit(1)
	}
}

// dialAll opens n connections, or none.
func dialAll(addr string, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// load runs get, set or mget on every connection for cfg.dur. Only requests
// answered before the end count.
func load(cfg config) (counts, float64, error) {
	conns, err := dialAll(cfg.addr, cfg.conns)
	if err != nil {
		return counts{}, 0, err
	}
	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		mu      sync.Mutex
		total   counts
		startCh = make(chan struct{})
	)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			<-startCh
			r := worker(cfg, c, uint64(i), &stop)
			mu.Lock()
			total.add(r)
			mu.Unlock()
		}()
	}
	start := time.Now()
	for _, c := range conns {
		c.SetDeadline(start.Add(cfg.dur + cfg.timeout))
	}
	timer := time.AfterFunc(cfg.dur, func() { stop.Store(true) })
	defer timer.Stop()
	close(startCh)
	wg.Wait()
	return total, cfg.dur.Seconds(), nil
}

// worker is one connection's request/reply loop until stop.
func worker(cfg config, c net.Conn, seed uint64, stop *atomic.Bool) (res counts) {
	rnd := rand.New(rand.NewPCG(seed, 0x6d636c6f6164))
	br := bufio.NewReaderSize(c, 64<<10)
	value := bytes.Repeat([]byte{'v'}, cfg.size)
	var (
		req  []byte
		keys [][]byte // the keys of req, aliasing kbuf
		kbuf []byte
		ends []int // mget: where each key ends in kbuf
		seen = map[int]bool{}
	)
	for !stop.Load() {
		req, keys, kbuf = req[:0], keys[:0], kbuf[:0]
		switch cfg.mode {
		case "set":
			kbuf = appendKey(kbuf, rnd.IntN(cfg.keys))
			req = fmt.Appendf(req, "set %s 0 0 %d\r\n%s\r\n", kbuf, cfg.size, value)
		case "get":
			kbuf = appendKey(kbuf, rnd.IntN(cfg.keys))
			keys = append(keys, kbuf)
			req = append(append(append(req, "get "...), kbuf...), "\r\n"...)
		case "mget":
			clear(seen)
			ends = ends[:0]
			req = append(req, "get"...)
			for len(seen) < cfg.mget { // distinct keys, as a page of ids would be
				n := rnd.IntN(cfg.keys)
				if seen[n] {
					continue
				}
				seen[n] = true
				at := len(kbuf)
				kbuf = appendKey(kbuf, n)
				ends = append(ends, len(kbuf))
				req = append(append(req, ' '), kbuf[at:]...)
			}
			req = append(req, "\r\n"...)
			at := 0
			for _, end := range ends {
				keys = append(keys, kbuf[at:end])
				at = end
			}
		}
		if _, err := c.Write(req); err != nil {
			res.fail("write: %v", err)
			return res
		}
		var (
			hits int
			err  error
		)
		if cfg.mode == "set" {
			err = readStored(br, &res)
		} else {
			hits, err = readValues(br, keys, cfg.size, &res)
		}
		if err != nil {
			res.fail("%v", err)
			return res
		}
		if !stop.Load() { // a reply that came after the end does not count
			res.ops++
			res.hits += int64(hits)
			res.misses += int64(len(keys) - hits)
		}
	}
	return res
}

// appendKey appends "key:n".
func appendKey(dst []byte, n int) []byte {
	return strconv.AppendInt(append(dst, "key:"...), int64(n), 10)
}

// readStored reads a set's reply line.
func readStored(br *bufio.Reader, res *counts) error {
	line, err := loadkit.ReadLine(br)
	if err != nil {
		return err
	}
	if string(line) != "STORED" {
		res.fail("set: %q", line)
	}
	return nil
}

// readValues reads a get's reply: VALUE blocks for keys in order (a subset),
// then END. It returns the number of VALUE blocks; a reply that is an error
// line or a value of the wrong size is counted in res.
func readValues(br *bufio.Reader, keys [][]byte, size int, res *counts) (int, error) {
	next, hits := 0, 0
	for {
		line, err := loadkit.ReadLine(br)
		if err != nil {
			return 0, err
		}
		if string(line) == "END" {
			return hits, nil
		}
		f := bytes.Fields(line)
		if len(f) < 4 || string(f[0]) != "VALUE" {
			if loadkit.IsErrorLine(line) {
				res.fail("get: %q", line)
				return 0, nil
			}
			return 0, fmt.Errorf("get: unexpected line %q", line)
		}
		n, err := strconv.Atoi(string(f[3]))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("get: bad VALUE line %q", line)
		}
		if _, err := br.Discard(n); err != nil {
			return 0, err
		}
		if end, err := br.Peek(2); err != nil || string(end) != "\r\n" {
			return 0, fmt.Errorf("get %s: data block not followed by CRLF (%q, %v)", f[1], end, err)
		}
		br.Discard(2)
		for next < len(keys) && !bytes.Equal(keys[next], f[1]) {
			next++
		}
		if next == len(keys) {
			return 0, fmt.Errorf("get: VALUE for %q, not asked for or out of order", f[1])
		}
		next++
		hits++
		if n != size {
			res.fail("get %s: %d bytes, want %d", f[1], n, size)
		}
	}
}

// fill sets key:0 .. key:N-1 once, each connection a share of them in
// pipelined batches of 100.
func fill(cfg config) (counts, float64, error) {
	conns, err := dialAll(cfg.addr, cfg.conns)
	if err != nil {
		return counts{}, 0, err
	}
	value := bytes.Repeat([]byte{'v'}, cfg.size)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total counts
	)
	start := time.Now()
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			c.SetDeadline(start.Add(time.Duration(cfg.keys/1000+1) * cfg.timeout))
			var res counts
			br := bufio.NewReader(c)
			var req []byte
			for lo := i * 100; lo < cfg.keys; lo += cfg.conns * 100 {
				hi := min(lo+100, cfg.keys)
				req = req[:0]
				for k := lo; k < hi; k++ {
					req = fmt.Appendf(req, "set key:%d 0 0 %d\r\n%s\r\n", k, cfg.size, value)
				}
				if _, err := c.Write(req); err != nil {
					res.fail("write: %v", err)
					break
				}
				for k := lo; k < hi && res.errs == 0; k++ {
					if err := readStored(br, &res); err != nil {
						res.fail("%v", err)
					}
					res.ops++
				}
				if res.errs > 0 {
					break
				}
			}
			mu.Lock()
			total.add(res)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, time.Since(start).Seconds(), nil
}
