package main

import "testing"

func TestDialable(t *testing.T) {
	cases := []struct{ listen, want string }{
		{"127.0.0.1:22223", "127.0.0.1:22223"},
		{":22223", "127.0.0.1:22223"},
		{"0.0.0.0:22223", "127.0.0.1:22223"},
		{"[::]:22223", "[::1]:22223"},
		{"10.1.2.3:80", "10.1.2.3:80"},
		{"not an address", "not an address"},
	}
	for _, c := range cases {
		if got := dialable(c.listen); got != c.want {
			t.Errorf("dialable(%q): got %q, want %q", c.listen, got, c.want)
		}
	}
}

func TestAdminConfigOff(t *testing.T) {
	conf := writeFile(t, "faed.toml", "[server]\nadmin_listen = \"\"\n"+goodTOML)
	stdout, stderr, code := fae(t, "stats", "-c", conf)
	wantCode(t, code, exitFailure, stdout, stderr)
	wantContains(t, "stderr", stderr, "turns faed's admin server off")
}
