package config

import (
	"strings"
	"testing"
	"time"
)

func TestTierChainConfig(t *testing.T) {
	text := `
[pools.front]
listen = "127.0.0.1:22121"
tiers = ["l1", "cache", "db"]
write_policy = "update"
negative_ttl = "1s"

[pools.l1]
servant = "lcache"
tier_ttl = "10s"

[pools.cache]
servers = ["127.0.0.1:6379:1"]
tier_ttl = 300

[pools.db]
protocol = "mysql"
servers = ["127.0.0.1:3306:1"]
mysql_user = "fae"
mysql_database = "fae"
mysql_databases = 4
mysql_templates = [{ prefix = "user:", get = "SELECT profile FROM users WHERE id = ?", set = "REPLACE INTO users (id, profile) VALUES (?, ?)" }]

[pools.ids]
listen = "127.0.0.1:22124"
servant = "idgen"
idgen_worker = 7

[pools.disk]
listen = "127.0.0.1:22125"
servant = "kvdb"
servant_dir = "/tmp/kvdb"
`
	c, err := Parse([]byte(text), "t.toml", "toml")
	if err != nil {
		t.Fatal(err)
	}
	f, db := c.Pool("front").Tier, c.Pool("db").Tier
	if strings.Join(f.Tiers, ",") != "l1,cache,db" || f.WritePolicy != "update" || f.NegativeTTL != time.Second {
		t.Errorf("front: %+v", f)
	}
	if c.Pool("cache").Tier.TierTTL != 300*time.Millisecond || c.Pool("l1").Tier.TierTTL != 10*time.Second {
		t.Errorf("tier ttls: %v %v", c.Pool("cache").Tier.TierTTL, c.Pool("l1").Tier.TierTTL)
	}
	if db.MySQL.Databases != 4 || len(db.MySQL.Templates) != 1 || db.MySQL.Templates[0].Prefix != "user:" {
		t.Errorf("db: %+v", db.MySQL)
	}
	if c.Pool("ids").Tier.IDGenWorker != 7 || c.Pool("disk").Tier.ServantDir != "/tmp/kvdb" {
		t.Errorf("servants: %+v %+v", c.Pool("ids").Tier, c.Pool("disk").Tier)
	}
}

func TestTierConfigErrors(t *testing.T) {
	base := "[pools.db]\nprotocol = \"mysql\"\nservers = [\"127.0.0.1:3306:1\"]\nmysql_database = \"fae\"\n\n[pools.l1]\nservant = \"lcache\"\n\n"
	tests := []struct{ name, text, want string }{
		{"unknown tier", "[pools.a]\nlisten = \"127.0.0.1:1\"\ntiers = [\"l1\", \"nope\"]\n", `no pool named "nope"`},
		{"one tier", "[pools.a]\nlisten = \"127.0.0.1:1\"\ntiers = [\"db\"]\n", "at least two"},
		{"chain with servers", "[pools.a]\nlisten = \"127.0.0.1:1\"\ntiers = [\"l1\", \"db\"]\nservers = [\"127.0.0.1:2:1\"]\n", "no servers or servant"},
		{"no listen", "[pools.a]\nservant = \"lcache\"\n", "only mysql pools and tiers"},
		{"bad table", "[pools.a]\nlisten = \"127.0.0.1:1\"\ntiers = [\"l1\", \"db\"]\n[pools.x]\nprotocol = \"mysql\"\nservers = [\"127.0.0.1:3306:1\"]\nmysql_database = \"fae\"\nmysql_table = \"kv; drop\"\n", "not a plain SQL identifier"},
		{"kvdb without dir", "[pools.a]\nlisten = \"127.0.0.1:1\"\nservant = \"kvdb\"\n", "servant_dir"},
		{"worker", "[pools.a]\nlisten = \"127.0.0.1:1\"\nservant = \"idgen\"\nidgen_worker = 5000\n", "0 to 1023"},
		{"policy", "[pools.a]\nlisten = \"127.0.0.1:1\"\ntiers = [\"l1\", \"db\"]\nwrite_policy = \"later\"\n", "unknown value \"later\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(base+tt.text), "t.toml", "toml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
