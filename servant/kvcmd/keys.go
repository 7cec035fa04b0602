package kvcmd

import (
	"github.com/fae-dev/fae/resp"
)

// delCmd is DEL key [key ...]: the number of keys removed; a key named twice
// counts once. The deletions are one batch, atomic on disk too.
func (eng *Engine) delCmd(dst []byte, args [][]byte) ([]byte, error) {
	keys := args[1:]
	defer eng.unlockSet(eng.lockKeys(keys, 1))
	if len(keys) == 1 {
		ok, err := eng.remove(keys[0])
		return appendBool(dst, ok), err
	}
	b := eng.st.NewBatch()
	defer b.Close()
	seen := make(map[string]bool, len(keys))
	var n int64
	for _, key := range keys {
		if seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		_, ok, err := eng.st.Load(key, true)
		if err != nil {
			return dst, err
		}
		if ok {
			if err := b.Delete(key); err != nil {
				return dst, err
			}
			n++
		}
	}
	if n > 0 {
		if err := b.Commit(); err != nil {
			return dst, err
		}
	}
	return resp.AppendInt(dst, n), nil
}

// appendBool appends 1 or 0.
func appendBool(dst []byte, ok bool) []byte {
	if ok {
		return resp.AppendInt(dst, 1)
	}
	return resp.AppendInt(dst, 0)
}

// existsCmd is EXISTS key [key ...]: a key named twice counts twice. With
// several keys it holds their stripes, to count one consistent state.
func (eng *Engine) existsCmd(dst []byte, args [][]byte) ([]byte, error) {
	keys := args[1:]
	locked := len(keys) > 1
	if locked {
		defer eng.unlockSet(eng.lockKeys(keys, 1))
	}
	var n int64
	for _, key := range keys {
		_, ok, err := eng.st.Load(key, locked)
		if err != nil {
			return dst, err
		}
		if ok {
			n++
		}
	}
	return resp.AppendInt(dst, n), nil
}

// typeCmd is TYPE key: the engine holds only strings.
func (eng *Engine) typeCmd(dst []byte, args [][]byte) ([]byte, error) {
	_, ok, err := eng.st.Load(args[1], false)
	if ok {
		return resp.AppendSimple(dst, "string"), err
	}
	return resp.AppendSimple(dst, "none"), err
}

// dbsizeCmd is DBSIZE: the number of keys the store holds (Store.Len).
func (eng *Engine) dbsizeCmd(dst []byte, _ [][]byte) ([]byte, error) {
	n, err := eng.st.Len()
	return resp.AppendInt(dst, n), err
}

// flushdbCmd is FLUSHDB [ASYNC|SYNC]; both modes remove everything before
// replying. It holds every stripe, so no write interleaves.
func (eng *Engine) flushdbCmd(dst []byte, args [][]byte) ([]byte, error) {
	if len(args) > 2 || (len(args) == 2 && !is(args[1], "sync") && !is(args[1], "async")) {
		return append(dst, errSyntax...), nil
	}
	defer eng.unlockSet(eng.lockAll())
	return append(dst, replyOK...), eng.st.Clear()
}

// pingCmd is PING [message].
func (eng *Engine) pingCmd(dst []byte, args [][]byte) ([]byte, error) {
	switch len(args) {
	case 1:
		return resp.AppendSimple(dst, "PONG"), nil
	case 2:
		return resp.AppendBulk(dst, args[1]), nil
	}
	return resp.AppendError(dst, "ERR wrong number of arguments for 'ping' command"), nil
}

// echoCmd is ECHO message.
func (eng *Engine) echoCmd(dst []byte, args [][]byte) ([]byte, error) {
	return resp.AppendBulk(dst, args[1]), nil
}
