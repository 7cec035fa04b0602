package proxy

import (
	"bytes"
	"sync"
	"time"

	"github.com/fae-dev/fae/backend"
	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/memcache"
)

// healthLoop probes the pool's servers every health_check_interval until the
// pool closes. A dead server is probed once its accrual backoff is over (one
// probe decides its return); with replicas or a failover pool every server
// is probed on every tick: a failed probe takes a live one out at once, and
// failback_probes good probes in a row bring a dead one back.
func (p *Pool) healthLoop() {
	defer p.wg.Done()
	every := p.cfg.Stack.HealthCheckInterval
	if every <= 0 {
		every = config.DefaultHealthCheckInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
			p.checkHealth()
		}
	}
}

// active reports whether every server is probed on every tick.
func (p *Pool) active() bool {
	return p.failover != nil || len(p.targets)-p.foLen() > len(p.servers)
}

// checkHealth runs one round of probes, concurrently, and waits for them.
func (p *Pool) checkHealth() {
	active := p.active()
	now := time.Now()
	var wg sync.WaitGroup
	for _, sv := range p.targets[:len(p.targets)-p.foLen()] {
		if sv.be == nil || sv.acc == nil {
			continue
		}
		dead := !sv.alive()
		if !dead && !active || dead && !active && now.Before(sv.acc.ProbeAt()) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.probed(sv, dead, active, p.probe(sv))
		}()
	}
	wg.Wait()
}

// probed applies the outcome of one probe of sv.
func (p *Pool) probed(sv *server, dead, active, ok bool) {
	now := time.Now()
	if !ok {
		sv.m.HealthProbeFailures.Inc()
		sv.goodRun = 0
	}
	switch {
	case dead && !active:
		if sv.acc.Probed(now, ok) {
			p.revived(sv)
		}
	case dead:
		if ok {
			sv.goodRun++
			if sv.goodRun >= max(p.cfg.Stack.FailbackProbes, 1) && sv.acc.Revive() {
				sv.goodRun = 0
				p.revived(sv)
			}
		}
	case !ok:
		if sv.acc.MarkDead(now) {
			p.markedDead(sv, "health probe failed")
		}
	}
}

var (
	redisPing    = []byte("*1\r\n$4\r\nPING\r\n")
	memcacheVers = []byte("version\r\n")
)

// probe sends PING (redis) or version (memcache) to sv and reports whether
// the right answer came back within the pool's timeout (1s when it has none).
func (p *Pool) probe(sv *server) bool {
	if !sv.alive() {
		sv.be.Redial() // skip the rest of the reconnect backoff
	}
	timeout := p.cfg.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	done := make(chan struct{})
	c := &backend.Call{Deadline: time.Now().Add(timeout), Done: func() { close(done) }}
	c.Req, c.Hint = redisPing, 0
	if p.cfg.Protocol == config.ProtocolMemcache {
		c.Req, c.Hint = memcacheVers, uint8(memcache.KindVersion)
	}
	conn := sv.be.Conn(0)
	conn.Send(c)
	conn.Flush()
	<-done
	if c.Err != nil {
		return false
	}
	if p.cfg.Protocol == config.ProtocolMemcache {
		return bytes.HasPrefix(c.Reply, []byte("VERSION "))
	}
	return bytes.Equal(c.Reply, []byte("+PONG\r\n"))
}

// markedDead reacts to sv leaving service: with auto_eject_hosts its keys
// move to the other servers (twemproxy's ejection), with a failover pool they
// go there, with replicas reads go to those; otherwise its keys fail fast.
func (p *Pool) markedDead(sv *server, why string) {
	sv.deadAt.Store(time.Now().Unix())
	sv.m.Removals.Inc()
	p.stack.metrics.BalancerRemoves.Inc()
	p.stack.metrics.BalancerSize.Dec()
	p.log.Warn("server marked dead", "server", sv.name, "why", why, "probe_at", sv.acc.ProbeAt().Format(time.RFC3339Nano))
	if sv.primary != nil {
		return
	}
	if p.cfg.AutoEjectHosts {
		if err := p.rebuild(); err != nil {
			p.log.Error("rebuild after ejection", "err", err)
		}
	}
	if p.failover != nil && p.stack.failoverAuto {
		sv.m.Failovers.Inc()
		sv.m.FailoverActive.Set(1)
		p.log.Warn("keys failed over", "server", sv.name, "to", p.failover.cfg.Name)
	}
}

// revived reacts to sv coming back into service.
func (p *Pool) revived(sv *server) {
	sv.m.Revivals.Inc()
	p.stack.metrics.BalancerAdds.Inc()
	p.stack.metrics.BalancerSize.Inc()
	p.log.Info("server back in service", "server", sv.name)
	if sv.primary != nil {
		return
	}
	if p.cfg.AutoEjectHosts {
		if err := p.rebuild(); err != nil {
			p.log.Error("rebuild after revival", "err", err)
		}
	}
	if p.failover != nil && p.stack.failoverAuto {
		sv.m.Failbacks.Inc()
		sv.m.FailoverActive.Set(0)
		p.log.Info("keys switched back", "server", sv.name, "from", p.failover.cfg.Name)
	}
}
