package rediscmd

// This file holds the key finders of commands whose keys are not described
// by First/Last/Step. Each is called with dst[:0], appends key indexes in
// increasing order and tolerates any args.

// maxCount caps a parsed numkeys so index arithmetic cannot overflow.
const maxCount = 1 << 30

// appendRange appends first, first+step, ... up to last to dst, where a
// negative last counts from the end of n arguments; indexes past the end
// are dropped. A first of 0 means no keys.
func appendRange(dst []int, n, first, last, step int) []int {
	if first <= 0 {
		return dst
	}
	if last < 0 {
		last += n
	}
	if last >= n {
		last = n - 1
	}
	if step < 1 {
		step = 1
	}
	for i := first; i <= last; i += step {
		dst = append(dst, i)
	}
	return dst
}

// appendCounted appends the keys that follow a numkeys argument at args[at].
func appendCounted(dst []int, args [][]byte, at int) []int {
	if at >= len(args) {
		return dst
	}
	n, ok := parseCount(args[at])
	if !ok || n == 0 {
		return dst
	}
	return appendRange(dst, len(args), at+1, at+n, 1)
}

// keysNumkeysAt1 finds "CMD numkeys key ..." (ZUNION, ZINTER, ZDIFF,
// SINTERCARD, ZINTERCARD, LMPOP, ZMPOP).
func keysNumkeysAt1(args [][]byte, dst []int) []int { return appendCounted(dst, args, 1) }

// keysNumkeysAt2 finds "CMD x numkeys key ..." (EVAL, EVALSHA, FCALL and
// their _RO forms, BLMPOP, BZMPOP).
func keysNumkeysAt2(args [][]byte, dst []int) []int { return appendCounted(dst, args, 2) }

// keysDestNumkeys finds "CMD destination numkeys key ..." (ZUNIONSTORE,
// ZINTERSTORE, ZDIFFSTORE).
func keysDestNumkeys(args [][]byte, dst []int) []int {
	if len(args) > 1 {
		dst = append(dst, 1)
	}
	return appendCounted(dst, args, 2)
}

// scanStreamOptions walks the options of XREAD and XREADGROUP the way Redis
// does and returns the index of STREAMS (-1 if it is missing or an unknown
// option comes first) and whether a BLOCK option was seen before it.
func scanStreamOptions(args [][]byte) (streams int, block bool) {
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case equalFold(a, "block"):
			block = true
			i++
		case equalFold(a, "count"):
			i++
		case equalFold(a, "group"):
			i += 2
		case equalFold(a, "noack"):
		case equalFold(a, "streams"):
			return i, block
		default:
			return -1, block
		}
	}
	return -1, block
}

// keysStreams finds "... STREAMS key ... id ..." (XREAD, XREADGROUP): the
// first half of the arguments after STREAMS; with an odd count the middle
// argument is taken for an ID, as Redis does.
func keysStreams(args [][]byte, dst []int) []int {
	at, _ := scanStreamOptions(args)
	if at < 0 {
		return dst
	}
	n := (len(args) - at - 1) / 2
	return appendRange(dst, len(args), at+1, at+n, 1)
}

// keysSort finds the sorted key of SORT and the destination of its last
// STORE option, skipping the arguments of LIMIT, BY and GET. Keys named by
// BY and GET patterns depend on data and are not reported, as in Redis.
func keysSort(args [][]byte, dst []int) []int {
	if len(args) < 2 {
		return dst
	}
	dst = append(dst, 1)
	store := 0
	for i := 2; i < len(args); i++ {
		a := args[i]
		switch {
		case equalFold(a, "limit"):
			i += 2
		case equalFold(a, "by"), equalFold(a, "get"):
			i++
		case equalFold(a, "store") && i+1 < len(args):
			store = i + 1
			i++
		}
	}
	if store > 0 {
		dst = append(dst, store)
	}
	return dst
}

// keysGeoradiusStore finds the key of GEORADIUS and GEORADIUSBYMEMBER and
// the destination of every STORE and STOREDIST option (Redis writes only the
// last one; reporting all keeps routing conservative).
func keysGeoradiusStore(args [][]byte, dst []int) []int {
	if len(args) < 2 {
		return dst
	}
	dst = append(dst, 1)
	for i := 5; i+1 < len(args); i++ {
		if equalFold(args[i], "store") || equalFold(args[i], "storedist") {
			dst = append(dst, i+1)
			i++
		}
	}
	return dst
}

// keysMigrate finds "MIGRATE host port key db timeout ..." or, when key is
// empty, the keys after the KEYS option, skipping AUTH and AUTH2 arguments.
func keysMigrate(args [][]byte, dst []int) []int {
	if len(args) < 4 {
		return dst
	}
	if len(args[3]) == 0 {
		for i := 6; i < len(args); i++ {
			switch {
			case equalFold(args[i], "auth"):
				i++
			case equalFold(args[i], "auth2"):
				i += 2
			case equalFold(args[i], "keys"):
				return appendRange(dst, len(args), i+1, -1, 1)
			}
		}
	}
	return append(dst, 3)
}

// appendSubcommandKey appends 2, the key of "CMD SUB key ...", when args[1]
// is one of subs.
func appendSubcommandKey(dst []int, args [][]byte, subs ...string) []int {
	if len(args) < 3 {
		return dst
	}
	for _, s := range subs {
		if equalFold(args[1], s) {
			return append(dst, 2)
		}
	}
	return dst
}

// keysObject finds the key of OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key.
func keysObject(args [][]byte, dst []int) []int {
	return appendSubcommandKey(dst, args, "encoding", "freq", "idletime", "refcount")
}

// keysXinfo finds the key of XINFO STREAM|GROUPS|CONSUMERS key ....
func keysXinfo(args [][]byte, dst []int) []int {
	return appendSubcommandKey(dst, args, "stream", "groups", "consumers")
}

// keysXgroup finds the key of XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|
// DELCONSUMER key ....
func keysXgroup(args [][]byte, dst []int) []int {
	return appendSubcommandKey(dst, args, "create", "setid", "destroy", "createconsumer", "delconsumer")
}

// keysMemory finds the key of MEMORY USAGE key ....
func keysMemory(args [][]byte, dst []int) []int {
	return appendSubcommandKey(dst, args, "usage")
}

// equalFold reports whether b equals lower, an ASCII lower-case word,
// ignoring ASCII case.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// parseCount parses a non-negative decimal count; it reports false for
// anything else. Values above maxCount are capped.
func parseCount(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < maxCount {
			n = n*10 + int(c-'0')
		}
	}
	return min(n, maxCount), true
}
