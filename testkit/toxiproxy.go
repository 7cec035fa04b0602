package testkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Directions of a toxic, as toxiproxy names them: Downstream is the data the
// upstream server sends back (replies), Upstream the data clients send to it.
const (
	Downstream = "downstream"
	Upstream   = "upstream"
)

// Toxic is an in-process toxiproxy (github.com/Shopify/toxiproxy/v2) between
// clients and one upstream server: it listens on a free loopback port, opens
// one upstream connection per client connection and copies bytes both ways
// through a chain of toxics that delay, stall or cut them. With no toxic it is
// a plain TCP relay.
//
// Toxics apply to connections already open and to later ones. AddLatency,
// AddTimeout, AddResetPeer, AddBandwidth and AddSlicer put the toxic on the
// downstream direction (what the server sends back), which is enough to make
// a request/reply protocol slow or stall; Add takes any direction. Methods end the test on failure; all are safe
// for concurrent use.
type Toxic struct {
	proxy *toxiproxy.Proxy
	addr  string
	once  sync.Once
}

// StartToxiproxy starts a toxiproxy on a free 127.0.0.1 port that relays to
// upstream (host:port) and registers a t.Cleanup that stops it. It returns
// once the port accepts connections; upstream is dialled per client
// connection, so it need not be up yet.
func StartToxiproxy(t testing.TB, upstream string) *Toxic {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "testkit-"+upstream, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("toxiproxy for %s: %v", upstream, err)
	}
	// Start returns after the listener is bound, which set Listen to the
	// real address; Enable binds the same address again
	x := &Toxic{proxy: p, addr: p.Listen}
	t.Cleanup(x.Close)
	return x
}

// Addr returns the host:port clients connect to.
func (x *Toxic) Addr() string { return x.addr }

// AddLatency delays every chunk the server sends by latency ± jitter (evenly
// spread; toxiproxy counts whole milliseconds). Chunks keep their order.
func (x *Toxic) AddLatency(t testing.TB, name string, latency, jitter time.Duration) {
	t.Helper()
	x.Add(t, name, "latency", Downstream, map[string]any{
		"latency": latency.Milliseconds(), "jitter": jitter.Milliseconds()})
}

// AddTimeout stops the server's data: nothing more reaches the clients, and
// toxiproxy closes each connection d after the toxic was added or the
// connection opened (d == 0: it stays open, silent).
// Removing the toxic closes the connections it held, as toxiproxy does.
func (x *Toxic) AddTimeout(t testing.TB, name string, d time.Duration) {
	t.Helper()
	x.Add(t, name, "timeout", Downstream, map[string]any{"timeout": d.Milliseconds()})
}

// AddResetPeer closes a connection after the server's next data plus after
// (0: at once), dropping that data. Connections opened while the toxic is in
// place are reset (RST, SO_LINGER 0); older ones get a normal close.
func (x *Toxic) AddResetPeer(t testing.TB, name string, after time.Duration) {
	t.Helper()
	x.Add(t, name, "reset_peer", Downstream, map[string]any{"timeout": after.Milliseconds()})
}

// AddBandwidth limits the server's data to kbps kilobytes per second.
func (x *Toxic) AddBandwidth(t testing.TB, name string, kbps int64) {
	t.Helper()
	x.Add(t, name, "bandwidth", Downstream, map[string]any{"rate": kbps})
}

// AddSlicer cuts the server's data into chunks of about size ± variation
// bytes (variation < size), sent delay apart, so clients see replies split
// at arbitrary points.
func (x *Toxic) AddSlicer(t testing.TB, name string, size, variation int, delay time.Duration) {
	t.Helper()
	x.Add(t, name, "slicer", Downstream, map[string]any{
		"average_size": size, "size_variation": variation, "delay": delay.Microseconds()})
}

// Add adds a toxic of any toxiproxy type (latency, timeout, reset_peer,
// bandwidth, slicer, slow_close, limit_data) on direction (Downstream or
// Upstream), with attrs as toxiproxy's JSON API names them. name must be
// unique among the toxics in place.
func (x *Toxic) Add(t testing.TB, name, typ, direction string, attrs map[string]any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"name": name, "type": typ, "stream": direction, "toxicity": 1.0, "attributes": attrs})
	if err != nil {
		t.Fatalf("toxic %s: %v", name, err)
	}
	if _, err := x.proxy.Toxics.AddToxicJson(strings.NewReader(string(body))); err != nil {
		t.Fatalf("add %s toxic %q on %s: %v", typ, name, x.addr, err)
	}
}

// Remove takes toxic name away; the data it held back flows on (except a
// timeout toxic's, whose connections close).
func (x *Toxic) Remove(t testing.TB, name string) {
	t.Helper()
	if err := x.proxy.Toxics.RemoveToxic(context.Background(), name); err != nil {
		t.Fatalf("remove toxic %q on %s: %v", name, x.addr, err)
	}
}

// Disable cuts the link: it closes every connection through the proxy and
// stops listening, so new connections are refused. Toxics stay in place.
// Disabling a disabled proxy does nothing.
func (x *Toxic) Disable(t testing.TB) {
	t.Helper()
	x.proxy.Stop()
}

// Enable listens again on the same address after Disable. Enabling an
// enabled proxy does nothing.
func (x *Toxic) Enable(t testing.TB) {
	t.Helper()
	err := x.proxy.Start()
	if err != nil && !errors.Is(err, toxiproxy.ErrProxyAlreadyStarted) {
		t.Fatalf("enable toxiproxy on %s: %v", x.addr, err)
	}
}

// Close stops the proxy: it stops accepting, closes every connection and
// waits for the accept loop. The goroutines toxiproxy runs per connection end
// on their own, just after (but see ToxiproxyGoroutines). Close is
// idempotent; StartToxiproxy registers it as a cleanup.
func (x *Toxic) Close() {
	x.once.Do(x.proxy.Stop)
}

// ToxiproxyGoroutines returns the functions toxiproxy's per-connection
// goroutines run in, for a goroutine leak check to ignore (goleak's
// IgnoreAnyFunction). Toxiproxy 2.12 can leave one of them blocked for good
// after Close: a toxic stub that was sending a chunk when its connection
// died, or when a reset_peer or timeout toxic stopped reading, waits on a
// channel nobody reads any more. They hold no socket.
func ToxiproxyGoroutines() []string {
	return []string{
		"github.com/Shopify/toxiproxy/v2/toxics.(*ToxicStub).Run",
		"github.com/Shopify/toxiproxy/v2.(*ToxicLink).read",
		"github.com/Shopify/toxiproxy/v2.(*ToxicLink).write",
	}
}

// String names the proxy for messages.
func (x *Toxic) String() string {
	return fmt.Sprintf("toxiproxy %s -> %s", x.addr, x.proxy.Upstream)
}
