package lcache

// Do executes one command and appends its RESP2 reply to dst. args[0] is the
// command name in any case. Do keeps no reference to args or their bytes after
// it returns: what it stores is copied. An unsupported command gets the error
// "-ERR lcache does not support 'name'". Do is safe for concurrent use.
func (c *Cache) Do(dst []byte, args [][]byte) []byte {
	return c.eng.Do(dst, args)
}
