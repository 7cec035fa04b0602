package memcache

import "math"

// parseCommand checks the tokenized line of the request at the start of buf
// (the line takes n bytes) as memcached's process_command_ascii does, and
// reads the data block of storage commands.
func parseCommand(buf []byte, n int, req *Request, lim Limits) (int, error) {
	args := req.Args
	if len(args) == 0 || len(args[0]) < 2 {
		return n, ErrUnknownCommand
	}
	req.Name = args[0]
	req.Kind = lookupKind(args[0])
	switch k := req.Kind; {
	case k == KindUnknown:
		return n, ErrUnknownCommand
	case k.IsFetch():
		return n, parseFetch(req, lim)
	case k.IsStorage():
		return parseStorage(buf, n, req, lim)
	case k == KindMetaSet:
		return parseMetaSet(buf, n, req, lim)
	case k.IsMeta():
		return n, parseMeta(req)
	}
	return n, parseSimple(req)
}

// parseFetch checks get, gets, gat and gats (process_get_command).
func parseFetch(req *Request, lim Limits) error {
	keys := req.Args[1:]
	if len(keys) == 0 {
		return ErrUnknownCommand
	}
	if req.Kind == KindGat || req.Kind == KindGats {
		exptime, ok := parseInt32(keys[0])
		if !ok {
			return ErrBadExptime
		}
		req.Exptime = int64(exptime)
		keys = keys[1:]
	}
	for _, k := range keys {
		if len(k) > MaxKey {
			return ErrBadFormat
		}
	}
	if len(keys) > lim.MaxKeys {
		return ErrTooManyKeys
	}
	req.Keys = keys
	return nil
}

// noreplyToken reports whether the last token is "noreply": memcached's
// set_noreply_maybe looks only there, whatever the command's form.
func noreplyToken(args [][]byte) bool {
	return string(args[len(args)-1]) == "noreply"
}

// parseStorage checks set, add, replace, append, prepend and cas
// (process_update_command) and reads the data block.
func parseStorage(buf []byte, n int, req *Request, lim Limits) (int, error) {
	args := req.Args
	want := 5
	if req.Kind == KindCas {
		want = 6
	}
	if len(args) != want && len(args) != want+1 {
		return n, ErrUnknownCommand
	}
	noreply := noreplyToken(args)
	req.NoReply = noreply
	req.Keys = args[1:2]
	if len(args[1]) > MaxKey {
		return n, refuse(ErrBadFormat, noreply)
	}
	flags, okFlags := parseUint32(args[2])
	exptime, okExptime := parseInt32(args[3])
	size, okSize := parseInt32(args[4])
	if !okFlags || !okExptime || !okSize {
		return n, refuse(ErrBadFormat, noreply)
	}
	req.Flags, req.Exptime = flags, int64(exptime)
	if req.Kind == KindCas {
		cas, ok := parseUint64(args[5])
		if !ok {
			return n, refuse(ErrBadFormat, noreply)
		}
		req.Cas = cas
	}
	if size < 0 || size > math.MaxInt32-2 {
		return n, refuse(ErrBadFormat, noreply)
	}
	return dataBlock(buf, n, int(size), req, lim, noreply)
}

// dataBlock reads the size bytes and "\r\n" that follow a storage line of n
// bytes into req.Value.
func dataBlock(buf []byte, n, size int, req *Request, lim Limits, noreply bool) (int, error) {
	end := n + size + 2
	switch {
	case size > lim.MaxValue:
		return end, refuse(ErrTooLarge, noreply)
	case end > len(buf):
		return end, ErrIncomplete
	case buf[end-2] != '\r' || buf[end-1] != '\n':
		return end, refuse(ErrBadDataChunk, noreply)
	}
	req.Value = buf[n : n+size : n+size]
	return end, nil
}

// parseSimple checks the one-line classic commands.
func parseSimple(req *Request) error {
	switch req.Kind {
	case KindDelete:
		return parseDelete(req)
	case KindIncr, KindDecr:
		return parseArith(req)
	case KindTouch:
		return parseTouch(req)
	case KindFlushAll:
		return parseFlushAll(req)
	case KindVerbosity:
		return parseVerbosity(req)
	}
	return nil // version, quit, stats, admin: any tokens
}

// parseDelete follows process_delete_command, legacy "delete <key> 0"
// included.
func parseDelete(req *Request) error {
	args := req.Args
	if len(args) < 2 || len(args) > 4 {
		return ErrUnknownCommand
	}
	req.Keys = args[1:2]
	if len(args) > 2 {
		zero := string(args[2]) == "0"
		req.NoReply = noreplyToken(args)
		valid := (len(args) == 3 && (zero || req.NoReply)) || (len(args) == 4 && zero && req.NoReply)
		if !valid {
			return refuse(ErrDeleteUsage, req.NoReply)
		}
	}
	if len(args[1]) > MaxKey {
		return refuse(ErrBadFormat, req.NoReply)
	}
	return nil
}

// parseArith follows process_arithmetic_command (incr, decr).
func parseArith(req *Request) error {
	args := req.Args
	if len(args) != 3 && len(args) != 4 {
		return ErrUnknownCommand
	}
	req.NoReply = noreplyToken(args)
	req.Keys = args[1:2]
	if len(args[1]) > MaxKey {
		return refuse(ErrBadFormat, req.NoReply)
	}
	delta, ok := parseUint64(args[2])
	if !ok {
		return refuse(ErrBadDelta, req.NoReply)
	}
	req.Delta = delta
	return nil
}

// parseTouch follows process_touch_command.
func parseTouch(req *Request) error {
	args := req.Args
	if len(args) != 3 && len(args) != 4 {
		return ErrUnknownCommand
	}
	req.NoReply = noreplyToken(args)
	req.Keys = args[1:2]
	if len(args[1]) > MaxKey {
		return refuse(ErrBadFormat, req.NoReply)
	}
	exptime, ok := parseInt32(args[2])
	if !ok {
		return refuse(ErrBadExptime, req.NoReply)
	}
	req.Exptime = int64(exptime)
	return nil
}

// parseFlushAll follows process_flush_all_command: the delay is read unless
// the only argument is noreply; a third token is ignored.
func parseFlushAll(req *Request) error {
	args := req.Args
	if len(args) > 3 {
		return ErrUnknownCommand
	}
	req.NoReply = noreplyToken(args)
	plain := 1
	if req.NoReply {
		plain = 2
	}
	if len(args) != plain {
		delay, ok := parseInt32(args[1])
		if !ok {
			return refuse(ErrBadExptime, req.NoReply)
		}
		req.Exptime = int64(delay)
	}
	return nil
}

// parseVerbosity follows process_verbosity_command: the level must be a
// number; a third token is ignored.
func parseVerbosity(req *Request) error {
	args := req.Args
	if len(args) != 2 && len(args) != 3 {
		return ErrUnknownCommand
	}
	req.NoReply = noreplyToken(args)
	if _, ok := parseUint32(args[1]); !ok {
		return refuse(ErrBadFormat, req.NoReply)
	}
	return nil
}
