package hashkit

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Node is one server as a distribution sees it.
type Node struct {
	// Name is the server's ring name; see RingName. Ketama hashes it, and
	// ketama and modula order the nodes by it, as twemproxy sorts a pool's
	// servers by name when it loads its config. Names must be unique.
	Name string
	// Weight is the server's share of the keys relative to the other nodes.
	// It must be positive.
	Weight int
}

// ketamaPort is the port twemproxy leaves out of a server's ring name, for
// compatibility with libmemcached.
const ketamaPort = 11211

// RingName returns the name twemproxy puts on the ketama ring for a server:
// name if it is non-empty; else host when port is 11211; else "host:port".
// Port 0 stands for a unix socket path (host), whose ring name twemproxy makes
// "path:". The host is used as written in the config, never resolved; twemproxy
// also keeps the port as written, so a port with leading zeros in the config
// gives a ring name this function cannot rebuild.
func RingName(host string, port int, name string) string {
	switch {
	case name != "":
		return name
	case port == ketamaPort:
		return host
	case port == 0:
		return host + ":"
	}
	return host + ":" + strconv.Itoa(port)
}

// Distribution maps a key hash to the index of a node in the slice it was
// built from. A Distribution is immutable and safe for concurrent use. Pick on
// a distribution with no nodes returns -1.
type Distribution interface {
	// Pick returns the index of the node that owns hash, or -1 when there
	// are no nodes.
	Pick(hash uint32) int
}

// NewDistribution builds the twemproxy distribution kind, "ketama", "modula"
// or "random", over nodes: the live servers of a pool, in config order. Pick
// returns indices into nodes, whatever their order; internally, like
// twemproxy, the nodes are ordered by name (shorter first, then bytewise),
// which decides modula's slot table and which node wins tied ketama points.
//
// An unknown kind gives an error wrapping ErrUnknownDistribution; a weight
// that is not positive, ErrBadWeight; two nodes with the same name,
// ErrDuplicateName. Empty nodes give a Distribution whose Pick returns -1.
// NewDistribution does not keep nodes; a ketama ring keeps their names, for
// Explain.
func NewDistribution(kind string, nodes []Node) (Distribution, error) {
	if kind != "ketama" && kind != "modula" && kind != "random" {
		return nil, fmt.Errorf("%w %q (want ketama, modula or random)", ErrUnknownDistribution, kind)
	}
	for i, n := range nodes {
		if n.Weight <= 0 {
			return nil, fmt.Errorf("node %d (%q) weight %d: %w", i, n.Name, n.Weight, ErrBadWeight)
		}
	}
	order := nameOrder(nodes)
	for i := 1; i < len(order); i++ {
		if a, b := nodes[order[i-1]], nodes[order[i]]; a.Name == b.Name {
			return nil, fmt.Errorf("nodes %d and %d are both %q: %w", order[i-1], order[i], a.Name, ErrDuplicateName)
		}
	}
	switch kind {
	case "ketama":
		return newKetama(nodes, order), nil
	case "modula":
		return newModula(nodes, order), nil
	}
	return random{n: len(nodes)}, nil
}

// nameOrder returns the indices of nodes in the order twemproxy sorts a
// pool's servers (conf_validate_server with string_compare): by name length,
// then by bytes.
func nameOrder(nodes []Node) []int {
	order := make([]int, len(nodes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := nodes[a].Name, nodes[b].Name
		return cmp.Or(cmp.Compare(len(x), len(y)), strings.Compare(x, y))
	})
	return order
}

// Locate returns the index in d of the node that owns key, following
// twemproxy's server_pool_idx: the hash tag is applied (see Tag), then an
// empty hashed part gets hash 0 without calling h, any other is hashed with h,
// and d picks the node. It returns -1 when d has no nodes. Locate does not
// allocate.
func Locate(d Distribution, h Func, tag string, key []byte) int {
	key = Tag(key, tag)
	var hash uint32
	if len(key) > 0 {
		hash = h(key)
	}
	return d.Pick(hash)
}
