package hashkit

// Placement explains how a Distribution places a hash: the node it picks and
// the ketama point or modula slot that decided. The zero value is not a
// valid Placement (Node 0 with no Kind); Explain always sets Kind.
type Placement struct {
	// Node is the index of the node picked, in the slice the Distribution
	// was built from; -1 when there are no nodes, and always -1 for
	// random, where each Pick draws a node anew.
	Node int
	// Kind is the distribution: "ketama", "modula" or "random".
	Kind string
	// Point is, for ketama, the value of the point that owns the hash: the
	// first point >= hash, or the first point of all when Wrapped.
	Point uint32
	// Position is, for ketama, the index of Point on the ring, whose points
	// are sorted by value (tied points in node name order); for modula, the
	// slot, hash % Size.
	Position int
	// Size is, for ketama, the number of points on the ring; for modula, the
	// number of slots (one per unit of weight); for random, the number of
	// nodes.
	Size int
	// Wrapped is, for ketama, set when hash is above the last point, so the
	// first point owns it.
	Wrapped bool
	// Source is, for ketama, the string whose MD5 digest made the point:
	// "<ring name>-<i>", the ring name being the picked node's Name.
	Source string
	// Word is, for ketama, which little-endian 32-bit word of md5(Source),
	// 0 to 3, is Point.
	Word int
}

// explainer is implemented by the distributions NewDistribution builds.
type explainer interface {
	explain(hash uint32) Placement
}

// Explain returns how d places hash. Its Node is what d.Pick(hash) returns,
// except for the random distribution (see Placement.Node). It returns false
// for a Distribution that NewDistribution did not build. Unlike Pick,
// Explain allocates (the ketama Source); it is meant for tools, not for the
// request path. It is safe for concurrent use.
func Explain(d Distribution, hash uint32) (Placement, bool) {
	e, ok := d.(explainer)
	if !ok {
		return Placement{Node: -1}, false
	}
	return e.explain(hash), true
}
