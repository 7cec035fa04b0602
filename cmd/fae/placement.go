package main

import (
	"encoding/hex"
	"fmt"

	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/hashkit"
)

// placement is where one key goes in one pool, and why. It is locate's JSON
// output; the text output renders the same fields.
type placement struct {
	Pool     string `json:"pool"`
	Protocol string `json:"protocol"`
	Listen   string `json:"listen"`
	// Servant is set when the pool is served in process: nothing is hashed.
	Servant      string    `json:"servant,omitempty"`
	Hash         *hashInfo `json:"hash,omitempty"`
	Distribution string    `json:"distribution,omitempty"`
	// SingleServer: a pool of one server sends every key to it, without a
	// lookup (twemproxy's server_pool_idx does the same).
	SingleServer bool       `json:"single_server,omitempty"`
	Point        *pointInfo `json:"ketama_point,omitempty"`
	Slot         *slotInfo  `json:"modula_slot,omitempty"`
	// Server is the server that holds the key; nil for a servant pool and
	// for the random distribution over several servers (RandomOf of them).
	Server   *serverInfo `json:"server,omitempty"`
	RandomOf int         `json:"random_of,omitempty"`
	// Replicas are Server's replicas and ReadPolicy how reads use them.
	Replicas   []string      `json:"replicas,omitempty"`
	ReadPolicy string        `json:"read_policy,omitempty"`
	Failover   *failoverInfo `json:"failover,omitempty"`
	// AutoEject: while a server is ejected, keys are placed over the others.
	AutoEject bool `json:"auto_eject_hosts,omitempty"`
	// StackOff: client_stack is off, so replicas and failover are unused.
	StackOff bool `json:"client_stack_off,omitempty"`
}

// hashInfo is how the key was hashed.
type hashInfo struct {
	Function string `json:"function"`
	// Tag is the pool's hash_tag; TagApplied tells whether the key holds
	// a non-empty tagged part, in which case Hashed is that part.
	Tag        string `json:"tag,omitempty"`
	TagApplied bool   `json:"tag_applied"`
	Hashed     string `json:"hashed"`
	HashedHex  string `json:"hashed_hex"`
	// Empty: the hashed part is empty, so the hash is 0 without calling
	// the function (twemproxy's rule).
	Empty bool   `json:"empty,omitempty"`
	Value uint32 `json:"value"`
	Hex   string `json:"hex"`
}

// pointInfo is the ketama point that owns the hash.
type pointInfo struct {
	Value  uint32 `json:"value"`
	Hex    string `json:"hex"`
	Index  int    `json:"index"`  // 0-based position on the ring
	Points int    `json:"points"` // points on the ring
	Source string `json:"source"` // the point is word Word of md5(Source)
	Word   int    `json:"word"`
	// Wrapped: the hash is past the last point, so the first point owns it.
	Wrapped bool `json:"wrapped,omitempty"`
}

// slotInfo is the modula slot that owns the hash: Slot = hash % Slots.
type slotInfo struct {
	Slot  int `json:"slot"`
	Slots int `json:"slots"`
}

// serverInfo is one server of a pool.
type serverInfo struct {
	Index    int    `json:"index"` // 0-based position in the pool's servers
	Addr     string `json:"addr"`
	RingName string `json:"ring_name"`
	Weight   int    `json:"weight"`
}

// failoverInfo is the pool that serves the keys of a dead server.
type failoverInfo struct {
	Pool      string     `json:"pool"`
	Mode      string     `json:"mode"`      // auto, off or force
	Placement *placement `json:"placement"` // where the key goes in that pool
}

// locator places keys in one pool exactly as faed does (proxy.Pool.shard),
// with every server in the ring.
type locator struct {
	pool     *config.Pool
	hash     hashkit.Func
	nodes    []hashkit.Node
	dist     hashkit.Distribution // nil for a servant pool
	failover *locator             // the failover pool's, when configured
}

// newLocator builds the locator of pool p of cfg.
func newLocator(cfg *config.Config, p *config.Pool) (*locator, error) {
	if p.Protocol == config.ProtocolHTTP {
		return nil, fmt.Errorf("pool %q is an http pool: it serves the other pools' keys and holds none", p.Name)
	}
	l := &locator{pool: p}
	if p.Servant != "" {
		return l, nil
	}
	h, err := hashkit.Lookup(p.Hash)
	if err != nil {
		return nil, fmt.Errorf("pool %q: %w", p.Name, err)
	}
	l.hash = h
	for _, s := range p.Servers {
		l.nodes = append(l.nodes, hashkit.Node{Name: s.RingName(), Weight: s.Weight})
	}
	if l.dist, err = hashkit.NewDistribution(p.Distribution, l.nodes); err != nil {
		return nil, fmt.Errorf("pool %q: %w", p.Name, err)
	}
	if f := p.Stack.Failover; f != "" && p.Stack.Enabled {
		fp := findPool(cfg, f)
		if fp == nil {
			return nil, fmt.Errorf("pool %q: no failover pool %q", p.Name, f)
		}
		if l.failover, err = newLocator(cfg, fp); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// findPool returns the pool of cfg called name, or nil.
func findPool(cfg *config.Config, name string) *config.Pool {
	for i := range cfg.Pools {
		if cfg.Pools[i].Name == name {
			return &cfg.Pools[i]
		}
	}
	return nil
}

// place returns where key goes in the pool, and why.
func (l *locator) place(key []byte) (*placement, error) {
	p := l.pool
	pl := &placement{Pool: p.Name, Protocol: p.Protocol, Listen: p.Listen, Servant: p.Servant}
	if p.Servant != "" {
		return pl, nil
	}
	pl.Hash = l.hashKey(key)
	pl.Distribution = p.Distribution
	pl.AutoEject = p.AutoEjectHosts
	idx, err := l.pick(pl, key)
	if err != nil {
		return nil, err
	}
	if idx >= 0 {
		l.describeServer(pl, idx)
	}
	if l.failover != nil {
		fp, err := l.failover.place(key)
		if err != nil {
			return nil, err
		}
		pl.Failover = &failoverInfo{Pool: l.failover.pool.Name, Mode: p.Stack.FailoverMode, Placement: fp}
	}
	return pl, nil
}

// hashKey hashes key as twemproxy's server_pool_idx does: the hash tag
// first, then hash 0 for an empty part without calling the function.
func (l *locator) hashKey(key []byte) *hashInfo {
	part := hashkit.Tag(key, l.pool.HashTag)
	hi := &hashInfo{
		Function:   l.pool.Hash,
		Tag:        l.pool.HashTag,
		TagApplied: len(part) != len(key),
		Hashed:     string(part),
		HashedHex:  hex.EncodeToString(part),
		Empty:      len(part) == 0,
	}
	if !hi.Empty {
		hi.Value = l.hash(part)
	}
	hi.Hex = fmt.Sprintf("0x%08x", hi.Value)
	return hi
}

// pick fills the point or slot of pl from hashkit.Explain and returns the
// index of the server that owns the hash, or -1 for random over several
// servers (or none). It checks the answer against hashkit.Locate, which is
// what faed runs.
func (l *locator) pick(pl *placement, key []byte) (int, error) {
	if len(l.nodes) == 1 {
		pl.SingleServer = true
		return 0, nil
	}
	ex, ok := hashkit.Explain(l.dist, pl.Hash.Value)
	if !ok {
		return -1, fmt.Errorf("pool %q: hashkit cannot explain its %s distribution; please report this", l.pool.Name, l.pool.Distribution)
	}
	switch {
	case ex.Kind == "random":
		pl.RandomOf = len(l.nodes)
		return -1, nil
	case ex.Node < 0: // no servers, so no point or slot
		return -1, nil
	case ex.Kind == "ketama":
		pl.Point = &pointInfo{
			Value: ex.Point, Hex: fmt.Sprintf("0x%08x", ex.Point), Index: ex.Position, Points: ex.Size,
			Source: ex.Source, Word: ex.Word, Wrapped: ex.Wrapped,
		}
	case ex.Kind == "modula":
		pl.Slot = &slotInfo{Slot: ex.Position, Slots: ex.Size}
	}
	if want := hashkit.Locate(l.dist, l.hash, l.pool.HashTag, key); ex.Node != want {
		return -1, fmt.Errorf("pool %q: hashkit.Explain chose server %d but hashkit.Locate chooses %d; please report this", l.pool.Name, ex.Node, want)
	}
	return ex.Node, nil
}

// describeServer sets the server at idx, its replicas and read policy.
func (l *locator) describeServer(pl *placement, idx int) {
	s := l.pool.Servers[idx]
	pl.Server = &serverInfo{Index: idx, Addr: s.Addr, RingName: s.RingName(), Weight: s.Weight}
	for _, r := range s.Replicas {
		pl.Replicas = append(pl.Replicas, r.Addr)
	}
	if len(pl.Replicas) > 0 {
		pl.ReadPolicy = l.pool.Stack.ReadPolicy
		if pl.ReadPolicy == "" {
			pl.ReadPolicy = config.ReadPrimary
		}
	}
	pl.StackOff = !l.pool.Stack.Enabled && (len(pl.Replicas) > 0 || l.pool.Stack.Failover != "")
}
