package hashkit

import "math/rand/v2"

// random is twemproxy's random distribution: every key goes to a node chosen
// uniformly at random, whatever its hash or weight.
type random struct {
	n int
}

var _ Distribution = random{}

// Pick ignores hash and returns a random node index; -1 when there are no
// nodes.
func (r random) Pick(uint32) int {
	if r.n == 0 {
		return -1
	}
	return rand.IntN(r.n)
}

// explain reports no node: each Pick draws one anew.
func (r random) explain(uint32) Placement {
	return Placement{Node: -1, Kind: "random", Size: r.n}
}
