package kvcmd

import (
	"bytes"
	"encoding/base64"
	"math"
	"strconv"
)

// The meta commands mg, ms, md, ma and mn, as memcached 1.6.18 runs them
// (proto_text.c). Flags are single-letter tokens, some with an argument;
// the reply echoes some of them in the order they were sent. The engine
// does not implement the stale-while-revalidate flags (mg N, R, h, l; ms
// and md I), which need per-item state it does not keep: a command with one
// of them is refused with "CLIENT_ERROR name does not support meta flag X".

// Meta errors as memcached 1.6.18 words them.
const (
	mcFlagDup      = "CLIENT_ERROR duplicate flag\r\n"
	mcFlagInvalid  = "CLIENT_ERROR invalid flag\r\n"
	mcFlagBad      = "CLIENT_ERROR invalid or duplicate flag\r\n"
	mcBadToken     = "CLIENT_ERROR bad token in command line format\r\n"
	mcBadKey64     = "CLIENT_ERROR error decoding key\r\n"
	mcBadMLen      = "CLIENT_ERROR incorrect length for M token\r\n"
	mcBadInitial   = "CLIENT_ERROR invalid numeric initial value\r\n"
	mcBadDelta     = "CLIENT_ERROR invalid numeric delta value\r\n"
	mcOpaqueLong   = "CLIENT_ERROR opaque token too long\r\n"
	mcBadSetMode   = "CLIENT_ERROR invalid mode for ms M token\r\n"
	mcBadArithMode = "CLIENT_ERROR invalid mode for ma M token\r\n"
)

const (
	// metaMaxOpaque is memcached's MFLAG_MAX_OPAQUE_LENGTH: the longest O
	// token, its letter included.
	metaMaxOpaque = 32
	// metaMaxFlags is the most flags mg, md and ma take: memcached refuses
	// more than 20 tokens, counting the name, the key and an end token. ms
	// takes one fewer, its data length being a token too.
	metaMaxFlags = 17
)

// metaFlags are a meta command's flags, as memcached's _meta_flag_preparse
// reads them.
type metaFlags struct {
	key                                 []byte // decoded under flag b
	binary, quiet, hasCas, newTTL, viv  bool   // b, q, C, T, N
	value, stale, hits, lastAccess, win bool   // v, I, h, l, R
	mode                                byte   // M
	exptime, vivExptime                 int64  // T, N
	clientFlags                         uint32 // F
	cas, initial                        uint64 // C, J
	delta                               uint64 // D, 1 if absent
}

// doMeta executes a meta command.
func (eng *Engine) doMeta(dst []byte, r *MC, op mcOp) ([]byte, error) {
	if op == mcMetaNoop {
		return append(dst, "MN\r\n"...), nil
	}
	if len(r.Keys) != 1 {
		return append(dst, mcError...), nil
	}
	if reply := checkMeta(r, op); reply != "" {
		return append(dst, reply...), nil
	}
	mf, errReply := parseMetaFlags(r.Keys[0], r.Meta)
	if errReply != "" {
		if op == mcMetaDelete || op == mcMetaArith {
			errReply = mcFlagBad
		}
		return append(dst, errReply...), nil
	}
	if f := mf.unsupported(op); f != 0 {
		return append(dst, eng.errStr.metaFlag+string(f)+"\r\n"...), nil
	}
	switch op {
	case mcMetaGet:
		return eng.metaGet(dst, r, &mf)
	case mcMetaSet:
		return eng.metaSet(dst, r, &mf)
	case mcMetaDelete:
		return eng.metaDelete(dst, r, &mf)
	}
	return eng.metaArith(dst, r, &mf)
}

// checkMeta returns memcached's error for a meta command whose key or flag
// count is too long, or "".
func checkMeta(r *MC, op mcOp) string {
	maxFlags := metaMaxFlags
	if op == mcMetaSet {
		maxFlags--
	}
	switch {
	case len(r.Keys[0]) > MaxKey:
		return mcBadFormat
	case len(r.Meta) > maxFlags && op == mcMetaGet:
		return "CLIENT_ERROR options flags are too long\r\n"
	case len(r.Meta) > maxFlags:
		return "CLIENT_ERROR options flags too long\r\n"
	}
	return ""
}

// unsupported returns the first flag of mf that the engine does not implement
// for the command op, or 0.
func (mf *metaFlags) unsupported(op mcOp) byte {
	switch {
	case op == mcMetaGet && mf.viv:
		return 'N'
	case op == mcMetaGet && mf.win:
		return 'R'
	case op == mcMetaGet && mf.hits:
		return 'h'
	case op == mcMetaGet && mf.lastAccess:
		return 'l'
	case (op == mcMetaSet || op == mcMetaDelete) && mf.stale:
		return 'I'
	}
	return 0
}

// parseMetaFlags parses the flag tokens of a meta command on key. A repeated
// or unknown flag fails at once; a bad argument fails after all flags are
// read, with the error of the last bad one (F has none of its own).
func parseMetaFlags(key []byte, toks [][]byte) (mf metaFlags, errReply string) {
	mf.key, mf.delta = key, 1
	var seen [127]bool
	errReply = mcBadFormat
	bad := false
	fail := func(reply string) {
		errReply, bad = reply, true
	}
	for _, tok := range toks {
		if len(tok) == 0 {
			return mf, mcFlagInvalid
		}
		o, arg := tok[0], tok[1:]
		if o >= 127 || seen[o] {
			return mf, mcFlagDup
		}
		seen[o] = true
		var ok bool
		switch o {
		case 'b':
			mf.binary = true
			if mf.key, ok = decodeKey(key); !ok {
				fail(mcBadKey64)
			}
		case 'N', 'T', 'R':
			var v int64
			if v, ok = cStrtol32(arg); !ok {
				fail(mcBadToken)
			}
			switch o {
			case 'N':
				mf.viv, mf.vivExptime = true, v
			case 'T':
				mf.newTTL, mf.exptime = true, v
			default:
				mf.win = true
			}
		case 'F':
			var v uint64
			if v, ok = cStrtoullToken(arg); !ok {
				bad = true // memcached sets no message of its own
			}
			mf.clientFlags = uint32(v) // safe_strtoul keeps the low 32 bits
		case 'C':
			if mf.cas, ok = cStrtoullToken(arg); !ok {
				fail(mcBadToken)
			}
			mf.hasCas = ok
		case 'M':
			if len(tok) != 2 {
				fail(mcBadMLen)
			} else {
				mf.mode = tok[1]
			}
		case 'J':
			if mf.initial, ok = cStrtoullToken(arg); !ok {
				fail(mcBadInitial)
			}
		case 'D':
			if mf.delta, ok = cStrtoullToken(arg); !ok {
				fail(mcBadDelta)
			}
		case 'v':
			mf.value = true
		case 'q':
			mf.quiet = true
		case 'I':
			mf.stale = true
		case 'h':
			mf.hits = true
		case 'l':
			mf.lastAccess = true
		case 'O', 'P', 'L', 'k', 's', 't', 'c', 'f', 'u':
		default:
			return mf, mcFlagInvalid
		}
	}
	if bad {
		return mf, errReply
	}
	return mf, ""
}

// decodeKey decodes a base64 key; an empty result fails, as in memcached.
func decodeKey(key []byte) ([]byte, bool) {
	out := make([]byte, base64.StdEncoding.DecodedLen(len(key)))
	n, err := base64.StdEncoding.Decode(out, key)
	return out[:n], err == nil && n > 0
}

// scanCNumber reads b as glibc strtoull and strtol read a token: optional
// leading white space and sign, decimal digits, then the token's end or a
// white space byte. It returns the magnitude, whether a '-' came first, and
// false without digits, on overflow or on other trailing bytes.
func scanCNumber(b []byte) (mag uint64, neg, ok bool) {
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	neg = i < len(b) && b[i] == '-'
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		i++
	}
	start, overflow := i, false
	for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if mag > (math.MaxUint64-d)/10 {
			overflow = true
		}
		mag = mag*10 + d
	}
	if i == start || overflow || (i < len(b) && !isCSpace(b[i]) && b[i] != 0) {
		return 0, false, false
	}
	return mag, neg, true
}

// cStrtoullToken is memcached's safe_strtoull on a token: glibc strtoull
// (a '-' negates modulo 2^64), but a result negative as an int64 fails when
// the token holds a '-' anywhere (memcached's strchr).
func cStrtoullToken(b []byte) (uint64, bool) {
	mag, neg, ok := scanCNumber(b)
	v := mag
	if neg {
		v = -mag
	}
	if !ok || (int64(v) < 0 && bytes.IndexByte(b, '-') >= 0) {
		return 0, false
	}
	return v, true
}

// cStrtol32 is memcached's safe_strtol: glibc strtol over a token (within
// int64), keeping the low 32 bits as an int32 does.
func cStrtol32(b []byte) (int64, bool) {
	mag, neg, ok := scanCNumber(b)
	if !ok || (neg && mag > 1<<63) || (!neg && mag > math.MaxInt64) {
		return 0, false
	}
	if neg {
		mag = -mag
	}
	return int64(int32(mag)), true
}

// appendKeyFlag appends the k flag's echo: the key, or under flag b the key
// in base64 and " b".
func appendKeyFlag(dst []byte, mf *metaFlags) []byte {
	dst = append(dst, " k"...)
	if !mf.binary {
		return append(dst, mf.key...)
	}
	dst = base64.StdEncoding.AppendEncode(dst, mf.key)
	return append(dst, " b"...)
}

// appendEcho appends the O and k flags of toks, as memcached echoes them on
// a miss, or returns false if an O token is too long.
func appendEcho(dst []byte, toks [][]byte, mf *metaFlags) ([]byte, bool) {
	for _, tok := range toks {
		switch tok[0] {
		case 'O':
			if len(tok) > metaMaxOpaque {
				return dst, false
			}
			dst = append(append(dst, ' '), tok...)
		case 'k':
			dst = appendKeyFlag(dst, mf)
		}
	}
	return dst, true
}

// metaStatus appends a status line with the echoed O and k flags, or the
// opaque error.
func metaStatus(dst []byte, code string, toks [][]byte, mf *metaFlags) []byte {
	start := len(dst)
	dst, ok := appendEcho(append(dst, code...), toks, mf)
	if !ok {
		return append(dst[:start], mcOpaqueLong...)
	}
	return append(dst, "\r\n"...)
}

// appendTTL appends the t flag's echo: the seconds left, -1 for none. A
// deadline passed (the item's last moment, after flag T made it so) wraps
// around as memcached's unsigned arithmetic does.
func appendTTL(dst []byte, exp, now int64) []byte {
	dst = append(dst, " t"...)
	if exp == 0 {
		return append(dst, "-1"...)
	}
	left := exp + 1 - now
	if left > 0 {
		left = (left + 999) / 1000
	} else {
		left /= 1000
	}
	return strconv.AppendUint(dst, uint64(uint32(left)), 10)
}

// metaGet is mg key flags*. A hit answers VA (with v) or HD and the asked
// flags in order, a miss EN (nothing under q).
func (eng *Engine) metaGet(dst []byte, r *MC, mf *metaFlags) ([]byte, error) {
	key, start, now := mf.key, len(dst), eng.now()
	if mf.newTTL {
		s := eng.lockKey(key)
		defer s.Unlock()
	}
	e, ok, err := eng.st.Load(key, mf.newTTL)
	if err != nil {
		return dst, err
	}
	if !ok {
		if _, ok := appendEcho(nil, r.Meta, mf); ok && mf.quiet {
			return dst, nil
		}
		return metaStatus(dst, "EN", r.Meta, mf), nil
	}
	if mf.value {
		dst = strconv.AppendInt(append(dst, "VA "...), int64(len(e.Val)), 10)
	} else {
		dst = append(dst, "HD"...)
	}
	for _, tok := range r.Meta {
		switch tok[0] {
		case 'T':
			e.Exp = Deadline(mf.exptime, now)
			if err := eng.retime(key, e, e.Exp, now); err != nil {
				return dst, err
			}
		case 's':
			dst = strconv.AppendInt(append(dst, " s"...), int64(len(e.Val)), 10)
		case 't':
			dst = appendTTL(dst, e.Exp, now)
		case 'c':
			dst = strconv.AppendUint(append(dst, " c"...), e.Cas, 10)
		case 'f':
			dst = strconv.AppendUint(append(dst, " f"...), uint64(e.Flags), 10)
		case 'O':
			if len(tok) > metaMaxOpaque {
				return append(dst[:start], mcOpaqueLong...), nil
			}
			dst = append(append(dst, ' '), tok...)
		case 'k':
			dst = appendKeyFlag(dst, mf)
		}
	}
	dst = append(dst, "\r\n"...)
	if mf.value {
		dst = append(append(dst, e.Val...), "\r\n"...)
	}
	return dst, nil
}

// metaSetOp returns the storage command of an ms mode M, or false.
func metaSetOp(mode byte) (mcOp, bool) {
	switch mode {
	case 0, 'S':
		return mcSet, true
	case 'E':
		return mcAdd, true
	case 'A':
		return mcAppend, true
	case 'P':
		return mcPrepend, true
	case 'R':
		return mcReplace, true
	}
	return mcUnknown, false
}

// metaSet is ms key datalen flags*: mode M picks set (S, the default), add
// (E), append (A), prepend (P) or replace (R), and C turns set and replace
// into cas. It answers HD (nothing under q), NS, EX or NF with the O, k and
// c flags in order.
func (eng *Engine) metaSet(dst []byte, r *MC, mf *metaFlags) ([]byte, error) {
	op, ok := metaSetOp(mf.mode)
	if !ok {
		return append(dst, mcBadSetMode...), nil
	}
	if _, ok := appendEcho(nil, r.Meta, mf); !ok {
		return append(dst, mcOpaqueLong...), nil
	}
	if mf.hasCas && (op == mcSet || op == mcReplace) {
		op = mcCas
	}
	key := mf.key
	s := eng.lockKey(key)
	defer s.Unlock()
	if reply := eng.mcRefuse(key, mf.clientFlags, len(r.Value)); reply != "" {
		// whatever the mode, in ms
		return append(dst, reply...), eng.st.Delete(key)
	}
	now := eng.now()
	res, cas, err := eng.storeItem(key, op, mf.clientFlags, Deadline(mf.exptime, now), now, r.Value, mf.cas)
	if err != nil {
		return dst, err
	}
	if res == mcStored && mf.quiet {
		return dst, nil
	}
	dst = append(dst, metaCode(res)...)
	for _, tok := range r.Meta {
		switch tok[0] {
		case 'O':
			dst = append(append(dst, ' '), tok...)
		case 'k':
			dst = appendKeyFlag(dst, mf)
		case 'c':
			dst = strconv.AppendUint(append(dst, " c"...), cas, 10)
		}
	}
	return append(dst, "\r\n"...), nil
}

// metaCode turns a classic storage reply into the meta status code.
func metaCode(reply string) string {
	switch reply {
	case mcStored:
		return "HD"
	case mcExists:
		return "EX"
	case mcNotFound:
		return "NF"
	}
	return "NS"
}

// metaDelete is md key flags*: HD (nothing under q) once deleted, NF if
// missing, EX if C does not match.
func (eng *Engine) metaDelete(dst []byte, r *MC, mf *metaFlags) ([]byte, error) {
	if _, ok := appendEcho(nil, r.Meta, mf); !ok {
		return append(dst, mcOpaqueLong...), nil
	}
	key := mf.key
	s := eng.lockKey(key)
	defer s.Unlock()
	e, ok, err := eng.st.Load(key, true)
	switch {
	case err != nil:
		return dst, err
	case !ok:
		return metaStatus(dst, "NF", r.Meta, mf), nil
	case mf.hasCas && mf.cas != e.Cas:
		return metaStatus(dst, "EX", r.Meta, mf), nil
	}
	if err := eng.st.Delete(key); err != nil {
		return dst, err
	}
	if mf.quiet {
		return dst, nil
	}
	return metaStatus(dst, "HD", r.Meta, mf), nil
}

// metaArith is ma key flags*: incr (mode I or +, the default) or decr (D or
// -) by D (1 if absent), as incr and decr; with N a missing key is created
// with the value J (0 if absent). A non-zero C must match. It answers HD or
// VA (nothing under q, unless created), NF or EX, with the c, t, O and k
// flags in order; T and N change the TTL where they stand.
func (eng *Engine) metaArith(dst []byte, r *MC, mf *metaFlags) ([]byte, error) {
	incr := true
	switch mf.mode {
	case 0, 'I', '+':
	case 'D', '-':
		incr = false
	default:
		return append(dst, mcBadArithMode...), nil
	}
	key := mf.key
	s := eng.lockKey(key)
	defer s.Unlock()
	now := eng.now()
	e, found, err := eng.st.Load(key, true)
	if err != nil {
		return dst, err
	}
	var digits []byte
	switch {
	case !found && !mf.viv:
		return metaStatus(dst, "NF", r.Meta, mf), nil
	case !found:
		digits = strconv.AppendUint(nil, mf.initial, 10)
		e = Entry{Val: digits}
		e.Cas, err = eng.put(eng.st, key, e, 0)
	case !counterSized(key, e):
		return append(dst, mcNonNumeric...), nil
	case mf.hasCas && mf.cas != 0 && mf.cas != e.Cas:
		return metaStatus(dst, "EX", r.Meta, mf), nil
	default:
		var ok bool
		if digits, e, ok, err = eng.addToItem(key, e, mf.delta, incr); !ok {
			return append(dst, mcNonNumeric...), nil
		}
	}
	if err != nil {
		return dst, err
	}
	return eng.metaArithReply(dst, r, mf, e, digits, found, now)
}

// metaArithReply appends ma's reply for key, whose Entry is now e holding
// digits, and applies the T and N flags where they stand.
func (eng *Engine) metaArithReply(dst []byte, r *MC, mf *metaFlags, e Entry, digits []byte, found bool, now int64) ([]byte, error) {
	key, start := mf.key, len(dst)
	if mf.value {
		dst = strconv.AppendInt(append(dst, "VA "...), int64(len(digits)), 10)
	} else {
		dst = append(dst, "HD"...)
	}
	for _, tok := range r.Meta {
		var err error
		switch tok[0] {
		case 'c':
			dst = strconv.AppendUint(append(dst, " c"...), e.Cas, 10)
		case 't':
			dst = appendTTL(dst, e.Exp, now)
		case 'T':
			e.Exp = Deadline(mf.exptime, now)
			err = eng.retime(key, e, e.Exp, now)
		case 'N':
			if !found {
				e.Exp = Deadline(mf.vivExptime, now)
				err = eng.retime(key, e, e.Exp, now)
			}
		case 'O':
			if len(tok) > metaMaxOpaque {
				return append(dst[:start], mcOpaqueLong...), nil
			}
			dst = append(append(dst, ' '), tok...)
		case 'k':
			dst = appendKeyFlag(dst, mf)
		}
		if err != nil {
			return dst, err
		}
	}
	if found && mf.quiet {
		return dst[:start], nil
	}
	if mf.value {
		dst = append(append(dst, "\r\n"...), digits...)
	}
	return append(dst, "\r\n"...), nil
}
