// Command httpload is bench/http.sh's load tool when wrk is not installed: -c
// keep-alive connections, each sending one GET to -url, reading the whole
// response and sending the next, for -d. Go's HTTP client costs more CPU per
// request than wrk, so on a small machine its rates are lower; compare the
// targets of one run only.
//
// It prints key=value lines on stdout:
//
//	requests=123456 secs=5.00 requests_per_sec=24691
//	errors=0 first_error=
//
// A response whose status is not 200 or whose body is not -size bytes (when
// -size >= 0) is an error; it exits 1 when there was any.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080/", "`URL` to GET")
	conns := flag.Int("c", 50, "concurrent connections")
	dur := flag.Duration("d", 5*time.Second, "how long to run")
	size := flag.Int("size", -1, "expected body size in bytes; -1 does not check")
	flag.Parse()
	if *conns <= 0 {
		fmt.Fprintln(os.Stderr, "httpload: -c must be positive")
		os.Exit(2)
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *conns, DisableCompression: true},
	}
	var (
		stop      atomic.Bool
		requests  atomic.Int64
		errs      atomic.Int64
		firstErr  atomic.Value
		wg        sync.WaitGroup
		fail      = func(err error) { errs.Add(1); firstErr.CompareAndSwap(nil, err.Error()) }
		buf       = make([][]byte, *conns)
		startTime = time.Now()
	)
	time.AfterFunc(*dur, func() { stop.Store(true) })
	for i := range *conns {
		buf[i] = make([]byte, 64<<10)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				res, err := client.Get(*url)
				if err != nil {
					fail(err)
					return
				}
				n, err := readAll(res.Body, buf[i])
				res.Body.Close()
				switch {
				case err != nil:
					fail(err)
					return
				case res.StatusCode != http.StatusOK:
					fail(fmt.Errorf("status %d", res.StatusCode))
				case *size >= 0 && n != *size:
					fail(fmt.Errorf("body of %d bytes, want %d", n, *size))
				}
				if !stop.Load() {
					requests.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	secs := min(time.Since(startTime), *dur).Seconds()
	first, _ := firstErr.Load().(string)
	fmt.Printf("requests=%d secs=%.2f requests_per_sec=%.0f\n", requests.Load(), secs, float64(requests.Load())/secs)
	fmt.Printf("errors=%d first_error=%s\n", errs.Load(), first)
	if errs.Load() > 0 {
		os.Exit(1)
	}
}

// readAll reads r to its end into buf (reused) and returns the length.
func readAll(r io.Reader, buf []byte) (int, error) {
	n := 0
	for {
		m, err := r.Read(buf[n%len(buf):])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
