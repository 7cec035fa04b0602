package proxy

import (
	"fmt"

	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/mysqlstore"
	"github.com/fae-dev/fae/tier"
)

// openMySQLPools opens a mysqlstore.Store for every mysql pool of cfg. The
// stores connect lazily: a MySQL server that is down fails requests, not
// the start.
func openMySQLPools(cfg *config.Config) (map[string]*mysqlstore.Store, error) {
	out := map[string]*mysqlstore.Store{}
	for _, pc := range cfg.Pools {
		if pc.Protocol != config.ProtocolMySQL {
			continue
		}
		st, err := mysqlstore.Open(mysqlConfig(pc))
		if err != nil {
			closeMySQL(out)
			return nil, fmt.Errorf("pool %s: %w", pc.Name, err)
		}
		out[pc.Name] = st
	}
	return out, nil
}

// mysqlConfig maps a mysql pool onto mysqlstore.Config.
func mysqlConfig(pc config.Pool) mysqlstore.Config {
	m := pc.Tier.MySQL
	mc := mysqlstore.Config{Database: m.Database, Databases: m.Databases, Table: m.Table, KeyColumn: m.KeyColumn,
		ValueColumn: m.ValueColumn, Timeout: pc.Timeout, ReadPolicy: pc.Stack.ReadPolicy}
	if mc.ReadPolicy == config.ReadNearest {
		mc.ReadPolicy = config.ReadReplica
	}
	if pc.ServerConnections > 1 {
		mc.MaxOpen, mc.MaxIdle = pc.ServerConnections, pc.ServerConnections
	}
	for _, t := range m.Templates {
		mc.Templates = append(mc.Templates, mysqlstore.Template{Prefix: t.Prefix, Get: t.Get, Set: t.Set, Delete: t.Delete})
	}
	if len(mc.Templates) == 0 && mc.Table == "" {
		mc.Table = config.DefaultMySQLTable
	}
	for _, sc := range pc.Servers {
		sh := mysqlstore.Shard{Primary: dsn(m, sc.Addr)}
		for _, r := range sc.Replicas {
			sh.Replicas = append(sh.Replicas, dsn(m, r.Addr))
		}
		mc.Servers = append(mc.Servers, sh)
	}
	return mc
}

// dsn is go-sql-driver's DSN for addr, without a database.
func dsn(m config.MySQL, addr string) string {
	user := m.User
	if user == "" {
		user = "root"
	}
	cred := user // go-sql-driver takes user and password as they are
	if m.Password != "" {
		cred += ":" + m.Password
	}
	return fmt.Sprintf("%s@tcp(%s)/?charset=utf8mb4&parseTime=false", cred, addr)
}

func mysqlStores(m map[string]*mysqlstore.Store) map[string]tier.Store {
	out := map[string]tier.Store{}
	for name, st := range m {
		out[name] = st
	}
	return out
}

func closeMySQL(m map[string]*mysqlstore.Store) {
	for _, st := range m {
		st.Close()
	}
}
