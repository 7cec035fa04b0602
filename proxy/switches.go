package proxy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fae-dev/fae/admin"
	"github.com/fae-dev/fae/memcache"
	"github.com/fae-dev/fae/rediscmd"
)

// switchSet is the operator's switches of one pool, immutable once built:
// Degrade builds a new one and swaps it into the slot.
type switchSet struct {
	readOnly bool
	reject   []string // command classes or names
	down     []string // servers forced down (address or name)
}

// refuseRedis returns the error reply for a command a switch refuses, or "".
func (w *switchSet) refuseRedis(cmd *rediscmd.Command) string {
	if w == nil {
		return ""
	}
	if w.readOnly && cmd.Write {
		return "ERR fae: pool is read-only (degrade switch); '" + cmd.Name + "' refused"
	}
	for _, class := range w.reject {
		if class == cmd.Name || class == "write" && cmd.Write || class == "read" && cmd.ReadOnly ||
			class == "multi" && cmd.Kind == rediscmd.Multi || class == "admin" && cmd.Kind == rediscmd.Local && cmd.Name != "ping" && cmd.Name != "quit" {
			return "ERR fae: '" + cmd.Name + "' is refused by a degrade switch (" + class + ")"
		}
	}
	return ""
}

// refuseMemcache returns the reason a switch refuses req, or "".
func (w *switchSet) refuseMemcache(req *memcache.Request) string {
	if w == nil {
		return ""
	}
	write := isMemcacheWrite(req.Kind)
	if w.readOnly && write {
		return "fae: pool is read-only (degrade switch)"
	}
	for _, class := range w.reject {
		if class == req.Kind.String() || class == "write" && write || class == "read" && isRead(req.Kind) ||
			class == "multi" && len(req.Keys) > 1 {
			return "fae: '" + req.Kind.String() + "' is refused by a degrade switch (" + class + ")"
		}
	}
	return ""
}

func isMemcacheWrite(k memcache.Kind) bool {
	switch k {
	case memcache.KindSet, memcache.KindAdd, memcache.KindReplace, memcache.KindAppend, memcache.KindPrepend,
		memcache.KindCas, memcache.KindDelete, memcache.KindIncr, memcache.KindDecr, memcache.KindTouch,
		memcache.KindFlushAll, memcache.KindMetaSet, memcache.KindMetaDelete, memcache.KindMetaArith,
		memcache.KindGat, memcache.KindGats:
		return true
	}
	return false
}

// with returns a copy of w with sw applied.
func (w *switchSet) with(sw admin.Switch) *switchSet {
	n := &switchSet{}
	if w != nil {
		n.readOnly, n.reject, n.down = w.readOnly, slices.Clone(w.reject), slices.Clone(w.down)
	}
	set := func(list []string, v string) []string {
		list = slices.DeleteFunc(list, func(x string) bool { return x == v })
		if sw.On {
			list = append(list, v)
		}
		return list
	}
	switch sw.Kind {
	case admin.SwitchReadOnly:
		n.readOnly = sw.On
	case admin.SwitchReject:
		n.reject = set(n.reject, strings.ToLower(sw.Class))
	case admin.SwitchServerDown:
		n.down = set(n.down, sw.Server)
	}
	return n
}

// list renders w as admin switches of pool.
func (w *switchSet) list(pool string) []admin.Switch {
	if w == nil {
		return nil
	}
	var out []admin.Switch
	if w.readOnly {
		out = append(out, admin.Switch{Pool: pool, Kind: admin.SwitchReadOnly, On: true})
	}
	for _, c := range w.reject {
		out = append(out, admin.Switch{Pool: pool, Kind: admin.SwitchReject, Class: c, On: true})
	}
	for _, s := range w.down {
		out = append(out, admin.Switch{Pool: pool, Kind: admin.SwitchServerDown, Server: s, On: true})
	}
	return out
}

// checkSwitch validates sw against the pool it names.
func checkSwitch(sw admin.Switch, p *Pool) error {
	switch sw.Kind {
	case admin.SwitchReadOnly:
	case admin.SwitchReject:
		if sw.Class == "" {
			return fmt.Errorf("a reject switch needs a class: write, read, multi, admin or a command name")
		}
	case admin.SwitchServerDown:
		for _, t := range p.targets[:len(p.targets)-p.foLen()] {
			if t.name == sw.Server || t.node.Name == sw.Server {
				return nil
			}
		}
		return fmt.Errorf("%w: pool %q has no server %q", errNotFound, p.cfg.Name, sw.Server)
	default:
		return fmt.Errorf("unknown switch kind %q; want %s, %s or %s", sw.Kind, admin.SwitchServerDown, admin.SwitchReadOnly, admin.SwitchReject)
	}
	return nil
}

// refuseMemcache returns why the session refuses req: load shedding or a
// switch; "" when it goes on.
func (s *session) refuseMemcache(req *memcache.Request) string {
	if req.Kind == memcache.KindQuit || req.Kind == memcache.KindMetaNoop {
		return ""
	}
	if s.srv.ops.full() {
		return "busy: fae has too many requests in flight; try again"
	}
	return s.sw.refuseMemcache(req)
}
