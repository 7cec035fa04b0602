package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fae-dev/fae/admin"
	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/mysqlstore"
)

// ops is the operational state of a Server: load shedding, draining,
// reloads and the pool versions retired by them.
type ops struct {
	inflight     atomic.Int64 // client requests read and not yet answered
	maxInFlight  atomic.Int64 // 0: no limit
	shed         atomic.Int64
	draining     atomic.Bool
	drained      chan struct{} // closed when inflight reaches 0 while draining
	drainOnce    sync.Once
	sessionsGone chan struct{} // closed when no session runs while draining
	sessionsOnce sync.Once
	reloads      atomic.Int64
	reloadErrs   atomic.Int64

	reloadMu sync.Mutex // one reload at a time
	mu       sync.Mutex
	retired  []*Pool
}

func (o *ops) init(cfg *config.Config) {
	o.maxInFlight.Store(int64(cfg.Server.MaxInFlight))
	o.drained = make(chan struct{})
	o.sessionsGone = make(chan struct{})
}

// busyReply is the error of a request refused by load shedding.
const busyReply = "BUSY fae: too many requests in flight; try again"

// full reports whether the in-flight limit is reached; it counts the request
// it refuses. Requests in flight are counted by push (session.go).
func (o *ops) full() bool {
	if max := o.maxInFlight.Load(); max > 0 && o.inflight.Load() >= max {
		o.shed.Add(1)
		return true
	}
	return false
}

// done counts a client request answered (admitted or not).
func (o *ops) done() {
	if o.inflight.Add(-1) == 0 && o.draining.Load() {
		o.drainOnce.Do(func() { close(o.drained) })
	}
}

func (o *ops) closeRetired() {
	o.mu.Lock()
	r := o.retired
	o.retired = nil
	o.mu.Unlock()
	for _, p := range r {
		p.Close()
	}
}

func (o *ops) addRetired(ps ...*Pool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.retired = append(o.retired, ps...)
	// forget the ones that closed by themselves
	kept := o.retired[:0]
	for _, p := range o.retired {
		p.mu.Lock()
		closed := p.closed
		p.mu.Unlock()
		if !closed {
			kept = append(kept, p)
		}
	}
	o.retired = kept
}

// Ready reports whether the server accepts traffic: listening and not
// draining.
func (s *Server) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listening && !s.closed && !s.ops.draining.Load()
}

// Shutdown stops accepting clients, lets the requests already read finish
// (each session stops reading and closes its connection once its replies
// are written), then closes everything. When ctx ends first the rest is
// cut off as by Close; Shutdown then returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.ops.draining.Store(true)
	s.mu.Lock()
	for _, sl := range s.slots {
		if sl.ln != nil {
			sl.ln.Close()
		}
	}
	s.mu.Unlock()
	if s.parker != nil {
		s.parker.resumeAll() // parked clients close like active ones
	}
	s.mu.Lock()
	for nc := range s.sessions {
		_ = nc.SetReadDeadline(time.Now()) // wake idle readers: they stop
	}
	if len(s.sessions) == 0 {
		s.ops.sessionsOnce.Do(func() { close(s.ops.sessionsGone) })
	}
	s.mu.Unlock()
	if s.ops.inflight.Load() == 0 {
		s.ops.drainOnce.Do(func() { close(s.ops.drained) })
	}
	var err error
	for _, done := range []chan struct{}{s.ops.drained, s.ops.sessionsGone} {
		select {
		case <-done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			break
		}
	}
	s.Close()
	return err
}

// Apply applies cfg: pools are added, removed or rebuilt with their new
// settings; a server kept by a pool keeps its connections and failure state.
// Client connections stay open and requests in flight finish on the version
// they started on. On error nothing changes.
func (s *Server) Apply(cfg *config.Config) (err error) {
	s.ops.reloadMu.Lock()
	defer s.ops.reloadMu.Unlock()
	defer func() {
		if err != nil {
			s.ops.reloadErrs.Add(1)
			s.log.Error("reload refused; the running config stays", "err", err)
		}
	}()
	s.mu.Lock()
	old, closed := s.cfg, s.closed
	s.mu.Unlock()
	if closed {
		return errors.New("server closed")
	}
	if err := checkReload(old, cfg); err != nil {
		return err
	}
	plan, err := s.planReload(cfg)
	if err != nil {
		return err
	}
	s.commitReload(cfg, plan)
	s.ops.reloads.Add(1)
	s.log.Info("config reloaded", "pools", len(plan.pools), "added", len(plan.added), "removed", len(plan.removed))
	return nil
}

// checkReload refuses what a reload cannot change.
func checkReload(old, cfg *config.Config) error {
	var errs []error
	oldBy := map[string]config.Pool{}
	for _, p := range old.Pools {
		oldBy[p.Name] = p
	}
	for _, p := range cfg.Pools {
		o, ok := oldBy[p.Name]
		switch {
		case p.Protocol == config.ProtocolHTTP && !reflect.DeepEqual(o, p):
			errs = append(errs, fmt.Errorf("pool %s: http pools cannot change in a reload (restart faed)", p.Name))
		case ok && o.Protocol != p.Protocol:
			errs = append(errs, fmt.Errorf("pool %s: protocol changes from %s to %s; a reload cannot change a pool's protocol", p.Name, o.Protocol, p.Protocol))
		}
	}
	for _, o := range old.Pools {
		if o.Protocol == config.ProtocolHTTP && !hasPool(cfg, o.Name) {
			errs = append(errs, fmt.Errorf("pool %s: http pools cannot be removed in a reload (restart faed)", o.Name))
		}
	}
	return errors.Join(errs...)
}

func hasPool(cfg *config.Config, name string) bool {
	for _, p := range cfg.Pools {
		if p.Name == name {
			return true
		}
	}
	return false
}

// reloadPlan is a reload's new pool versions and listeners, built before
// anything changes.
type reloadPlan struct {
	pools    []*Pool                 // new versions, config order (no http or mysql pools)
	lns      map[string]net.Listener // new listeners by pool name
	unlisten map[string]bool         // pools that no longer listen
	mysql    map[string]*mysqlstore.Store
	added    []string
	removed  []*poolSlot
}

// planReload builds the new pool versions and opens the listeners that
// change. On error it undoes what it built.
func (s *Server) planReload(cfg *config.Config) (plan *reloadPlan, err error) {
	plan = &reloadPlan{lns: map[string]net.Listener{}, unlisten: map[string]bool{}}
	defer func() {
		if err != nil {
			for _, p := range plan.pools {
				p.Close()
			}
			for _, ln := range plan.lns {
				ln.Close()
			}
			closeMySQL(plan.mysql)
		}
	}()
	if plan.mysql, err = openMySQLPools(cfg); err != nil {
		return plan, err
	}
	slots := map[string]*poolSlot{}
	for _, sl := range s.slotList() {
		slots[sl.name] = sl
	}
	keep := map[string]bool{}
	for _, pc := range cfg.Pools {
		if pc.Protocol == config.ProtocolHTTP || pc.Protocol == config.ProtocolMySQL {
			continue
		}
		keep[pc.Name] = true
		p, err := newPool(pc, s.log, s.env)
		if err != nil {
			return plan, fmt.Errorf("pool %s: %w", pc.Name, err)
		}
		plan.pools = append(plan.pools, p)
		sl := slots[pc.Name]
		if sl != nil && sl.pool().cfg.Listen == pc.Listen && sl.pool().cfg.ListenMode == pc.ListenMode {
			continue
		}
		if sl == nil {
			plan.added = append(plan.added, pc.Name)
		}
		if sl != nil && sameListener(sl, pc) {
			continue
		}
		if pc.Listen == "" {
			plan.unlisten[pc.Name] = true
			continue
		}
		ln, err := listen(pc)
		if err != nil {
			return plan, fmt.Errorf("pool %s: listen %s: %w", pc.Name, pc.Listen, err)
		}
		plan.lns[pc.Name] = ln
	}
	for name, sl := range slots {
		if !keep[name] {
			plan.removed = append(plan.removed, sl)
		}
	}
	if err := s.buildChains(plan.pools, cfg); err != nil {
		return plan, err
	}
	return plan, nil
}

// sameListener reports whether sl's listener already serves pc.Listen (a
// port 0 in the old config keeps the port it got).
func sameListener(sl *poolSlot, pc config.Pool) bool {
	return sl.pool().cfg.Listen == pc.Listen
}

// commitReload swaps the new versions in. It cannot fail.
func (s *Server) commitReload(cfg *config.Config, plan *reloadPlan) {
	linkFailovers(plan.pools)
	var retired []*Pool
	s.mu.Lock()
	bySlot := map[string]*poolSlot{}
	for _, sl := range s.slots {
		bySlot[sl.name] = sl
	}
	var slots []*poolSlot
	for _, p := range plan.pools {
		name := p.cfg.Name
		sl := bySlot[name]
		if sl == nil {
			sl = &poolSlot{name: name, counters: newCounters(name, p.cfg.Protocol)}
		} else {
			retired = append(retired, sl.pool())
		}
		sl.cur.Store(p)
		if plan.unlisten[name] && sl.ln != nil {
			sl.ln.Close()
			sl.ln = nil
		}
		if ln := plan.lns[name]; ln != nil {
			if sl.ln != nil {
				sl.ln.Close()
			}
			sl.ln = ln
			if s.listening {
				s.startAccept(sl, ln)
			}
		}
		slots = append(slots, sl)
	}
	for _, sl := range plan.removed {
		sl.removed = true
		if sl.ln != nil {
			sl.ln.Close()
		}
		retired = append(retired, sl.pool())
		for nc, sess := range s.sessions {
			if sess.slot == sl {
				nc.Close()
			}
		}
	}
	s.slots, s.cfg = slots, cfg
	oldMySQL := s.mysql
	s.mysql = plan.mysql
	s.mu.Unlock()
	s.publishStores(mysqlStores(plan.mysql))
	time.AfterFunc(retireGrace+chainTimeout, func() { closeMySQL(oldMySQL) })
	s.ops.maxInFlight.Store(int64(cfg.Server.MaxInFlight))
	for _, p := range plan.pools {
		p.start()
	}
	s.ops.addRetired(retired...)
	for _, p := range retired {
		p.retire()
	}
}

// ReloadFile loads the config at path and applies it (Apply).
func (s *Server) ReloadFile(path string) error {
	cfg, err := config.Load(path)
	if err != nil {
		s.ops.reloadErrs.Add(1)
		s.log.Error("reload refused; the running config stays", "err", err)
		return err
	}
	return s.Apply(cfg)
}

// Degrade sets or clears an operator's switch. Switches survive reloads.
func (s *Server) Degrade(sw admin.Switch) error {
	var sl *poolSlot
	for _, x := range s.slotList() {
		if x.name == sw.Pool {
			sl = x
		}
	}
	if sl == nil {
		return fmt.Errorf("%w: no pool %q", errNotFound, sw.Pool)
	}
	p := sl.pool()
	if err := checkSwitch(sw, p); err != nil {
		return err
	}
	for {
		old := sl.switches.Load()
		if sl.switches.CompareAndSwap(old, old.with(sw)) {
			break
		}
	}
	if sw.Kind == admin.SwitchServerDown {
		for _, t := range p.targets[:len(p.targets)-p.foLen()] {
			if t.name == sw.Server || t.node.Name == sw.Server {
				t.forced.Store(sw.On)
			}
		}
		if p.cfg.AutoEjectHosts {
			_ = p.rebuild()
		}
	}
	s.log.Warn("degrade switch", "pool", sw.Pool, "kind", sw.Kind, "server", sw.Server, "class", sw.Class, "on", sw.On)
	return nil
}

// forcedDown reports whether a switch holds server (address or name) of
// pool down; pools built by a reload start with it.
func (s *Server) forcedDown(pool, server string) bool {
	for _, sl := range s.slotList() {
		if sl.name != pool {
			continue
		}
		if w := sl.switches.Load(); w != nil {
			for _, d := range w.down {
				if d == server {
					return true
				}
			}
		}
	}
	return false
}
