package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fae-dev/fae/admin/admintest"
	"github.com/fae-dev/fae/testkit"
)

// The dashboard of a real faed follows real traffic: a paced load on one
// server's keys shows as that server's requests/s, a killed server turns
// DEAD, and the rate falls to 0 when the load stops.
func TestDashboardFollowsTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	rs := []*testkit.Process{testkit.StartRedis(t), testkit.StartRedis(t)}
	ports := testkit.FreePorts(t, 2)
	addr, adminAddr := fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])
	conf := t.TempDir() + "/fae.toml"
	writeConf(t, conf, fmt.Sprintf("[pools.p]\nlisten = %q\nservers = [%q, %q]\ntimeout = \"300ms\"\naccrual_consecutive = 2\nretries = 0\n",
		addr, rs[0].Addr+":1", rs[1].Addr+":1"))
	start(t, addr, "-c", conf, "-admin", adminAddr)
	keyA, keyB := keyOn(t, addr, rs[0]), keyOn(t, addr, rs[1])
	page := admintest.Open(t, "http://"+adminAddr+"/")

	const rate = 400 // GETs per second, on server A's key
	stop := pacedLoad(t, addr, keyA, rate)
	rps := func(d admintest.Dashboard, server string) float64 {
		f, _ := d.Server("p", server, "rps")
		v, _ := f.Float()
		return v
	}
	page.WaitFor(15*time.Second, func(d admintest.Dashboard) error {
		if a, b := rps(d, rs[0].Addr), rps(d, rs[1].Addr); a < rate/2 || a > rate*3/2 || b != 0 {
			return fmt.Errorf("requests/s shown: A %v, B %v; want about %d and 0", a, b, rate)
		}
		return nil
	})

	rs[1].Kill()
	c, r := dialRaw(t, addr)
	for range 3 {
		fmt.Fprintf(c, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(keyB), keyB)
		if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "-ERR") {
			t.Fatalf("GET on the killed server: %q", line)
		}
	}
	page.WaitFor(15*time.Second, func(d admintest.Dashboard) error {
		if f, _ := d.Server("p", rs[1].Addr, "health"); !strings.Contains(f.Value, "dead") {
			return fmt.Errorf("killed server's health shown as %q", f.Value)
		}
		return nil
	})

	stop()
	page.WaitFor(15*time.Second, func(d admintest.Dashboard) error {
		if a := rps(d, rs[0].Addr); a != 0 {
			return fmt.Errorf("requests/s of A after the load stopped: %v", a)
		}
		return nil
	})
}

// pacedLoad sends rate GETs of key per second until the returned func is
// called (and returns once the load has stopped).
func pacedLoad(t *testing.T, addr, key string, rate int) (stop func()) {
	c, r := dialRaw(t, addr)
	req := fmt.Sprintf("*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(key), key)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		per := rate / 100
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
			}
			if _, err := c.Write([]byte(strings.Repeat(req, per))); err != nil {
				return
			}
			for range per {
				if _, err := r.ReadString('\n'); err != nil {
					return
				}
				if _, err := r.ReadString('\n'); err != nil { // the value line
					return
				}
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}

func dialRaw(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// keyOn sets keys through faed until one lands on r (checked directly).
func keyOn(t *testing.T, addr string, r *testkit.Process) string {
	t.Helper()
	c, rd := dialRaw(t, addr)
	d, dr := dialRaw(t, r.Addr)
	for i := range 1000 {
		k := fmt.Sprintf("%d:dash", i*7919)
		fmt.Fprintf(c, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nx\r\n", len(k), k)
		if line, err := rd.ReadString('\n'); err != nil || line != "+OK\r\n" {
			t.Fatalf("SET through faed: %q %v", line, err)
		}
		fmt.Fprintf(d, "*2\r\n$6\r\nEXISTS\r\n$%d\r\n%s\r\n", len(k), k)
		if line, _ := dr.ReadString('\n'); line == ":1\r\n" {
			return k
		}
	}
	t.Fatalf("no key of %s", r.Addr)
	return ""
}
