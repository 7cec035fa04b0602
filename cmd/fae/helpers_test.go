package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fae-dev/fae/admin"
)

// fae runs the fae command in process and returns what it printed and its
// exit status.
func fae(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

// writeFile writes text to a file called name in a new temporary directory
// and returns its path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// wantCode fails the test when code is not want, showing the output.
func wantCode(t *testing.T, code, want int, stdout, stderr string) {
	t.Helper()
	if code != want {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
	}
}

// wantContains fails the test when out lacks any of subs.
func wantContains(t *testing.T, what, out string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(out, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, out)
		}
	}
}

// fakeAdmin is an httptest admin server that serves canned /stats
// snapshots in turn (the last one again once they run out) and answers
// POST /reload with reloadStatus and reloadBody. It records what it saw.
type fakeAdmin struct {
	srv          *httptest.Server
	token        string // required as a bearer token when not empty
	reloadStatus int
	reloadBody   string
	failFrom     int // when > 0, /stats fetches from this one on (1-based) answer 500

	mu       sync.Mutex
	snaps    []admin.Stats
	served   int
	auths    []string // the Authorization header of each request
	reloads  int
	badPaths []string
}

// newFakeAdmin starts a fake admin server; the test's cleanup stops it.
func newFakeAdmin(t *testing.T, token string, snaps ...admin.Stats) *fakeAdmin {
	t.Helper()
	f := &fakeAdmin{token: token, snaps: snaps, reloadStatus: http.StatusOK, reloadBody: `{"ok":true}`}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// addr is the server's host:port.
func (f *fakeAdmin) addr() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func (f *fakeAdmin) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	auth := r.Header.Get("Authorization")
	f.auths = append(f.auths, auth)
	w.Header().Set("Content-Type", "application/json")
	if f.token != "" && auth != "Bearer "+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"ok":false,"error":"missing or wrong bearer token"}` + "\n"))
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/stats" && f.failFrom > 0 && f.served+1 >= f.failFrom:
		f.served++
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"ok":false,"error":"stats broke"}`))
	case r.Method == http.MethodGet && r.URL.Path == "/stats":
		st := f.snaps[min(f.served, len(f.snaps)-1)]
		f.served++
		json.NewEncoder(w).Encode(st)
	case r.Method == http.MethodPost && r.URL.Path == "/reload":
		f.reloads++
		w.WriteHeader(f.reloadStatus)
		w.Write([]byte(f.reloadBody))
	default:
		f.badPaths = append(f.badPaths, r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"ok":false,"error":"not found"}`))
	}
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	return addr
}
