package main

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fae-dev/fae/config"
)

var locateCommand = &command{
	name:     "locate",
	synopsis: "locate -c FILE [-pool NAME] [-json] [-x] KEY...",
	summary:  "show which server holds a key, and why",
	help: `
For each KEY and each pool of the config (or only pool NAME), prints the
server that holds the key and how it was chosen, exactly as faed (and
twemproxy 0.5) chooses it: the hash function and the hash of the key (hex and
decimal), the part of the key hashed when the pool's hash_tag applies, the
distribution and the ketama point or modula slot that decided, and the server
(address and ring name). Replicas and the failover pool of the server are
listed too. Servant pools are served in process by lcache: nothing is hashed.
HTTP pools hold no keys and are skipped.

locate assumes every server is in the ring; with auto_eject_hosts, the keys
of an ejected server are placed over the others while it is out.`,
	flags: func(fs *flag.FlagSet) action {
		file := fs.String("c", "", "config `FILE` (.yml, .yaml or .toml)")
		pool := fs.String("pool", "", "only the pool called `NAME`")
		asJSON := fs.Bool("json", false, "print JSON: an array with one object per key")
		hexKeys := fs.Bool("x", false, "the keys are hex-encoded bytes")
		return func(args []string, stdout, stderr io.Writer) error {
			switch {
			case *file == "":
				return usageError("no config file; give one with -c FILE")
			case len(args) == 0:
				return usageError("no key to locate")
			}
			keys, err := decodeKeys(args, *hexKeys)
			if err != nil {
				return err
			}
			return locate(*file, *pool, keys, *asJSON, stdout, stderr)
		}
	},
}

// keyPlacement is where one key goes in each pool.
type keyPlacement struct {
	Key    string       `json:"key"`
	KeyHex string       `json:"key_hex"`
	Pools  []*placement `json:"pools"`
}

// decodeKeys returns the keys as bytes, hex-decoded when hexKeys is set.
func decodeKeys(args []string, hexKeys bool) ([][]byte, error) {
	keys := make([][]byte, len(args))
	for i, a := range args {
		if !hexKeys {
			keys[i] = []byte(a)
			continue
		}
		k, err := hex.DecodeString(a)
		if err != nil {
			return nil, usageError(fmt.Sprintf("key %q is not hex: %v", a, err))
		}
		keys[i] = k
	}
	return keys, nil
}

// locate loads the config and prints where each key goes.
func locate(file, pool string, keys [][]byte, asJSON bool, stdout, stderr io.Writer) error {
	cfg, err := config.Load(file)
	if err != nil {
		printConfigErrors(stderr, err)
		return errReported
	}
	locs, err := locators(cfg, pool)
	if err != nil {
		return err
	}
	var out []keyPlacement
	for _, k := range keys {
		kp := keyPlacement{Key: string(k), KeyHex: hex.EncodeToString(k)}
		for _, l := range locs {
			pl, err := l.place(k)
			if err != nil {
				return err
			}
			kp.Pools = append(kp.Pools, pl)
		}
		out = append(out, kp)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for i, kp := range out {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		writeKeyPlacement(stdout, kp)
	}
	return nil
}

// locators returns the locators of the pools to show: pool alone when
// named, else every pool that holds keys.
func locators(cfg *config.Config, pool string) ([]*locator, error) {
	if pool != "" {
		p := findPool(cfg, pool)
		if p == nil {
			return nil, fmt.Errorf("%s has no pool %q", cfg.File, pool)
		}
		l, err := newLocator(cfg, p)
		if err != nil {
			return nil, err
		}
		return []*locator{l}, nil
	}
	var locs []*locator
	for i := range cfg.Pools {
		if cfg.Pools[i].Protocol == config.ProtocolHTTP {
			continue
		}
		l, err := newLocator(cfg, &cfg.Pools[i])
		if err != nil {
			return nil, err
		}
		locs = append(locs, l)
	}
	if len(locs) == 0 {
		return nil, fmt.Errorf("%s has no pool that holds keys", cfg.File)
	}
	return locs, nil
}

// writeKeyPlacement writes one key's block: the key, then each pool's
// placement with aligned labels.
func writeKeyPlacement(w io.Writer, kp keyPlacement) {
	fmt.Fprintf(w, "key %s\n", strconv.Quote(kp.Key))
	for _, pl := range kp.Pools {
		fmt.Fprintf(w, "  pool %s (%s, listen %s)\n", pl.Pool, pl.Protocol, pl.Listen)
		for _, ln := range placementLines(pl) {
			fmt.Fprintf(w, "    %-13s %s\n", ln[0], ln[1])
		}
	}
}

// placementLines returns the labelled lines that explain pl.
func placementLines(pl *placement) [][2]string {
	if pl.Servant != "" {
		return [][2]string{{"served", "in process by " + pl.Servant + " (no hashing, no servers)"}}
	}
	var ls [][2]string
	add := func(label, format string, args ...any) {
		ls = append(ls, [2]string{label, fmt.Sprintf(format, args...)})
	}
	h := pl.Hash
	switch {
	case h.TagApplied:
		add("hash tag", "%s applies: hashed %s", h.Tag, strconv.Quote(h.Hashed))
	case h.Tag != "":
		add("hash tag", "%s does not apply: the whole key is hashed", h.Tag)
	}
	if h.Empty {
		add("hash", "%s not called: the hashed part is empty, so the hash is %s (0)", h.Function, h.Hex)
	} else {
		add("hash", "%s = %s (%d)", h.Function, h.Hex, h.Value)
	}
	switch {
	case pl.SingleServer:
		add("distribution", "%s; one server, so no lookup", pl.Distribution)
	case pl.Point != nil:
		add("distribution", "ketama")
		pt := pl.Point
		wrap := ""
		if pt.Wrapped {
			wrap = "; the hash is past the last point, so it wraps to the first"
		}
		add("ketama point", "%s (%d): point %d of %d, word %d of md5(%s)%s",
			pt.Hex, pt.Value, pt.Index, pt.Points, pt.Word, strconv.Quote(pt.Source), wrap)
	case pl.Slot != nil:
		add("distribution", "modula")
		add("modula slot", "%d of %d (hash %% %d; one slot per unit of weight, servers in ring-name order)",
			pl.Slot.Slot, pl.Slot.Slots, pl.Slot.Slots)
	default:
		add("distribution", "%s", pl.Distribution)
	}
	add("server", "%s", describeTarget(pl))
	if len(pl.Replicas) > 0 {
		add("replicas", "%s (read_policy %s: %s)", strings.Join(pl.Replicas, ", "), pl.ReadPolicy, readPolicyNote(pl.ReadPolicy))
	}
	if f := pl.Failover; f != nil {
		add("failover", "pool %s, failover_mode %s: %s", f.Pool, f.Mode, failoverNote(pl, f))
	}
	if pl.StackOff {
		add("client stack", "off: replicas and the failover pool are not used")
	}
	if pl.AutoEject {
		add("ejection", "auto_eject_hosts: while a server is ejected, keys are placed over the others")
	}
	return ls
}

// describeTarget says where a placement sends its key.
func describeTarget(pl *placement) string {
	switch {
	case pl.Servant != "":
		return "served in process by " + pl.Servant
	case pl.Server == nil:
		return fmt.Sprintf("any of the %d servers, chosen at random for each request", pl.RandomOf)
	}
	s := pl.Server
	return fmt.Sprintf("%s, ring name %s (servers[%d], weight %d)", s.Addr, s.RingName, s.Index, s.Weight)
}

// readPolicyNote explains where reads go under a read policy.
func readPolicyNote(policy string) string {
	switch policy {
	case config.ReadReplica:
		return "reads go to the least loaded live replica, the primary only when none is live; writes to the primary"
	case config.ReadNearest:
		return "reads go to the live member with the lowest latency; writes to the primary"
	}
	return "reads and writes go to the primary; reads go to a live replica while it is dead"
}

// failoverNote explains when the failover pool serves the key.
func failoverNote(pl *placement, f *failoverInfo) string {
	there := describeTarget(f.Placement)
	switch f.Mode {
	case config.FailoverForce:
		return "every key goes to the failover pool now: " + there
	case config.FailoverOff:
		return "never used (there the key would go to " + there + ")"
	}
	who := "this server"
	if pl.Server != nil {
		who = pl.Server.Addr
	}
	if len(pl.Replicas) > 0 {
		return "while " + who + " is dead, writes (and reads when no replica is live) go to " + there
	}
	return "while " + who + " is dead, the key goes to " + there
}
