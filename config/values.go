package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxMillis is the largest number of milliseconds a time.Duration holds.
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// sizeUnits are the units parseSize accepts, lower case: decimal kB, MB, GB,
// TB and binary KiB, MiB, GiB, TiB.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1e3,
	"mb":  1e6,
	"gb":  1e9,
	"tb":  1e12,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
}

// parseSize reads a byte size such as "64MiB", "1GB" or "4096": digits, then
// an optional unit (case-insensitive, space allowed before it). kB, MB, GB
// and TB are powers of 1000; KiB, MiB, GiB and TiB powers of 1024.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	unit := strings.ToLower(strings.TrimSpace(s[i:]))
	mult, ok := sizeUnits[unit]
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf(`%q is not a size; want an integer of bytes or a string such as "64MiB" or "1GB"`, s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}

// millis converts a number of milliseconds to a Duration, refusing overflow.
func millis(n int64) (time.Duration, error) {
	if n > maxMillis || n < -maxMillis {
		return 0, fmt.Errorf("%d ms is out of range", n)
	}
	return time.Duration(n) * time.Millisecond, nil
}
