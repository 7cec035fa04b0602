package proxy

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/fae-dev/fae/testkit"
)

// libmemcached's compatibility checker passes every ASCII test through faed
// in front of two memcached (nutcracker passes 6 of 27).
func TestMemccapable(t *testing.T) {
	bin := testkit.Need(t, "memccapable", "libmemcached-tools")
	_, addr, _ := mcPool(t, 2, "")
	host, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command(bin, "-h", host, "-p", port, "-a", "-t", "10").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "All tests passed") {
		t.Errorf("memccapable -a: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "[pass]"); n < 27 {
		t.Errorf("memccapable: %d tests passed, want 27\n%s", n, out)
	}
}
