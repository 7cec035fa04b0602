package hashkit

// modula is twemproxy's modula distribution: one slot per unit of weight,
// nodes in name order (see nameOrder), picked by hash modulo the number of
// slots.
type modula struct {
	slots []int32
}

var _ Distribution = (*modula)(nil)

func newModula(nodes []Node, order []int) *modula {
	m := &modula{}
	for _, i := range order {
		for range nodes[i].Weight {
			m.slots = append(m.slots, int32(i))
		}
	}
	return m
}

// Pick returns the node of slot hash % slots; -1 when there are no slots.
func (m *modula) Pick(hash uint32) int {
	if len(m.slots) == 0 {
		return -1
	}
	return int(m.slots[hash%uint32(len(m.slots))])
}

// explain names the slot Pick takes.
func (m *modula) explain(hash uint32) Placement {
	p := Placement{Node: -1, Kind: "modula", Size: len(m.slots)}
	if len(m.slots) > 0 {
		p.Position = int(hash % uint32(len(m.slots)))
		p.Node = int(m.slots[p.Position])
	}
	return p
}
