package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fae-dev/fae/testkit"
)

var faed string // path of the binary built for these tests

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "faed-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	faed = filepath.Join(dir, "faed")
	if out, err := exec.Command("go", "build", "-o", faed, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build faed: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runFaed(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(faed, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func TestCheckValidConfigs(t *testing.T) {
	for _, f := range []string{"../../examples/fae.toml", "../../examples/nutcracker.yml"} {
		out, errOut, code := runFaed(t, "-t", "-c", f)
		if code != 0 || !strings.Contains(out, "syntax is ok") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and 'syntax is ok'", f, code, out, errOut)
		}
	}
}

func TestCheckInvalidConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.toml")
	conf := "[pools.a]\nlisten = \"127.0.0.1:1\"\nhash = \"sha1\"\nservers = [\"127.0.0.1:2:1\"]\ncolour = 3\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runFaed(t, "-t", "-c", path)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{path + ":3", "hash", path + ":5", "colour", "syntax is invalid"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not mention %q", errOut, want)
		}
	}
}

// start runs faed with args and waits until addr accepts connections.
func start(t *testing.T, addr string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(faed, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("faed did not listen on %s: %v\n%s", addr, err, stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// roundTrip sends raw RESP and returns the first reply line.
func roundTrip(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	var lines []string
	for n := strings.Count(req, "\r\n*") + 1; len(lines) < n; {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v (got %q)", err, lines)
		}
		if strings.HasPrefix(line, "$") && line != "$-1\r\n" {
			body, _ := r.ReadString('\n')
			line += body
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "")
}

func stop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("faed exited with %v after SIGTERM, want 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("faed did not exit after SIGTERM")
	}
}

// With no config faed serves the lcache servant over Redis on
// 127.0.0.1:6380 and memcache on 127.0.0.1:11212, one set of keys.
func TestDefaultConfig(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:6380", "127.0.0.1:11212"} {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Skipf("%s is in use; cannot test the default listeners", addr)
		}
	}
	dir := t.TempDir()
	cmd := start(t, "127.0.0.1:6380", "-data", dir, "-admin", "off")
	got := roundTrip(t, "127.0.0.1:6380", "*3\r\n$3\r\nSET\r\n$8\r\ngreeting\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$8\r\ngreeting\r\n")
	if want := "+OK\r\n$5\r\nhello\r\n"; got != want {
		t.Errorf("redis: got %q, want %q", got, want)
	}
	c, err := net.Dial("tcp", "127.0.0.1:11212")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write([]byte("get greeting\r\n"))
	want := "VALUE greeting 0 5\r\nhello\r\nEND\r\n"
	buf := make([]byte, len(want))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != want {
		t.Errorf("memcache: got %q (%v), want %q", buf, err, want)
	}
	stop(t, cmd)
	// the default keeps its data (kvdb) across a restart
	cmd = start(t, "127.0.0.1:6380", "-data", dir, "-admin", "off")
	if got := roundTrip(t, "127.0.0.1:6380", "*2\r\n$3\r\nGET\r\n$8\r\ngreeting\r\n"); got != "$5\r\nhello\r\n" {
		t.Errorf("after a restart: got %q, want hello", got)
	}
	stop(t, cmd)
}

// A twemproxy YAML config runs unchanged against a real redis-server.
func TestRunNutcrackerConfig(t *testing.T) {
	r := testkit.StartRedis(t)
	addr := fmt.Sprintf("127.0.0.1:%d", testkit.FreePort(t))
	conf := filepath.Join(t.TempDir(), "nutcracker.yml")
	yml := fmt.Sprintf("alpha:\n  listen: %s\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n  servers:\n   - %s:1\n", addr, r.Addr)
	if err := os.WriteFile(conf, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := start(t, addr, "-c", conf)
	if got := roundTrip(t, addr, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"); got != "+OK\r\n$1\r\nv\r\n" {
		t.Errorf("got %q", got)
	}
	stop(t, cmd)
}
