package lcache

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// mcDo runs one memcache request given in mcLine's form.
func mcDo(c *Cache, line, value string) string {
	return string(c.DoMemcache(nil, mcLine(line, value)))
}

// TestMemcacheConcurrentCounters mixes memcache incr, meta ma and redis
// INCRBY on one counter, and gets-then-cas loops on another: no update may
// be lost.
func TestMemcacheConcurrentCounters(t *testing.T) {
	c := newTestCache(t, Config{})
	mcDo(c, "set n 0 0", "0")
	mcDo(c, "set casd 0 0", "0")
	const workers, n = 8, 300
	retries := make([]int, workers)
	hammer(workers, n, func(w, i int) {
		mcDo(c, "incr n 1", "")
		mcDo(c, "ma n D2", "")
		do(c, "INCRBY", "n", "3")
		for {
			v, cas := getsOne(t, c, "casd")
			if mcDo(c, "cas casd 0 0 "+strconv.FormatUint(cas, 10), strconv.Itoa(v+1)) == stored {
				break
			}
			retries[w]++
		}
	})
	if got, want := mcDo(c, "get n", ""), value("n", 0, strconv.Itoa(6*workers*n))+end; got != want {
		t.Errorf("counter: got %q, want %q", got, want)
	}
	if got, want := mcDo(c, "get casd", ""), value("casd", 0, strconv.Itoa(workers*n))+end; got != want {
		t.Errorf("cas counter: got %q, want %q", got, want)
	}
	t.Logf("cas retries per worker: %v", retries)
}

// getsOne returns the integer value and the cas unique of key.
func getsOne(t *testing.T, c *Cache, key string) (int, uint64) {
	reply := mcDo(c, "gets "+key, "")
	f := strings.Fields(reply)
	if len(f) != 7 || f[0] != "VALUE" {
		t.Fatalf("gets %s: got %q", key, reply)
	}
	v, err := strconv.Atoi(f[5])
	if err != nil {
		t.Fatalf("gets %s: got %q", key, reply)
	}
	return v, atou(f[4])
}

// TestMemcacheConcurrentFlush runs flush_all, delayed or not, against
// writers and readers of both protocols: no deadlock, no race, and after a
// final flush_all nothing is left.
func TestMemcacheConcurrentFlush(t *testing.T) {
	c := newTestCache(t, Config{})
	hammer(6, 300, func(w, i int) {
		key := "k" + strconv.Itoa(i%10)
		switch w {
		case 0:
			mcDo(c, "flush_all "+strconv.Itoa(i%2), "")
		case 1:
			do(c, "MSET", key, "v", "other", "w")
		case 2:
			mcDo(c, "gets k1 k2 k3 "+key, "")
		default:
			mcDo(c, "append "+key+" 0 0", "x")
			mcDo(c, "set "+key+" 0 0", "y")
			mcDo(c, "mg "+key+" v T100", "")
		}
	})
	mcDo(c, "flush_all", "")
	if got := mcDo(c, "get k0 k1 other", ""); got != end {
		t.Fatalf("after flush_all: got %q, want %q", got, end)
	}
}

// FuzzDoMemcache feeds arbitrary requests to a Cache: it must never panic,
// and must append nothing or whole reply lines, each VALUE or VA line
// followed by its data block.
func FuzzDoMemcache(f *testing.F) {
	f.Add([]byte("set\x00k\x005\x00100\x000\x00hello"))
	f.Add([]byte("gats\x00k\x00j\x00-1"))
	f.Add([]byte("ma\x00k\x00N0\x00J5\x00v\x00t\x00c\x00MD"))
	f.Add([]byte("ms\x00a2V5\x00b\x00MA\x00T10\x00c\x00k"))
	f.Add([]byte("incr\x00k\x00\xff\xff\xff\xff\xff\xff\xff\xff"))
	c, err := New(Config{MaxMemory: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	f.Fuzz(func(t *testing.T, in []byte) {
		tok := bytes.Split(in, []byte{0})
		r := &MC{Cmd: string(tok[0])}
		for _, a := range tok[1:] {
			switch {
			case len(a) == 0:
				r.NoReply = !r.NoReply
			case a[0] >= 'A' && a[0] <= 'Z' || len(a) == 1:
				r.Meta = append(r.Meta, a)
			case r.Value == nil && len(r.Keys) > 0:
				r.Value = a
			default:
				r.Keys = append(r.Keys, a)
			}
		}
		if len(in) >= 8 {
			n := uint64(in[len(in)-1]) | uint64(in[len(in)-2])<<8 | uint64(in[len(in)-3])<<56
			r.Flags, r.Exptime, r.Cas, r.Delta = uint32(n), int64(int32(n))%100, n%8, n
		}
		out := c.DoMemcache(nil, r)
		if r.Cmd == "mn" {
			if string(out) != "MN\r\n" {
				t.Fatalf("mn: got %q", out)
			}
			return
		}
		rd := bufio.NewReader(bytes.NewReader(append(out, "MN\r\n"...)))
		got, err := readMCUntil(rd, "MN\r\n")
		if err != nil || !bytes.Equal(got, out) || rd.Buffered() != 0 {
			t.Fatalf("reply %q to %+v is malformed (%v)", out, r, err)
		}
	})
}
