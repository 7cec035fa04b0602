package kvdb

// Do executes one command and appends its RESP2 reply to dst. args[0] is the
// command name in any case. The commands and their replies are lcache's,
// byte for byte; a failure of the store is answered "-ERR kvdb: ..." and
// leaves any change the command made before it. Do keeps no reference to
// args or their bytes after it returns. An unsupported command gets the
// error "-ERR kvdb does not support 'name'". Do is safe for concurrent use.
func (db *DB) Do(dst []byte, args [][]byte) []byte {
	return db.eng.Do(dst, args)
}
