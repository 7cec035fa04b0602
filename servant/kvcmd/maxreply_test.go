package kvcmd_test

import (
	"strings"
	"testing"

	"github.com/fae-dev/fae/servant/kvcmd"
	"github.com/fae-dev/fae/servant/lcache"
)

// A multi-key read whose reply would pass MaxReply is refused, over Redis
// and memcache, instead of being built in memory.
func TestMaxReply(t *testing.T) {
	c, err := lcache.New(lcache.Config{MaxMemory: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	big := strings.Repeat("x", 1<<20)
	c.Do(nil, [][]byte{[]byte("SET"), []byte("k"), []byte(big)})
	n := kvcmd.MaxReply>>20 + 2
	args := [][]byte{[]byte("MGET")}
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte("k")
		args = append(args, keys[i])
	}
	if got := string(c.Do(nil, args)); !strings.HasPrefix(got, "-ERR reply would exceed") {
		t.Errorf("MGET of %d copies of 1 MiB: %.60q", n, got)
	}
	if got := string(c.Do(nil, args[:3])); !strings.HasPrefix(got, "*2\r\n$1048576") {
		t.Errorf("MGET of 2 copies: %.60q", got)
	}
	got := string(c.DoMemcache(nil, &lcache.MC{Cmd: "get", Keys: keys}))
	if !strings.HasPrefix(got, "SERVER_ERROR reply would exceed") {
		t.Errorf("get of %d copies: %.60q", n, got)
	}
}
