package loadkit

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Mark is one "LABEL UNIXTIME" line of a file a bench script appends to while
// a load runs (UNIXTIME in seconds with a fraction, as bash's
// $EPOCHREALTIME, whose decimal separator may be a comma).
type Mark struct {
	// Label is the line's first field.
	Label string
	// At is the time as an offset from the start of the run; negative for a
	// mark before it.
	At time.Duration
}

// ParseMarks reads the marks of data, in file order, as offsets from start.
// Lines without exactly two fields are skipped; lines whose time does not
// parse are returned in bad, trimmed, for the caller to report.
func ParseMarks(data string, start time.Time) (marks []Mark, bad []string) {
	for line := range strings.Lines(data) {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		sec, err := strconv.ParseFloat(strings.Replace(f[1], ",", ".", 1), 64)
		if err != nil {
			bad = append(bad, strings.TrimSpace(line))
			continue
		}
		marks = append(marks, Mark{f[0], time.Unix(0, int64(math.Round(sec*1e9))).Sub(start)})
	}
	return marks, bad
}
