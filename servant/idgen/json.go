package idgen

import (
	"fmt"
	"strconv"
)

// JSON issues n new IDs (1 to MaxCount) and returns them as the body of an
// HTTP reply: {"ids":["123","124"]}, in increasing order. The IDs are
// strings because they exceed the 2^53 that a JavaScript number holds
// exactly. A count out of range gives an error wrapping ErrCount (an HTTP
// handler answers 400); ErrClockBackwards and ErrTimeRange are failures of
// the server (503).
func (g *Gen) JSON(n int) ([]byte, error) {
	if n < 1 || n > MaxCount {
		return nil, fmt.Errorf("%w: %d, want 1 to %d", ErrCount, n, MaxCount)
	}
	var buf [MaxCount]uint64
	ids, err := g.NextN(n, buf[:0])
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(`{"ids":[]}`)+n*22)
	out = append(out, `{"ids":[`...)
	for i, id := range ids {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = strconv.AppendUint(out, id, 10)
		out = append(out, '"')
	}
	return append(out, "]}"...), nil
}
