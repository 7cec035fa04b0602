package main

import (
	"strings"
	"testing"
)

const goodTOML = `
[pools.alpha]
listen = "127.0.0.1:22121"
servers = ["127.0.0.1:6379:1 server1", "127.0.0.1:6380:1 server2"]

[pools.cache]
listen = "127.0.0.1:6390"
servant = "lcache"
`

const goodYAML = `alpha:
  listen: 127.0.0.1:22121
  hash: fnv1a_64
  distribution: ketama
  servers:
   - 127.0.0.1:11211:1
`

// badTOML has three problems, on lines 3, 4 and 5.
const badTOML = `
[pools.alpha]
listen = "127.0.0.1:22121"
hash = "sha1"
distribution = "round_robin"
colour = "blue"
servers = ["127.0.0.1:6379:1"]
`

func TestCheck(t *testing.T) {
	good := writeFile(t, "good.toml", goodTOML)
	yml := writeFile(t, "nutcracker.yml", goodYAML)
	bad := writeFile(t, "bad.toml", badTOML)

	t.Run("good", func(t *testing.T) {
		stdout, stderr, code := fae(t, "check", "-c", good)
		wantCode(t, code, exitOK, stdout, stderr)
		if want := good + ": ok (2 pools)\n"; stdout != want {
			t.Errorf("got %q, want %q", stdout, want)
		}
	})
	t.Run("good YAML as an argument", func(t *testing.T) {
		stdout, stderr, code := fae(t, "check", yml)
		wantCode(t, code, exitOK, stdout, stderr)
		if want := yml + ": ok (1 pool)\n"; stdout != want {
			t.Errorf("got %q, want %q", stdout, want)
		}
	})
	t.Run("bad", func(t *testing.T) {
		stdout, stderr, code := fae(t, "check", "-c", bad)
		wantCode(t, code, exitFailure, stdout, stderr)
		if stdout != "" {
			t.Errorf("stdout got %q, want nothing", stdout)
		}
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		want := []string{bad + ":4: pools.alpha.hash: ", bad + ":5: pools.alpha.distribution: ", bad + ":6: pools.alpha.colour: "}
		if len(lines) != len(want) {
			t.Fatalf("got %d error lines, want %d:\n%s", len(lines), len(want), stderr)
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("line %d: got %q, want it to start with %q", i+1, lines[i], w)
			}
		}
	})
	t.Run("good and bad", func(t *testing.T) {
		stdout, stderr, code := fae(t, "check", good, bad)
		wantCode(t, code, exitFailure, stdout, stderr)
		wantContains(t, "stdout", stdout, good+": ok")
		wantContains(t, "stderr", stderr, bad+":4:")
	})
	t.Run("missing file", func(t *testing.T) {
		missing := t.TempDir() + "/none.toml"
		stdout, stderr, code := fae(t, "check", "-c", missing)
		wantCode(t, code, exitFailure, stdout, stderr)
		wantContains(t, "stderr", stderr, missing+": open: no such file or directory")
	})
	t.Run("unknown format", func(t *testing.T) {
		stdout, stderr, code := fae(t, "check", "-c", writeFile(t, "faed.conf", goodTOML))
		wantCode(t, code, exitFailure, stdout, stderr)
		wantContains(t, "stderr", stderr, "unknown config format")
	})
}
