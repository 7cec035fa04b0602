package loadkit

import "slices"

// Median returns the median of v (the mean of the middle two for an even
// length), 0 for an empty v. It sorts a copy: v is left as it is.
func Median[T int64 | float64](v []T) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}
