// Package admintest drives faed's admin dashboard (GET / of package admin)
// in headless Chromium, for tests: Open starts the browser on a dashboard
// URL, Read returns what the page shows through its data attributes, and
// WaitFor polls Read until a condition holds.
//
// The browser is the Debian package chromium. Open ends the test when it is
// missing: under CI=true it fails naming the package; elsewhere it skips.
// Each Page owns one browser process, which the test's cleanup kills and
// waits for.
package admintest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/fae-dev/fae/testkit"
)

// Timeouts of a Page.
const (
	// StartTimeout bounds starting the browser and loading the page.
	StartTimeout = 30 * time.Second
	// ReadTimeout bounds one Read.
	ReadTimeout = 10 * time.Second
	// PollInterval is how often WaitFor reads the page.
	PollInterval = 100 * time.Millisecond
)

// Page is a dashboard open in headless Chromium. Its methods are safe for
// concurrent use; it must not be used after the test ends.
type Page struct {
	t      testing.TB
	ctx    context.Context // the browser tab's
	output *lockedBuffer   // what the browser printed
}

// Open starts headless Chromium (no sandbox: tests run as root), opens url
// (a dashboard, with ?token=T when the admin server wants one) and waits
// until the page has read /stats once. The browser is stopped by the
// test's cleanup.
func Open(t testing.TB, url string) *Page {
	t.Helper()
	path := testkit.Need(t, "chromium", "chromium")
	out := &lockedBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	p := &Page{t: t, ctx: ctx, output: out}
	t.Cleanup(func() {
		// Close the browser gracefully, so that it stops its helper
		// processes itself; then end both contexts, which kills what is
		// left and waits for the browser process.
		closing, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = chromedp.Cancel(closing)
		cancel()
		cancelTab()
		cancelAlloc()
		if t.Failed() {
			t.Logf("chromium output:\n%s", out.String())
		}
	})
	// The first action starts the browser, which then lives as long as the
	// context of that action: it must be the tab's own, so a timer bounds
	// the start instead of a derived context.
	timer := time.AfterFunc(StartTimeout, cancelTab)
	err := chromedp.Do(ctx)
	timer.Stop()
	if err == nil {
		start, cancel := context.WithTimeout(ctx, StartTimeout)
		defer cancel()
		err = chromedp.Do(start, chromedp.Navigate(url))
		if err == nil {
			_, err = chromedp.Run(start, chromedp.Poll[bool](`document.body != null && document.body.dataset.polls !== "0"`))
		}
	}
	if err != nil {
		t.Fatalf("admintest: open %s: %v\nchromium output:\n%s", url, err, out.String())
	}
	return p
}

// Field is one number or word the dashboard shows.
type Field struct {
	// Text is the text shown, formatted for people ("1,204", "0.750 ms").
	Text string `json:"text"`
	// Value is the raw value: a number as JavaScript prints it, "" when
	// unknown (before two snapshots), or words (a server's health).
	Value string `json:"value"`
}

// Float returns Value as a number; false when it is unknown or not one.
func (f Field) Float() (float64, bool) {
	v, err := strconv.ParseFloat(f.Value, 64)
	return v, err == nil
}

// Pool is what the dashboard shows of one pool.
type Pool struct {
	// Fields are the pool's summary: client_connections rps eps p50 p99.
	Fields map[string]Field `json:"fields"`
	// Servers maps a server's name to its row: name role health rps eps
	// tps p50 p99 pending connections ejects.
	Servers map[string]map[string]Field `json:"servers"`
	// Charts maps the name of each of the pool's charts (rps latency eps)
	// to the number of points it draws.
	Charts map[string]int `json:"charts"`
}

// Dashboard is what the page shows at one moment.
type Dashboard struct {
	// Polls counts the page's successful reads of /stats.
	Polls int `json:"polls"`
	// Header holds the summary fields: status version uptime
	// client_connections total_connections in_flight rps shed reloads
	// reload_errors.
	Header map[string]Field `json:"header"`
	// Pools maps a pool's name to what is shown of it.
	Pools map[string]Pool `json:"pools"`
	// Switches are the texts of the switches shown as on.
	Switches []string `json:"switches"`
}

// Server returns the field of server in pool, and whether it is shown.
func (d Dashboard) Server(pool, server, field string) (Field, bool) {
	f, ok := d.Pools[pool].Servers[server][field]
	return f, ok
}

// readJS collects the Dashboard from the page's data attributes.
const readJS = `(() => {
  const fields = root => {
    const out = {};
    for (const n of root.querySelectorAll("[data-field]"))
      out[n.dataset.field] = {text: n.textContent, value: n.dataset.value || ""};
    return out;
  };
  const d = {polls: Number(document.body.dataset.polls || 0), header: fields(document.getElementById("summary")),
             pools: {}, switches: [...document.querySelectorAll("li[data-switch]")].map(n => n.textContent)};
  for (const sec of document.querySelectorAll("section.pool[data-pool]")) {
    const p = {fields: fields(sec.querySelector(".pool-summary")), servers: {},
               charts: {}};
    for (const c of sec.querySelectorAll("canvas[data-chart]")) p.charts[c.dataset.chart] = Number(c.dataset.points || 0);
    for (const tr of sec.querySelectorAll("tr[data-server]")) p.servers[tr.dataset.server] = fields(tr);
    d.pools[sec.dataset.pool] = p;
  }
  return d;
})()`

// Read returns what the page shows now.
func (p *Page) Read() (Dashboard, error) {
	ctx, cancel := context.WithTimeout(p.ctx, ReadTimeout)
	defer cancel()
	d, err := chromedp.Run(ctx, chromedp.Evaluate[Dashboard](readJS))
	if err != nil {
		return Dashboard{}, fmt.Errorf("admintest: read the page: %w", err)
	}
	return d, nil
}

// WaitFor reads the page every PollInterval until cond returns nil, and
// returns that Dashboard. When timeout passes first it fails the test with
// cond's last error and the page's last state.
func (p *Page) WaitFor(timeout time.Duration, cond func(Dashboard) error) Dashboard {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		d, err := p.Read()
		if err == nil {
			if err = cond(d); err == nil {
				return d
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("admintest: after %v: %v\npage: %+v", timeout, err, d)
		}
		select {
		case <-tick.C:
		case <-p.ctx.Done():
			p.t.Fatalf("admintest: browser gone: %v (last: %v)", p.ctx.Err(), err)
		}
	}
}

// Screenshot returns a PNG of the whole page, for a person to look at.
func (p *Page) Screenshot() ([]byte, error) {
	ctx, cancel := context.WithTimeout(p.ctx, ReadTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return nil, fmt.Errorf("admintest: screenshot: %w", err)
	}
	if len(png) == 0 {
		return nil, errors.New("admintest: empty screenshot")
	}
	return png, nil
}

// lockedBuffer is a bytes.Buffer safe for the browser's output goroutine
// and the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
