package kvcmd

import (
	"bytes"
	"math"
	"strings"

	"github.com/fae-dev/fae/resp"
)

// parseInt parses b as redis's string2ll does: an optional '-', then decimal
// digits without a leading zero (except "0" itself), no sign '+', no spaces,
// within int64.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' || v > math.MaxUint64/10 {
			return 0, false
		}
		d := uint64(ch - '0')
		if v*10 > math.MaxUint64-d {
			return 0, false
		}
		v = v*10 + d
	}
	switch {
	case neg && v <= 1<<63:
		return int64(-v), true // -(1<<63) wraps to math.MinInt64 as wanted
	case !neg && v <= math.MaxInt64:
		return int64(v), true
	}
	return 0, false
}

// cstr returns b up to its first NUL byte: redis compares option names with
// C string functions, which stop there.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// is reports whether option b, compared as a C string, is name in any case.
// name holds lower-case letters only.
func is(b []byte, name string) bool {
	b = cstr(b)
	if len(b) != len(name) {
		return false
	}
	for i, ch := range b {
		if ch|0x20 != name[i] {
			return false
		}
	}
	return true
}

// Flags of the SET and GETEX options, as redis's OBJ_SET_* and OBJ_* flags.
const (
	optNX = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT

	optExpire = optEX | optPX | optEXAT | optPXAT
)

// strOpts are the parsed options of SET or GETEX.
type strOpts struct {
	flags int
	// expire is the argument of the EX, PX, EXAT or PXAT option, if any.
	expire []byte
}

// parseStrOpts parses the options of SET (forSet) or GETEX and accepts exactly
// the combinations that redis 7.0's parseExtendedStringArgumentsOrReply
// accepts: a repeated option is allowed, conflicting ones are not. ok is false
// on a syntax error.
func parseStrOpts(args [][]byte, forSet bool) (o strOpts, ok bool) {
	for j := 0; j < len(args); j++ {
		opt, f := args[j], o.flags
		unit := expireUnit(opt)
		switch {
		case forSet && is(opt, "nx") && f&optXX == 0:
			o.flags |= optNX
		case forSet && is(opt, "xx") && f&optNX == 0:
			o.flags |= optXX
		case forSet && is(opt, "get"):
			o.flags |= optGet
		case forSet && is(opt, "keepttl") && f&(optPersist|optExpire) == 0:
			o.flags |= optKeepTTL
		case !forSet && is(opt, "persist") && f&(optExpire|optKeepTTL) == 0:
			o.flags |= optPersist
		case unit != 0 && j+1 < len(args) && f&(optKeepTTL|optPersist|optExpire&^unit) == 0:
			o.flags |= unit
			o.expire = args[j+1]
			j++
		default:
			return o, false
		}
	}
	return o, true
}

// expireUnit returns the flag of an EX, PX, EXAT or PXAT option, or 0.
func expireUnit(opt []byte) int {
	switch {
	case is(opt, "ex"):
		return optEX
	case is(opt, "px"):
		return optPX
	case is(opt, "exat"):
		return optEXAT
	case is(opt, "pxat"):
		return optPXAT
	}
	return 0
}

// deadline converts the expire option of o into an absolute unix-ms deadline
// as redis's getExpireMillisecondsOrReply does, given the time now. On failure
// it returns the error reply; cmd names the command in it.
func (o strOpts) deadline(now int64, cmd string) (int64, string) {
	ms, ok := parseInt(o.expire)
	if !ok {
		return 0, errNotInteger
	}
	seconds := o.flags&(optEX|optEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		return 0, errExpireTime(cmd)
	}
	if seconds {
		ms *= 1000
	}
	if o.flags&(optEX|optPX) != 0 {
		ms += now // may wrap, as in redis, and is caught below
	}
	if ms <= 0 {
		return 0, errExpireTime(cmd)
	}
	return ms, ""
}

// errExpireTime is redis's addReplyErrorExpireTime.
func errExpireTime(cmd string) string {
	return "-ERR invalid expire time in '" + cmd + "' command\r\n"
}

// Flags of the EXPIRE options.
const (
	expNX = 1 << iota
	expXX
	expGT
	expLT
)

// parseExpireOpts parses the NX/XX/GT/LT options of the EXPIRE family as redis
// 7.0's parseExtendedExpireArgumentsOrReply, returning the error reply on
// failure.
func parseExpireOpts(args [][]byte) (flags int, errReply string) {
	for _, opt := range args {
		switch {
		case is(opt, "nx"):
			flags |= expNX
		case is(opt, "xx"):
			flags |= expXX
		case is(opt, "gt"):
			flags |= expGT
		case is(opt, "lt"):
			flags |= expLT
		default:
			return 0, errUnsupportedOption(opt)
		}
	}
	if flags&expNX != 0 && flags&(expXX|expGT|expLT) != 0 {
		return 0, "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
	}
	if flags&expGT != 0 && flags&expLT != 0 {
		return 0, "-ERR GT and LT options at the same time are not compatible\r\n"
	}
	return flags, ""
}

// errUnsupportedOption formats the error as redis's addReplyErrorFormat: the
// option as a C string, CR and LF trimmed from the end of the message and
// turned into spaces inside it.
func errUnsupportedOption(opt []byte) string {
	msg := strings.TrimRight("ERR Unsupported option "+string(cstr(opt)), "\r\n")
	return string(resp.AppendError(nil, msg))
}
