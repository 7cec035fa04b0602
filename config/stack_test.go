package config

import (
	"strings"
	"testing"
	"time"
)

func TestStackKeys(t *testing.T) {
	text := `
[pools.local]
listen = "127.0.0.1:22121"
servers = ["127.0.0.1:6379:1 a", "127.0.0.1:6389:1"]
replicas = { a = ["127.0.0.1:7379:1"], "127.0.0.1:6389" = ["127.0.0.1:7389:1", "127.0.0.1:8389:1"] }
read_policy = "nearest"
failover = "remote"
retries = 1
retry_budget_percent = 0.5
accrual_success_rate = 0.9
accrual_dead_min = "2s"
accrual_dead_max = 10000
mget_partial = "nil"

[pools.remote]
listen = "127.0.0.1:22122"
servers = ["127.0.0.1:9379:1"]
auto_eject_hosts = true
server_failure_limit = 3
server_retry_timeout = 700
`
	c, err := Parse([]byte(text), "t.toml", "toml")
	if err != nil {
		t.Fatal(err)
	}
	l, r := c.Pools[0].Stack, c.Pools[1].Stack
	if got := c.Pools[0].Servers[0].Replicas; len(got) != 1 || got[0].Addr != "127.0.0.1:7379" {
		t.Errorf("replicas of a = %+v, want 127.0.0.1:7379", got)
	}
	if got := c.Pools[0].Servers[1].Replicas; len(got) != 2 || got[1].Addr != "127.0.0.1:8389" {
		t.Errorf("replicas of 6389 = %+v, want two ending in 127.0.0.1:8389", got)
	}
	if l.ReadPolicy != ReadNearest || l.Failover != "remote" || l.Retries != 1 || l.RetryBudgetPercent != 0.5 ||
		l.AccrualSuccessRate != 0.9 || l.AccrualDeadMin != 2*time.Second || l.AccrualDeadMax != 10*time.Second ||
		l.MGetPartial != PartialNil || !l.FailureAccrual {
		t.Errorf("local stack = %+v", l)
	}
	// auto_eject_hosts maps twemproxy's settings onto failure accrual
	if !r.FailureAccrual || r.AccrualConsecutive != 3 || r.AccrualSuccessRate != 0 ||
		r.AccrualDeadMin != 700*time.Millisecond || r.AccrualDeadMax != 700*time.Millisecond {
		t.Errorf("remote stack = %+v, want accrual after 3 failures, out for 700ms", r)
	}
}

func TestStackYAMLAutoEject(t *testing.T) {
	c, err := Parse([]byte("p:\n  listen: 127.0.0.1:22121\n  auto_eject_hosts: true\n  server_retry_timeout: 2000\n  servers:\n   - 127.0.0.1:6379:1\n"), "t.yml", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := c.Pools[0].Stack
	if !st.FailureAccrual || st.AccrualConsecutive != 2 || st.AccrualDeadMin != 2*time.Second {
		t.Errorf("stack = %+v, want accrual after 2 failures, out for 2s", st)
	}
	c, err = Parse([]byte("p:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n"), "t.yml", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Pools[0].Stack.FailureAccrual {
		t.Errorf("a YAML pool without auto_eject_hosts has failure accrual; nutcracker never ejects it")
	}
}

func TestStackErrors(t *testing.T) {
	base := "[pools.a]\nlisten = \"127.0.0.1:22121\"\nservers = [\"127.0.0.1:6379:1\"]\n"
	tests := []struct{ name, extra, want string }{
		{"policy", `read_policy = "closest"`, `t.toml:4: pools.a.read_policy: unknown value "closest"`},
		{"mode", `failover_mode = "maybe"`, `pools.a.failover_mode: unknown value "maybe"`},
		{"partial", `mget_partial = "zero"`, `pools.a.mget_partial: unknown value "zero"`},
		{"no failover pool", `failover = "b"`, `pools.a.failover: no pool named "b"`},
		{"self", `failover = "a"`, `cannot fail over to itself`},
		{"rate", `accrual_success_rate = 1.5`, `pools.a.accrual_success_rate: is 1.5`},
		{"rate type", `accrual_success_rate = "high"`, `want a number`},
		{"dead max", "accrual_dead_min = \"10s\"\naccrual_dead_max = \"1s\"", `less than accrual_dead_min`},
		{"replica of nobody", `replicas = { "127.0.0.1:1" = ["127.0.0.1:2:1"] }`, `"127.0.0.1:1" is not the address or name of a server`},
		{"replica syntax", `replicas = { "127.0.0.1:6379" = ["nohost"] }`, `pools.a.replicas`},
		{"retries", `retries = -1`, `pools.a.retries: is negative`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(base+tt.extra+"\n"), "t.toml", "toml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
