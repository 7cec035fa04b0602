package resp

// parseInline follows processInlineBuffer in redis' networking.c: the line
// ends at the first '\n' (a '\r' before it is dropped) and is split like
// sdssplitargs. Redis finds the '\n' with strchr, so a NUL byte hides the
// rest of the buffer and the request waits until it is too big.
//
// Redis reports "too big inline request" only while no '\n' has arrived;
// fae also rejects a line longer than MaxInline whose '\n' came in the same
// read, so the verdict does not depend on how the bytes were split.
func parseInline(buf []byte, args [][]byte, lim Limits) (int, [][]byte, error) {
	nl, hidden := indexByteNUL(buf[:min(len(buf), lim.MaxInline+1)], '\n', true)
	switch {
	case nl >= 0:
	case len(buf) > lim.MaxInline:
		return 0, args, protoErr("too big inline request")
	case hidden:
		return lim.MaxInline + 1, args, ErrIncomplete
	default:
		return len(buf) + 1, args, ErrIncomplete
	}
	line := buf[:nl]
	if nl > 0 && line[nl-1] == '\r' {
		line = line[:nl-1]
	}
	args, err := splitArgs(line, args)
	return nl + 1, args, err
}

// splitArgs appends the arguments of an inline request line to args, as
// redis' sdssplitargs does. line holds no NUL byte. Plain arguments are
// subslices of line; quoted ones are unescaped into one new buffer shared by
// the request (unescaping never lengthens, so it never reallocates).
func splitArgs(line []byte, args [][]byte) ([][]byte, error) {
	var scratch []byte
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p == len(line) {
			return args, nil
		}
		start := p
		for p < len(line) && !endsToken(line[p]) && line[p] != '"' && line[p] != '\'' {
			p++
		}
		if p == len(line) || endsToken(line[p]) {
			args = append(args, line[start:p:p])
			continue
		}
		if scratch == nil {
			scratch = make([]byte, 0, len(line))
		}
		from := len(scratch)
		scratch = append(scratch, line[start:p]...)
		var ok bool
		p, scratch, ok = quotedToken(line, p, scratch)
		if !ok {
			return args, protoErr("unbalanced quotes in request")
		}
		args = append(args, scratch[from:len(scratch):len(scratch)])
	}
}

// quotedToken continues sdssplitargs' token loop at p, where line[p] is a
// quote, appending the token's bytes to dst. It returns the index after the
// token, or ok=false for unbalanced quotes or a closing quote followed by
// something other than a space.
func quotedToken(line []byte, p int, dst []byte) (next int, out []byte, ok bool) {
	at := func(i int) byte { // line as a NUL-terminated C string
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	inq, insq := false, false
	for ; ; p++ {
		c := at(p)
		switch {
		case inq && c == '\\' && at(p+1) == 'x' && isHex(at(p+2)) && isHex(at(p+3)):
			dst = append(dst, unhex(at(p+2))<<4|unhex(at(p+3)))
			p += 3
		case inq && c == '\\' && at(p+1) != 0:
			p++
			dst = append(dst, unescape(line[p]))
		case inq && c == '"', insq && c == '\'':
			if n := at(p + 1); n != 0 && !isSpace(n) {
				return p, dst, false
			}
			return p + 1, dst, true
		case (inq || insq) && c == 0:
			return p, dst, false
		case insq && c == '\\' && at(p+1) == '\'':
			p++
			dst = append(dst, '\'')
		case inq || insq:
			dst = append(dst, c)
		case c == 0:
			return p, dst, true
		case endsToken(c):
			return p + 1, dst, true
		case c == '"':
			inq = true
		case c == '\'':
			insq = true
		default:
			dst = append(dst, c)
		}
	}
}

// isSpace is C isspace in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// endsToken reports whether c ends an unquoted token in sdssplitargs.
func endsToken(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// unescape maps the byte after a backslash inside "..." to what it stands for.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}
