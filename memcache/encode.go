package memcache

import "strconv"

// AppendRequest appends req as memcached reads it: its Args joined by single
// spaces and "\r\n", then, for a storage command or ms, Value and "\r\n".
// For a request ParseRequest accepted this is a canonical form of what the
// client sent, with the same meaning.
func AppendRequest(dst []byte, req *Request) []byte {
	dst = AppendCommand(dst, req.Args...)
	return appendBlock(dst, req)
}

// AppendRequestNoQuiet is AppendRequest without a meta command's q flags,
// so that the server answers every outcome (see Omitted).
func AppendRequestNoQuiet(dst []byte, req *Request) []byte {
	if !req.Quiet {
		return AppendRequest(dst, req)
	}
	first := len(req.Args) - len(req.MetaFlags)
	for i, a := range req.Args {
		if i >= first && a[0] == 'q' {
			continue
		}
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, a...)
	}
	dst = append(dst, '\r', '\n')
	return appendBlock(dst, req)
}

func appendBlock(dst []byte, req *Request) []byte {
	if req.Kind.IsStorage() || req.Kind == KindMetaSet {
		dst = append(dst, req.Value...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// AppendCommand appends a command line: args joined by single spaces, and
// "\r\n". The arguments must hold no space, CR, LF or NUL.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	for i, a := range args {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, a...)
	}
	return append(dst, '\r', '\n')
}

// AppendGet appends the get, gets, gat or gats req with other keys, such as
// the part of a multi-get that goes to one server: req's name, the exptime
// token of gat and gats, keys, and "\r\n".
func AppendGet(dst []byte, req *Request, keys [][]byte) []byte {
	dst = append(dst, req.Name...)
	if (req.Kind == KindGat || req.Kind == KindGats) && len(req.Args) > 1 {
		dst = append(dst, ' ')
		dst = append(dst, req.Args[1]...)
	}
	for _, k := range keys {
		dst = append(dst, ' ')
		dst = append(dst, k...)
	}
	return append(dst, '\r', '\n')
}

// AppendStorage appends the storage command described by req's fields:
// "<Kind> <Keys[0]> <Flags> <Exptime> <len(Value)>[ <Cas>][ noreply]\r\n",
// the Value and "\r\n". Cas is written for KindCas only. It builds a request
// from scratch, as when a proxy writes a value back to a cache tier; req.Kind
// must be a storage kind and req.Keys hold the key.
func AppendStorage(dst []byte, req *Request) []byte {
	dst = append(dst, req.Kind.String()...)
	dst = append(dst, ' ')
	dst = append(dst, req.Keys[0]...)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(req.Flags), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, req.Exptime, 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(len(req.Value)), 10)
	if req.Kind == KindCas {
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, req.Cas, 10)
	}
	if req.NoReply {
		dst = append(dst, " noreply"...)
	}
	dst = append(dst, '\r', '\n')
	dst = append(dst, req.Value...)
	return append(dst, '\r', '\n')
}

// AppendLine appends the reply line s ("STORED", "NOT_FOUND", "OK") and
// "\r\n". CR and LF in s become spaces, so the reply stays one line.
func AppendLine(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return append(dst, '\r', '\n')
}

// AppendError appends "ERROR\r\n", memcached's answer to an unknown command.
func AppendError(dst []byte) []byte { return append(dst, "ERROR\r\n"...) }

// AppendClientError appends "CLIENT_ERROR <msg>\r\n".
func AppendClientError(dst []byte, msg string) []byte {
	return AppendLine(append(dst, "CLIENT_ERROR "...), msg)
}

// AppendServerError appends "SERVER_ERROR <msg>\r\n".
func AppendServerError(dst []byte, msg string) []byte {
	return AppendLine(append(dst, "SERVER_ERROR "...), msg)
}

// AppendEnd appends "END\r\n", the end of a get or stats reply.
func AppendEnd(dst []byte) []byte { return append(dst, "END\r\n"...) }

// AppendValue appends a VALUE block of a get or gat reply: "VALUE <key>
// <flags> <bytes>\r\n", value and "\r\n".
func AppendValue(dst, key []byte, flags uint32, value []byte) []byte {
	dst = appendValueHeader(dst, key, flags, value)
	return appendValueData(dst, value)
}

// AppendValueCas appends a VALUE block of a gets or gats reply, with the cas
// unique: "VALUE <key> <flags> <bytes> <cas>\r\n", value and "\r\n".
func AppendValueCas(dst, key []byte, flags uint32, cas uint64, value []byte) []byte {
	dst = appendValueHeader(dst, key, flags, value)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, cas, 10)
	return appendValueData(dst, value)
}

func appendValueHeader(dst, key []byte, flags uint32, value []byte) []byte {
	dst = append(dst, "VALUE "...)
	dst = append(dst, key...)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(flags), 10)
	dst = append(dst, ' ')
	return strconv.AppendInt(dst, int64(len(value)), 10)
}

func appendValueData(dst, value []byte) []byte {
	dst = append(dst, '\r', '\n')
	dst = append(dst, value...)
	return append(dst, '\r', '\n')
}

// AppendUint appends the reply to incr and decr: the new value and "\r\n".
func AppendUint(dst []byte, v uint64) []byte {
	dst = strconv.AppendUint(dst, v, 10)
	return append(dst, '\r', '\n')
}
