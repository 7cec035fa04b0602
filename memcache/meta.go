package memcache

import "math"

// maxMetaTokens is one more than the tokens a meta command may have:
// memcached refuses 20 tokens or more (its ntokens, which counts a final
// empty token, above MFLAG_MAX_OPT_LENGTH).
const maxMetaTokens = 20

// parseMeta checks mg, md, ma, me and mn as far as memcached does before it
// looks at the flags. The flags themselves are left to the server.
func parseMeta(req *Request) error {
	args := req.Args
	if req.Kind == KindMetaNoop {
		req.MetaFlags = args[1:]
		return nil
	}
	if len(args) < 2 {
		if req.Kind == KindMetaDebug {
			return ErrBadFormat
		}
		return ErrUnknownCommand
	}
	req.Keys = args[1:2]
	if len(args[1]) > MaxKey {
		return ErrBadFormat
	}
	req.MetaFlags = args[2:]
	if req.Kind == KindMetaDebug {
		// me takes only "b", and only right after the key.
		req.Base64 = len(args) > 2 && string(args[2]) == "b"
		return nil
	}
	if len(args) >= maxMetaTokens {
		if req.Kind == KindMetaGet {
			return ErrGetFlagsTooLong
		}
		return ErrFlagsTooLong
	}
	scanMetaFlags(req)
	return nil
}

// parseMetaSet checks ms <key> <datalen> <flag>* and reads its data block.
// memcached does not read the block when the line fails before the data
// length is known; once it is, every refusal swallows the block. Flag
// errors are the server's to find, so here only a bad block or one over
// MaxValue refuse it after that point.
func parseMetaSet(buf []byte, n int, req *Request, lim Limits) (int, error) {
	args := req.Args
	if len(args) < 2 {
		return n, ErrUnknownCommand
	}
	req.Keys = args[1:2]
	switch {
	case len(args[1]) > MaxKey, len(args) == 2:
		return n, ErrBadFormat
	case len(args) >= maxMetaTokens:
		return n, ErrFlagsTooLong
	}
	size, ok := parseInt32(args[2])
	if !ok || size < 0 || size > math.MaxInt32-2 {
		return n, ErrBadFormat
	}
	req.MetaFlags = args[3:]
	scanMetaFlags(req)
	return dataBlock(buf, n, int(size), req, lim, false)
}

// scanMetaFlags sets Quiet, Opaque and Base64 from the flag tokens: like
// memcached, it looks at the first byte of each token.
func scanMetaFlags(req *Request) {
	for _, f := range req.MetaFlags {
		switch f[0] {
		case 'q':
			req.Quiet = true
		case 'b':
			req.Base64 = true
		case 'O':
			if req.Opaque == nil {
				req.Opaque = f[1:]
			}
		}
	}
}

// Omitted reports whether memcached leaves reply out because req carries
// the q flag: the miss of mg (EN) and the success of ms, md and ma (HD).
// A proxy can forward quiet requests without q (AppendRequestNoQuiet), so
// that every request has a reply to match, and drop the replies Omitted
// names. reply is one complete reply; its flags do not matter.
func Omitted(req *Request, reply []byte) bool {
	if !req.Quiet {
		return false
	}
	switch req.Kind {
	case KindMetaGet:
		return isCode(reply, "EN")
	case KindMetaSet, KindMetaDelete, KindMetaArith:
		return isCode(reply, "HD")
	}
	return false
}

// isCode reports whether the reply line starts with the two-letter code.
func isCode(reply []byte, code string) bool {
	return len(reply) >= 4 && string(reply[:2]) == code && (reply[2] == ' ' || reply[2] == '\r')
}
