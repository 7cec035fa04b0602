package admin_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/admin"
	"github.com/fae-dev/fae/admin/admintest"
)

// dashboardWait bounds each wait for the page to show a change; the page
// polls /stats every second.
const dashboardWait = 20 * time.Second

// near reports whether field f holds a number within tolerance (a share)
// of want.
func near(f admintest.Field, want, tolerance float64) error {
	v, ok := f.Float()
	if !ok {
		return fmt.Errorf("value %q (text %q) is not a number yet", f.Value, f.Text)
	}
	if math.Abs(v-want) > tolerance*math.Max(math.Abs(want), 1e-9) && !(want == 0 && v == 0) {
		return fmt.Errorf("value %v (text %q), want %v ±%.0f%%", v, f.Text, want, tolerance*100)
	}
	return nil
}

// serverIs checks one field of a server row of pool alpha.
func serverIs(d admintest.Dashboard, server, field string, check func(admintest.Field) error) error {
	f, ok := d.Server("alpha", server, field)
	if !ok {
		return fmt.Errorf("server %s: no field %s shown", server, field)
	}
	if err := check(f); err != nil {
		return fmt.Errorf("server %s %s: %w", server, field, err)
	}
	return nil
}

func healthIs(word, text string) func(admintest.Field) error {
	return func(f admintest.Field) error {
		if !strings.Contains(" "+f.Value+" ", " "+word+" ") || !strings.Contains(f.Text, text) {
			return fmt.Errorf("health %q (text %q), want %s shown as %s", f.Value, f.Text, word, text)
		}
		return nil
	}
}

func rateNear(want float64) func(admintest.Field) error {
	return func(f admintest.Field) error { return near(f, want, 0.5) }
}

func TestDashboard(t *testing.T) {
	f := newFakeTarget()
	f.setRate("A", 1000) // +100 per 100 ms
	f.setRate("B", 0)
	s := startServer(t, admin.Config{Token: "s3cret"}, f)
	page := admintest.Open(t, "http://"+s.Addr().String()+"/?token=s3cret")

	d := page.WaitFor(dashboardWait, func(d admintest.Dashboard) error {
		for _, err := range []error{
			serverIs(d, "A", "rps", rateNear(1000)),
			serverIs(d, "A", "health", healthIs("alive", "alive")),
			serverIs(d, "B", "health", healthIs("dead", "DEAD")),
			serverIs(d, "B", "rps", rateNear(0)),
			// The fake's latency split gives p50 = 1 ms and p99 = 9.5 ms
			// by linear interpolation inside the buckets.
			serverIs(d, "A", "p50", func(f admintest.Field) error { return near(f, 1, 0.05) }),
			serverIs(d, "A", "p99", func(f admintest.Field) error { return near(f, 9.5, 0.05) }),
			near(d.Pools["alpha"].Fields["rps"], 1000, 0.5),
			near(d.Pools["alpha"].Fields["p99"], 9.5, 0.05),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	})
	if got := d.Header["version"].Text; got != "v9.9.9-test" {
		t.Errorf("version shown %q, want v9.9.9-test", got)
	}
	if got := d.Header["status"].Value; got != "ok" {
		t.Errorf("status %q, want ok", got)
	}
	for _, chart := range []string{"rps", "latency", "eps"} {
		if n, ok := d.Pools["alpha"].Charts[chart]; !ok || n < 1 {
			t.Errorf("chart %s draws %d points (shown %v), want some", chart, n, ok)
		}
	}
	saveScreenshot(t, page, "dashboard.png")

	// A stops; B comes back, forced down by a switch.
	f.setRate("A", 0)
	f.edit(func(st *admin.Stats) {
		st.Pools[0].Servers[1].Alive = true
		st.Pools[0].Servers[1].ForcedDown = true
		st.Switches = []admin.Switch{{Pool: "alpha", Server: "B", Kind: admin.SwitchServerDown, On: true}}
	})
	d = page.WaitFor(dashboardWait, func(d admintest.Dashboard) error {
		for _, err := range []error{
			serverIs(d, "A", "rps", rateNear(0)),
			serverIs(d, "B", "health", healthIs("forced_down", "forced down")),
			serverIs(d, "A", "p50", func(f admintest.Field) error {
				if f.Value != "" {
					return fmt.Errorf("p50 %q with no requests, want none", f.Value)
				}
				return nil
			}),
		} {
			if err != nil {
				return err
			}
		}
		if len(d.Switches) != 1 || !strings.Contains(d.Switches[0], "B") {
			return fmt.Errorf("switches shown %q, want B's server_down", d.Switches)
		}
		return nil
	})
	if v, ok := d.Header["rps"].Float(); !ok || v != 0 {
		t.Errorf("header rps %q, want 0", d.Header["rps"].Value)
	}
}

// saveScreenshot writes the page as a PNG into $FAE_SCREENSHOTS, when set,
// for a person to look at.
func saveScreenshot(t *testing.T, page *admintest.Page, name string) {
	t.Helper()
	dir := os.Getenv("FAE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := page.Screenshot()
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
	}
}
