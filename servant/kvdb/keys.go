package kvdb

import (
	"github.com/fae-dev/fae/resp"
)

// delCmd is DEL key [key ...]: the number of keys removed; a key named twice
// counts once. The deletions are one batch, atomic on disk too.
func (db *DB) delCmd(dst []byte, args [][]byte) ([]byte, error) {
	keys := args[1:]
	defer db.unlockSet(db.lockKeys(keys, 1))
	if len(keys) == 1 {
		ok, err := db.remove(keys[0])
		return appendBool(dst, ok), err
	}
	b := db.pdb.NewBatch()
	defer b.Close()
	seen := make(map[string]bool, len(keys))
	var n int64
	for _, key := range keys {
		if seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		_, ok, err := db.lookup(key)
		if err != nil {
			return dst, err
		}
		if ok {
			if err := db.delete(b, key); err != nil {
				return dst, err
			}
			n++
		}
	}
	if n > 0 {
		if err := db.commit(b); err != nil {
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
func (db *DB) existsCmd(dst []byte, args [][]byte) ([]byte, error) {
	keys := args[1:]
	locked := len(keys) > 1
	if locked {
		defer db.unlockSet(db.lockKeys(keys, 1))
	}
	var n int64
	for _, key := range keys {
		_, ok, err := db.find(key, locked)
		if err != nil {
			return dst, err
		}
		if ok {
			n++
		}
	}
	return resp.AppendInt(dst, n), nil
}

// typeCmd is TYPE key: kvdb holds only strings.
func (db *DB) typeCmd(dst []byte, args [][]byte) ([]byte, error) {
	_, ok, err := db.peek(args[1])
	if ok {
		return resp.AppendSimple(dst, "string"), err
	}
	return resp.AppendSimple(dst, "none"), err
}

// dbsizeCmd is DBSIZE: the number of keys that have not expired, counted
// by a scan of the whole store (see count).
func (db *DB) dbsizeCmd(dst []byte, _ [][]byte) ([]byte, error) {
	n, err := db.count()
	return resp.AppendInt(dst, n), err
}

// flushdbCmd is FLUSHDB [ASYNC|SYNC]; both modes remove everything before
// replying. It holds every stripe, so no write interleaves.
func (db *DB) flushdbCmd(dst []byte, args [][]byte) ([]byte, error) {
	if len(args) > 2 || (len(args) == 2 && !is(args[1], "sync") && !is(args[1], "async")) {
		return append(dst, errSyntax...), nil
	}
	defer db.unlockSet(db.lockAll())
	return append(dst, replyOK...), db.clear()
}

// pingCmd is PING [message].
func (db *DB) pingCmd(dst []byte, args [][]byte) ([]byte, error) {
	switch len(args) {
	case 1:
		return resp.AppendSimple(dst, "PONG"), nil
	case 2:
		return resp.AppendBulk(dst, args[1]), nil
	}
	return resp.AppendError(dst, "ERR wrong number of arguments for 'ping' command"), nil
}

// echoCmd is ECHO message.
func (db *DB) echoCmd(dst []byte, args [][]byte) ([]byte, error) {
	return resp.AppendBulk(dst, args[1]), nil
}
