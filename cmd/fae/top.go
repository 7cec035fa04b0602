package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/fae-dev/fae/admin"
)

var topCommand = &command{
	name:     "top",
	synopsis: "top [-a ADDR | -c FILE] [-token TOKEN] [-interval 1s] [-n N]",
	summary:  "show live per-server rates and latency",
	help: `
Fetches faed's counters every interval and shows, per server, the requests,
failures and timeouts per second over the interval and the p50 and p99
latency of the requests answered in it (estimated from faed's latency
histogram, interpolating linearly inside a bucket; a quantile beyond the
last bucket shows as that bucket's bound with ">"). Rows are sorted by pool,
then by requests per second, busiest first. The first table appears after
one interval.

On a terminal the table is redrawn in place; otherwise one table is printed
per interval, without escape codes. top runs until interrupted, or for -n
refreshes. It exits 1 when faed cannot be reached at the start; later
failures are shown and top keeps trying.`,
	flags: func(fs *flag.FlagSet) action {
		af := addAdminFlags(fs)
		every := fs.Duration("interval", time.Second, "time between refreshes")
		n := fs.Int("n", 0, "stop after `N` refreshes; 0 runs until interrupted")
		return func(args []string, stdout, stderr io.Writer) error {
			switch {
			case len(args) > 0:
				return usageError(fmt.Sprintf("unexpected argument %q", args[0]))
			case *every <= 0:
				return usageError("-interval must be positive")
			case *n < 0:
				return usageError("-n must not be negative")
			}
			c, err := af.client()
			if err != nil {
				return err
			}
			t := &topView{client: c, every: *every, out: stdout, redraw: isTerminal(stdout)}
			return t.run(context.Background(), *n)
		}
	},
}

// topView is one run of fae top.
type topView struct {
	client *adminClient
	every  time.Duration
	out    io.Writer
	redraw bool // clear the screen before each table (a terminal)
}

// Escape sequences of a redraw: cursor home, clear to the end of the screen.
const (
	ansiHome  = "\x1b[H"
	ansiClear = "\x1b[2J"
)

// run shows n refreshes (n == 0: forever). The first fetch must succeed;
// a later failure is shown in place of a table and the next refresh starts
// from the next good snapshot.
func (t *topView) run(ctx context.Context, n int) error {
	prev, _, err := t.client.stats(ctx)
	if err != nil {
		return err
	}
	prevAt := time.Now()
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	var last error
	for i := 0; n == 0 || i < n; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		var frame bytes.Buffer
		cur, _, err := t.client.stats(ctx)
		now := time.Now()
		last = err
		if err != nil {
			fmt.Fprintf(&frame, "%s  fae top: %v\n", now.Format(time.TimeOnly), err)
		} else {
			d := interval(prev, cur, now.Sub(prevAt))
			t.writeFrame(&frame, cur, d, rates(prev, cur, d))
			prev, prevAt = cur, now
		}
		if err := t.show(frame.Bytes(), i); err != nil {
			return err
		}
	}
	if last != nil {
		return errReported // shown on stdout already
	}
	return nil
}

// show writes a frame: in place on a terminal, else after a blank line.
func (t *topView) show(frame []byte, i int) error {
	var err error
	switch {
	case t.redraw:
		_, err = io.WriteString(t.out, ansiHome+ansiClear+string(frame))
	case i > 0:
		_, err = io.WriteString(t.out, "\n"+string(frame))
	default:
		_, err = t.out.Write(frame)
	}
	return err
}

// writeFrame writes the header line and the table of one refresh.
func (t *topView) writeFrame(w io.Writer, st *admin.Stats, d time.Duration, rs []serverRate) {
	at := st.Time
	if at.IsZero() {
		at = time.Now()
	}
	fmt.Fprintf(w, "%s %s at %s  %s  interval %s  clients %d  in flight %d\n\n",
		dash(st.Service), dash(st.Version), t.client.addr, at.Local().Format(time.TimeOnly),
		d.Round(time.Millisecond), st.ClientConns, st.InFlight)
	tw := newTable(w)
	fmt.Fprintln(tw, "POOL\tSERVER\tROLE\tSTATE\tREQ/S\tERR/S\tTMO/S\tP50\tP99\tPENDING\tCONNS")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n",
			r.Pool, r.Server, r.Role, r.State, rate(r.Requests), rate(r.Errors), rate(r.Timeouts),
			latency(r.P50), latency(r.P99), r.Pending, r.Conns)
	}
	tw.Flush()
}

// rate formats a per-second rate.
func rate(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// latency formats a quantile: "-" when there were no requests, ">B" when
// it lies beyond B, the highest finite bucket bound.
func latency(e estimate) string {
	switch {
	case math.IsNaN(e.MS):
		return "-"
	case e.Beyond:
		return ">" + formatMillis(e.MS)
	}
	return formatMillis(e.MS)
}

// formatMillis formats milliseconds with three significant digits or so:
// "0.125ms", "1.50ms", "12.5ms", "125ms", "1.25s".
func formatMillis(ms float64) string {
	switch {
	case ms >= 1000:
		return fmt.Sprintf("%.2fs", ms/1000)
	case ms >= 100:
		return fmt.Sprintf("%.0fms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1fms", ms)
	case ms >= 1:
		return fmt.Sprintf("%.2fms", ms)
	}
	return fmt.Sprintf("%.3fms", ms)
}

// isTerminal reports whether w is a terminal that understands ANSI escapes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
