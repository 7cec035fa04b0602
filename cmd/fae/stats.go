package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fae-dev/fae/admin"
)

var statsCommand = &command{
	name:     "stats",
	synopsis: "stats [-a ADDR | -c FILE] [-token TOKEN] [-json]",
	summary:  "print faed's counters per pool and server",
	help: `
Fetches faed's counters (GET /stats on its admin server) and prints them: a
summary line, one row per pool (listen address, protocol, client connections,
requests, error replies) and one row per server (state, requests, failures,
timeouts, pending requests, connections, ejections). Counters are totals since
faed started; "fae top" shows rates. A server's state is alive, DEAD, forced
down (by an operator's switch) or failed over (its keys go to the failover
pool). -json prints faed's document as sent, indented.`,
	flags: func(fs *flag.FlagSet) action {
		af := addAdminFlags(fs)
		asJSON := fs.Bool("json", false, "print the /stats JSON document")
		return func(args []string, stdout, stderr io.Writer) error {
			if len(args) > 0 {
				return usageError(fmt.Sprintf("unexpected argument %q", args[0]))
			}
			st, raw, err := af.stats()
			if err != nil {
				return err
			}
			if *asJSON {
				var buf bytes.Buffer
				if err := json.Indent(&buf, raw, "", "  "); err != nil {
					return err
				}
				buf.WriteByte('\n')
				_, err := stdout.Write(buf.Bytes())
				return err
			}
			return writeStats(stdout, st)
		}
	},
}

// writeStats writes the summary line, the pool table, the server table and
// the switches that are on.
func writeStats(w io.Writer, st *admin.Stats) error {
	fmt.Fprintln(w, summaryLine(st))
	fmt.Fprintln(w)
	tw := newTable(w)
	fmt.Fprintln(tw, "POOL\tLISTEN\tPROTOCOL\tCLIENTS\tREQUESTS\tERRORS\tFAILOVER")
	for _, p := range st.Pools {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n",
			p.Name, p.Listen, p.Protocol, p.ClientConns, p.Requests, p.Errors, dash(p.Failover))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = newTable(w)
	fmt.Fprintln(tw, "POOL\tSERVER\tROLE\tSTATE\tREQUESTS\tFAILURES\tTIMEOUTS\tPENDING\tCONNS\tEJECTS")
	for _, p := range st.Pools {
		for _, s := range p.Servers {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n",
				p.Name, s.Name, s.Role, serverState(s), s.Requests, s.Failures, s.Timeouts, s.Pending, s.Connections, s.Ejects)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(st.Switches) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "switches on:")
		for _, sw := range st.Switches {
			fmt.Fprintf(w, "  %s\n", describeSwitch(sw))
		}
	}
	return nil
}

// newTable returns a writer that aligns tab-separated columns.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// summaryLine is the one-line header of stats: service, version, uptime,
// clients, requests in flight, shed requests, reloads.
func summaryLine(st *admin.Stats) string {
	up := time.Duration(st.UptimeSeconds * float64(time.Second)).Truncate(time.Second)
	return fmt.Sprintf("%s %s  up %s  clients %d (%d since start)  in flight %d  shed %d  reloads %d (%d failed)",
		dash(st.Service), dash(st.Version), up, st.ClientConns, st.TotalClientConns, st.InFlight, st.Shed, st.Reloads, st.ReloadErrors)
}

// serverState is "alive", or what is wrong: "DEAD", "forced down",
// "failed over", joined by commas when several apply.
func serverState(s admin.ServerStats) string {
	var st []string
	if !s.Alive {
		st = append(st, "DEAD")
	}
	if s.ForcedDown {
		st = append(st, "forced down")
	}
	if s.FailedOver {
		st = append(st, "failed over")
	}
	if len(st) == 0 {
		return "alive"
	}
	return strings.Join(st, ",")
}

// describeSwitch says what an operator's switch does.
func describeSwitch(sw admin.Switch) string {
	switch sw.Kind {
	case admin.SwitchServerDown:
		return fmt.Sprintf("pool %s: server %s down", sw.Pool, sw.Server)
	case admin.SwitchReadOnly:
		return fmt.Sprintf("pool %s: read only", sw.Pool)
	case admin.SwitchReject:
		return fmt.Sprintf("pool %s: rejecting %s commands", sw.Pool, sw.Class)
	}
	return fmt.Sprintf("pool %s: %s %s %s", sw.Pool, sw.Kind, sw.Server, sw.Class)
}

// dash returns s, or "-" when s is empty.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
