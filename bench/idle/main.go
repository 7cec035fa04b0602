// Command idle measures what idle client connections cost a proxy in memory.
//
// It reads the resident set size (VmRSS) of process -pid, opens -n client
// connections to -addr, sends one Redis GET on each and reads the reply (so
// the proxy has set the connection up and served it), keeps them all open,
// waits -wait, and reads VmRSS again. It prints key=value lines:
//
//	rss_before_kb=2140
//	conns=10000
//	rss_kb=41236
//	per_conn_bytes=3901
//
// The client itself holds -n file descriptors; Go raises the soft open-file
// limit to the hard limit at start-up. It exits 1 if any connection fails.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:22121", "proxy `address` (host:port)")
	n := flag.Int("n", 10000, "number of client connections")
	pid := flag.Int("pid", 0, "`pid` of the proxy whose VmRSS is read (required)")
	wait := flag.Duration("wait", 2*time.Second, "how long to hold the connections before reading VmRSS")
	key := flag.String("key", "idle:key", "key each connection GETs")
	workers := flag.Int("workers", 32, "connections opened at once")
	flag.Parse()
	if *pid <= 0 || *n <= 0 {
		fmt.Fprintln(os.Stderr, "idle: -pid and a positive -n are required")
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*addr, *n, *pid, *wait, *key, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "idle:", err)
		os.Exit(1)
	}
}

func run(addr string, n, pid int, wait time.Duration, key string, workers int) error {
	before, err := vmRSS(pid)
	if err != nil {
		return err
	}
	fmt.Printf("rss_before_kb=%d\n", before)

	get := fmt.Appendf(nil, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(key), key)
	conns, err := openAll(addr, n, workers, get)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err != nil {
		return err
	}
	fmt.Printf("conns=%d\n", n)

	time.Sleep(wait) // the measurement itself: hold n idle connections for wait
	after, err := vmRSS(pid)
	if err != nil {
		return err
	}
	fmt.Printf("rss_kb=%d\n", after)
	fmt.Printf("per_conn_bytes=%d\n", (after-before)*1024/int64(n))
	return nil
}

// openAll opens n connections with `workers` dialing at once; each sends req
// and reads one reply. It returns the first error and how many failed.
func openAll(addr string, n, workers int, req []byte) ([]net.Conn, error) {
	conns := make([]net.Conn, n)
	var (
		next   atomic.Int64
		failed atomic.Int64
		once   sync.Once
		first  error
		wg     sync.WaitGroup
	)
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				c, err := open(addr, req)
				if err != nil {
					failed.Add(1)
					once.Do(func() { first = fmt.Errorf("connection %d: %w", i, err) })
					continue
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return conns, fmt.Errorf("%d of %d connections failed; first: %w", f, n, first)
	}
	return conns, nil
}

func open(addr string, req []byte) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err = c.Write(req); err == nil {
		err = readReply(c)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// readReply reads one RESP2 reply that is not an array: a simple string,
// an integer, a bulk string (or nil), or an error, which it returns.
func readReply(c net.Conn) error {
	var buf []byte
	tmp := make([]byte, 512)
	for {
		m, err := c.Read(tmp)
		buf = append(buf, tmp[:m]...)
		if done, rerr := complete(buf); done || rerr != nil {
			return rerr
		}
		if err != nil {
			return err
		}
	}
}

var errReply = errors.New("error reply")

// complete reports whether buf holds a whole reply.
func complete(buf []byte) (bool, error) {
	line, _, ok := bytes.Cut(buf, []byte("\r\n"))
	if !ok {
		return false, nil
	}
	if len(line) == 0 {
		return false, fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '+', ':':
		return true, nil
	case '-':
		return true, fmt.Errorf("%w: %s", errReply, line[1:])
	case '$':
		size, err := strconv.Atoi(string(line[1:]))
		if err != nil {
			return false, fmt.Errorf("bad bulk length %q", line)
		}
		return size < 0 || len(buf) >= len(line)+2+size+2, nil
	}
	return false, fmt.Errorf("unexpected reply %q", line)
}

// vmRSS reads VmRSS of pid from /proc, in KiB.
func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
