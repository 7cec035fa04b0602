package proxy

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/fae-dev/fae/backend"
)

// mergeKind says how the replies of a split request are put back together.
type mergeKind uint8

const (
	mergeNone   mergeKind = iota
	mergeArray            // MGET: one array, elements in key order
	mergeOK               // MSET: +OK when every part said +OK
	mergeSum              // DEL, UNLINK, EXISTS, TOUCH: integers added up
	mergeValues           // memcache get: VALUE blocks in key order, then END
	mergeAllOK            // memcache flush_all: OK when every server said OK
)

// slot locates one key's answer in a split request: part and element index.
type slot struct{ part, elem int32 }

// call is one client request from parse to reply. A forwarded request is a
// backend.Call itself; a split request owns parts, one per server, and is
// ready when the last part completes. Calls are pooled; the session's writer
// puts a call back only after it is ready, so the backend never holds a
// recycled call.
type call struct {
	backend.Call
	ready      chan struct{} // receives once when the reply is complete
	parent     *call         // set on parts of a split request
	parts      []*call
	slots      []slot
	counts     []int32      // scratch for split and merge
	pending    atomic.Int32 // parts not yet complete
	merge      mergeKind
	name       string   // command name for messages ("mget")
	closeAfter bool     // close the client connection once this reply is written
	keys       [][]byte // memcache split fetch: the requested keys (in keyBuf)
	keyBuf     []byte
	drop       uint8 // memcache: which replies the client does not get

	t0     time.Time // when the request was read (metrics on)
	cmdIdx int32     // the command's counter index

	// client stack (stack.go); srv is nil when the stack is off
	pool     *Pool       // the pool that routed the call
	srv      *server     // the server the call was sent to
	start    time.Time   // when it was sent
	tries    uint8       // retries so far
	read     bool        // an idempotent read
	connIdx  uint32      // the connection index of the session
	routeKey []byte      // the key, for a retry to route afresh; empty for parts
	cbDone   func(error) // the circuit breaker's outcome hook
}

var callPool = sync.Pool{New: func() any {
	c := &call{ready: make(chan struct{}, 1)}
	c.Done = c.complete
	return c
}}

func newCall() *call { return callPool.Get().(*call) }

// complete is the backend.Call Done hook.
func (c *call) complete() {
	if c.srv != nil && c.pool.end(c) {
		return // sent again
	}
	if p := c.parent; p != nil {
		if p.pending.Add(-1) == 0 {
			p.ready <- struct{}{}
		}
		return
	}
	c.ready <- struct{}{}
}

// markReady completes a call whose reply the proxy wrote itself.
func (c *call) markReady() {
	c.ready <- struct{}{}
}

// release returns c and its parts to the pool. c must be ready.
func (c *call) release() {
	for _, p := range c.parts {
		p.release()
	}
	c.Req, c.Reply = c.Req[:0], c.Reply[:0]
	c.Err, c.Hint, c.Deadline = nil, 0, time.Time{}
	c.parts, c.slots = c.parts[:0], c.slots[:0]
	c.parent, c.merge, c.name, c.closeAfter = nil, mergeNone, "", false
	c.drop, c.keys, c.keyBuf = dropNone, c.keys[:0], c.keyBuf[:0]
	c.pool, c.srv, c.tries, c.read, c.routeKey, c.cbDone = nil, nil, 0, false, c.routeKey[:0], nil
	c.t0, c.cmdIdx = time.Time{}, 0
	if cap(c.Req) > 64<<10 {
		c.Req = nil
	}
	if cap(c.Reply) > 64<<10 {
		c.Reply = nil
	}
	callPool.Put(c)
}
