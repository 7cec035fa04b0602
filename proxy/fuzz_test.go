package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fae-dev/fae/resp"
	"github.com/fae-dev/fae/testkit"
)

// sessionSeeds are client byte streams: valid commands, pipelines that mix
// forwarded, split, local and rejected commands, protocol errors, huge
// declared lengths and inline quoting.
var sessionSeeds = []string{
	"*1\r\n$4\r\nPING\r\n",
	"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
	"*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n*4\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nx\r\n$1\r\nb\r\n",
	"*4\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n*3\r\n$6\r\nEXISTS\r\n$1\r\na\r\n$1\r\na\r\n",
	"PING\r\nECHO hi\r\nGET k\r\nMGET a b c\r\nKEYS *\r\nMULTI\r\nSUBSCRIBE ch\r\nNOSUCH 1 2\r\nQUIT\r\nGET k\r\n",
	"SET {t}a 1\r\nRENAME {t}a {t}b\r\nRENAME a b\r\nSELECT 1\r\nSELECT 0\r\nCLIENT SETNAME x\r\nCLIENT GETNAME\r\n",
	"HELLO 2\r\nHELLO 3\r\nCOMMAND COUNT\r\nINFO\r\nAUTH x\r\nGET\r\nSET a\r\n",
	"LPUSH l a b c\r\nLRANGE l 0 -1\r\nHSET h f v\r\nHGETALL h\r\nZADD z 1 m\r\nZRANGE z 0 -1 WITHSCORES\r\n",
	"EVAL \"return 1\" 0\r\nEVAL \"return 1\" x\r\nEVAL \"return 1\" 5 a\r\nXREAD BLOCK 0 STREAMS s $\r\nOBJECT HELP\r\n",
	"*0\r\n*-1\r\n\r\n\n   \r\n*1\r\n$4\r\nPING\r\n",
	"*x\r\n", "*1\r\n$-5\r\n", "*1\r\n:5\r\n", "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
	"*2\r\n$3\r\nGET\r\n$999999999\r\nabc", "*99999999999999999999\r\n", "*2147483648\r\n",
	"*1048577\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870913\r\n",
	"$5\r\nhello\r\n", "*1\r\n$4\x00\r\nPING\r\n", "*1\rx$4\rxPINGxy",
	"SET k \"a\\x41\\n\" 'b\\'c'\r\nGET k\r\n", "ECHO \"a\"b\r\n", "ECHO 'abc\r\nPING\r\n",
	"SET \"a b\" \"\"\r\nGET \"a b\"\r\nECHO \"\\xzz\\q\"\r\n", "a\vb\fc\rd\r\n", "GET a\x00b\n",
	"GET " + strings.Repeat("k", 70000) + "\r\n",
	"*2\r\n$4\r\nECHO\r\n$3\r\na\r\n\r\n*2\r\n$4\r\nECHO\r\n$3\r\na\rb\r\n",
	"NOSUCH " + strings.Repeat("a", 150) + " \"x\\r\\ny\" 'z'\r\n",
}

// FuzzSession writes each input to faed over one redis-server as a client
// would, in two writes split at a random point, then half-closes. faed must
// answer with well-formed RESP2 replies, one per complete request (plus one
// for a protocol error, and none after QUIT), close the connection, and
// stay up with its backend connection in step.
func FuzzSession(f *testing.F) {
	for i, s := range sessionSeeds {
		f.Add([]byte(s), uint16(i*7))
	}
	addr := startFuzzProxy(f)
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		got, reset := fuzzSession(t, addr, data, int(split))
		replies := checkReplies(t, data, got, reset)
		if want := expectedReplies(data); !reset && replies != want {
			t.Errorf("input %q: got %d replies %q, want %d", clipText(string(data)), replies, clipText(string(got)), want)
		}
		probe(t, addr)
	})
}

// startFuzzProxy starts a redis-server and faed in front of it, for the
// life of the fuzz target. The server's limits keep a fuzzed SETRANGE or
// SETBIT from allocating hundreds of megabytes.
func startFuzzProxy(f *testing.F) string {
	f.Helper()
	r := testkit.StartRedis(f, "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-random",
		"--proto-max-bulk-len", "1mb")
	return serve(f, parse(f, fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nservers = [\"%s:1\"]\ntimeout = \"1s\"\n", r.Addr)), nil).Addr("p").String()
}

// fuzzSession sends data in two writes split at split, half-closes and reads
// until faed closes the connection. reset reports that the connection was
// reset, so replies may be missing.
func fuzzSession(t *testing.T, addr string, data []byte, split int) (got []byte, reset bool) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer nc.Close()
	split = split % (len(data) + 1)
	done := make(chan struct{})
	go func() { // faed may close early (QUIT, protocol error): ignore write errors
		defer close(done)
		_ = nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := nc.Write(data[:split]); err == nil {
			_, _ = nc.Write(data[split:])
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	defer func() { <-done }()
	_ = nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	got, err = io.ReadAll(nc)
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return got, true
	case errors.Is(err, os.ErrDeadlineExceeded):
		t.Fatalf("input %q: faed did not close the connection within 2s of the half-close; read %q",
			clipText(string(data)), clipText(string(got)))
	case err != nil:
		t.Fatalf("read: %v", err)
	}
	return got, false
}

// checkReplies checks that got is a sequence of complete RESP2 replies (a
// reset connection may cut the last one short) and returns their number.
func checkReplies(t *testing.T, data, got []byte, reset bool) int {
	t.Helper()
	n := 0
	for rest := got; len(rest) > 0; n++ {
		l, err := resp.ReplyLen(rest)
		if errors.Is(err, resp.ErrIncomplete) && reset {
			break
		}
		if err != nil {
			t.Fatalf("input %q: reply %d is malformed (%v): %q", clipText(string(data)), n, err, clipText(string(rest)))
		}
		rest = rest[l:]
	}
	return n
}

// expectedReplies counts the replies faed owes for data: one per complete
// non-empty request, one more for a protocol error, none after QUIT.
func expectedReplies(data []byte) int {
	n := 0
	var args [][]byte
	for len(data) > 0 {
		used, a, err := resp.ParseRequest(data, args[:0], resp.Limits{})
		args = a
		switch {
		case errors.Is(err, resp.ErrIncomplete):
			return n
		case err != nil:
			return n + 1
		}
		data = data[used:]
		if len(args) == 0 {
			continue
		}
		n++
		if strings.EqualFold(string(args[0]), "quit") {
			return n
		}
	}
	return n
}

// probe checks on a new connection that faed answers and that its backend
// connection still pairs each request with its own reply.
func probe(t *testing.T, addr string) {
	t.Helper()
	c := dial(t, addr)
	c.expect("+PONG\r\n", "PING")
	v := fmt.Sprintf("probe-%d", time.Now().UnixNano())
	c.expect("+OK\r\n", "SET", "fuzz:probe", v)
	c.expect(bulk(v), "GET", "fuzz:probe")
}

// FuzzChainSession is FuzzSession against a tier chain (lcache in front of
// kvdb): the chain's own command handling (GET, MGET, SET with options,
// DEL, EXISTS, everything else refused) must answer every request with one
// well-formed reply and stay up.
func FuzzChainSession(f *testing.F) {
	for i, s := range sessionSeeds {
		f.Add([]byte(s), uint16(i*7))
	}
	f.Add([]byte("SET k v EX 10\r\nSET k v PX -1\r\nSET k v XX\r\nSET k v EX\r\nGET k\r\nMGET k k x\r\nDEL k x k\r\nEXISTS k\r\n"), uint16(3))
	addr := serve(f, parse(f, chainFuzzTOML("redis", f.TempDir())), nil).Addr("p").String()
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		got, reset := fuzzSession(t, addr, data, int(split))
		replies := checkReplies(t, data, got, reset)
		if want := expectedReplies(data); !reset && replies != want {
			t.Errorf("input %q: got %d replies %q, want %d", clipText(string(data)), replies, clipText(string(got)), want)
		}
		probe(t, addr)
	})
}

// chainFuzzTOML is a tier chain pool "p" speaking protocol over lcache in
// front of kvdb in dir.
func chainFuzzTOML(protocol, dir string) string {
	return fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nprotocol = %q\ntiers = [\"l1\", \"db\"]\n\n[pools.l1]\nservant = \"lcache\"\n\n[pools.db]\nservant = \"kvdb\"\nservant_dir = %q\n", protocol, dir)
}
