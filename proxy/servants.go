package proxy

import (
	"fmt"
	"strconv"

	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/memcache"
	"github.com/fae-dev/fae/servant/idgen"
	"github.com/fae-dev/fae/servant/kvdb"
	"github.com/fae-dev/fae/servant/lcache"
)

// servant is an in-process backend: lcache, kvdb or idgen. It answers RESP
// requests and memcache requests itself.
type servant interface {
	Do(dst []byte, args [][]byte) []byte
	DoMemcache(dst []byte, r *lcache.MC) []byte
	Close() error
}

// servantKey names a servant in env.servants: pools naming the same one
// share it (one lcache, one kvdb per directory, one idgen per worker).
func servantKey(pc config.Pool) string {
	switch pc.Servant {
	case config.ServantKVDB:
		return "kvdb:" + pc.Tier.ServantDir
	case config.ServantIDGen:
		return "idgen:" + strconv.Itoa(pc.Tier.IDGenWorker)
	}
	return pc.Servant
}

// openServant returns the servant of pc from servants, opening it there
// first if needed. The Server closes the servants when it closes.
func openServant(pc config.Pool, servants map[string]servant) (sv servant, err error) {
	key := servantKey(pc)
	if sv := servants[key]; sv != nil {
		return sv, nil
	}
	switch pc.Servant {
	case config.ServantLCache:
		sv, err = lcache.New(lcache.Config{MaxMemory: pc.ServantMaxMemory})
	case config.ServantKVDB:
		sv, err = openKVDB(pc)
	case config.ServantIDGen:
		sv, err = openIDGen(pc)
	default:
		err = fmt.Errorf("unknown servant %q", pc.Servant)
	}
	if err != nil {
		return nil, err
	}
	servants[key] = sv
	return sv, nil
}

func openKVDB(pc config.Pool) (servant, error) {
	return kvdb.Open(kvdb.Config{Dir: pc.Tier.ServantDir, MaxMemory: pc.ServantMaxMemory})
}

// idgenServant adapts idgen.Gen to the servant interface.
type idgenServant struct{ *idgen.Gen }

func openIDGen(pc config.Pool) (servant, error) {
	g, err := idgen.New(idgen.Config{Worker: pc.Tier.IDGenWorker})
	if err != nil {
		return nil, err
	}
	return idgenServant{g}, nil
}

func (s idgenServant) DoMemcache(dst []byte, r *lcache.MC) []byte {
	return s.Gen.DoMemcache(dst, kindOf(r.Cmd), r.Keys, r.NoReply)
}

// kindOf returns the memcache kind named name (Kind.String), or KindUnknown.
func kindOf(name string) memcache.Kind {
	for k := range memcache.NumKinds {
		if memcache.Kind(k).String() == name {
			return memcache.Kind(k)
		}
	}
	return memcache.KindUnknown
}

func (idgenServant) Close() error { return nil }
