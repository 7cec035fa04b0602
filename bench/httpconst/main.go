// Command httpconst is the baseline of bench/http.sh: a minimal net/http
// server that answers every request with the same 100-byte body, as faed's
// HTTP API answers a GET of a 100-byte value (200, application/octet-stream,
// Content-Length). It is the most a Go HTTP server does per request with no
// work behind it.
//
// -threads sets GOMAXPROCS (0: Go's default, every CPU), so it can be run
// with as many threads as the faed it is compared with.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen `address` (host:port)")
	size := flag.Int("size", 100, "body size in bytes")
	threads := flag.Int("threads", 0, "`N` threads (GOMAXPROCS); 0 leaves Go's default")
	flag.Parse()
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}
	body := bytes.Repeat([]byte{'v'}, *size)
	length := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", length)
		w.Write(body)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpconst:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "httpconst: serving %d bytes on %s, GOMAXPROCS %d\n", len(body), ln.Addr(), runtime.GOMAXPROCS(0))
	if err := http.Serve(ln, h); err != nil {
		fmt.Fprintln(os.Stderr, "httpconst:", err)
		os.Exit(1)
	}
}
