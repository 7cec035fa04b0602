package testkit

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// StartTimeout bounds how long a Start function waits for a server to answer.
const StartTimeout = 10 * time.Second

// Need returns the path of binary, or ends the test: under CI=true it fails
// naming pkg, the Debian package that provides the binary; elsewhere it skips.
func Need(t testing.TB, binary, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(binary)
	if err == nil {
		return path
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		p := filepath.Join(dir, binary)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s not found: install the Debian package %s (apt-get install %s)", binary, pkg, pkg)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// FreePort returns a TCP port on 127.0.0.1 that was free when asked.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreePorts returns n distinct TCP ports on 127.0.0.1 that were free when
// asked (all are held open until the last is chosen).
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// Process is a server started by this package. Its methods are safe for
// concurrent use with the test's cleanup.
type Process struct {
	// Name is the binary's name, used in messages.
	Name string
	// Addr is host:port the server listens on (the first one for nutcracker).
	Addr string
	// Port is the TCP port of Addr.
	Port int
	// Dir is a temporary directory owned by the server.
	Dir string

	args []string
	cmd  *exec.Cmd
	t    testing.TB
}

func start(t testing.TB, p *Process, path string) {
	t.Helper()
	p.t = t
	p.args = append([]string{path}, p.args...)
	p.launch()
	t.Cleanup(p.Kill)
}

func (p *Process) launch() {
	t := p.t
	t.Helper()
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Dir = p.Dir
	log, err := os.Create(filepath.Join(p.Dir, "output.log"))
	if err != nil {
		t.Fatalf("%s: %v", p.Name, err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.Name, err)
	}
	p.cmd = cmd
}

// Output returns what the server printed so far, for failure messages.
func (p *Process) Output() string {
	b, _ := os.ReadFile(filepath.Join(p.Dir, "output.log"))
	return string(b)
}

// Kill stops the server with SIGKILL and waits for it to exit. It is idempotent.
func (p *Process) Kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

// Pause stops the process with SIGSTOP: its socket stays open but nothing answers.
func (p *Process) Pause() { p.signal(syscall.SIGSTOP) }

// Resume continues a paused process.
func (p *Process) Resume() { p.signal(syscall.SIGCONT) }

func (p *Process) signal(s syscall.Signal) {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(s)
	}
}

// Restart kills the server and starts it again on the same port and directory,
// waiting until it answers.
func (p *Process) Restart() {
	p.t.Helper()
	p.Kill()
	p.launch()
	p.waitReady()
}

// Pid returns the process id, or 0 when the process is not running.
func (p *Process) Pid() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *Process) waitReady() {
	t := p.t
	t.Helper()
	deadline := time.Now().Add(StartTimeout)
	for {
		err := ping(p.Name, p.Addr)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s on %s did not answer within %v: %v\n%s", p.Name, p.Addr, StartTimeout, err, p.Output())
		}
		time.Sleep(10 * time.Millisecond) // poll interval, bounded by the deadline
	}
}

// ping checks that a server answers: redis PING for redis-server, a TCP
// connect for the others (nutcracker accepts before its backends answer).
func ping(name, addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if name != "redis-server" && name != "memcached" {
		return nil
	}
	_ = c.SetDeadline(time.Now().Add(time.Second))
	req, want := "PING\r\n", "+PONG"
	if name == "memcached" {
		req, want = "version\r\n", "VERSION"
	}
	if _, err := c.Write([]byte(req)); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, want) {
		return fmt.Errorf("unexpected answer %q", line)
	}
	return nil
}

// StartRedis starts a redis-server with no persistence on a free port. Extra
// arguments are passed on the command line (e.g. "--requirepass", "secret").
func StartRedis(t testing.TB, extra ...string) *Process {
	t.Helper()
	path := Need(t, "redis-server", "redis-server")
	port := FreePort(t)
	p := &Process{Name: "redis-server", Port: port, Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: t.TempDir()}
	p.args = append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", p.Dir, "--daemonize", "no", "--protected-mode", "no",
		"--loglevel", "warning"}, extra...)
	start(t, p, path)
	if len(extra) > 0 && hasArg(extra, "--requirepass") {
		p.Name = "redis-server(auth)" // ping cannot authenticate; a connect is enough
	}
	p.waitReady()
	return p
}

// StartRedisUnix starts a redis-server listening only on a unix socket, whose
// path is returned in Addr (Port is 0).
func StartRedisUnix(t testing.TB) *Process {
	t.Helper()
	path := Need(t, "redis-server", "redis-server")
	dir := t.TempDir()
	sock := filepath.Join(dir, "redis.sock")
	p := &Process{Name: "redis-server(unix)", Addr: sock, Dir: dir}
	p.args = []string{"--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no", "--loglevel", "warning"}
	start(t, p, path)
	deadline := time.Now().Add(StartTimeout)
	for {
		c, err := net.DialTimeout("unix", sock, time.Second)
		if err == nil {
			c.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer: %v\n%s", sock, err, p.Output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// StartMemcached starts a memcached on a free port.
func StartMemcached(t testing.TB, extra ...string) *Process {
	t.Helper()
	path := Need(t, "memcached", "memcached")
	port := FreePort(t)
	p := &Process{Name: "memcached", Port: port, Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: t.TempDir()}
	p.args = append([]string{"-p", fmt.Sprint(port), "-l", "127.0.0.1", "-U", "0", "-u", "root"}, extra...)
	start(t, p, path)
	p.waitReady()
	return p
}

// StartNutcracker starts nutcracker with the given YAML config text and waits
// until every "listen:" address in it accepts connections. Addr is the first.
func StartNutcracker(t testing.TB, config string) *Process {
	t.Helper()
	path := Need(t, "nutcracker", "nutcracker")
	dir := t.TempDir()
	conf := filepath.Join(dir, "nutcracker.yml")
	if err := os.WriteFile(conf, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	port := FreePort(t) // stats port
	p := &Process{Name: "nutcracker", Dir: dir}
	p.args = []string{"-c", conf, "-s", fmt.Sprint(port), "-a", "127.0.0.1", "-v", "4",
		"-o", filepath.Join(dir, "nutcracker.log"), "-p", filepath.Join(dir, "nutcracker.pid")}
	listens := listenAddrs(config)
	if len(listens) == 0 {
		t.Fatal("nutcracker config has no listen address")
	}
	p.Addr = listens[0]
	if _, ps, err := net.SplitHostPort(p.Addr); err == nil {
		fmt.Sscan(ps, &p.Port)
	}
	start(t, p, path)
	for _, a := range listens {
		q := *p
		q.Addr = a
		q.waitReady()
	}
	return p
}

func listenAddrs(config string) []string {
	var out []string
	for _, line := range strings.Split(config, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "listen:"); ok {
			out = append(out, strings.Trim(strings.TrimSpace(v), `"'`))
		}
	}
	return out
}

func hasArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}
