package lcache

// doMeta executes a meta command.
func (c *Cache) doMeta(dst []byte, r *MC, op mcOp) []byte {
	if op == mcMetaNoop {
		return append(dst, "MN\r\n"...)
	}
	return append(dst, mcError...)
}
