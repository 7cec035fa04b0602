package main

import (
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		code       int
		onStdout   bool // the usage is on stdout (asked for), else stderr
		wantInText []string
	}{
		{"no arguments", nil, exitUsage, false, []string{"Usage: fae COMMAND", "Commands:", "Exit status:"}},
		{"help", []string{"help"}, exitOK, true, []string{"Usage: fae COMMAND", "locate", "FAE_ADMIN", "FAE_TOKEN", "2  usage error"}},
		{"-h", []string{"-h"}, exitOK, true, []string{"Usage: fae COMMAND"}},
		{"--help", []string{"--help"}, exitOK, true, []string{"Usage: fae COMMAND"}},
		{"unknown command", []string{"frob"}, exitUsage, false, []string{`unknown command "frob"`, "Usage: fae COMMAND"}},
		{"help for a command", []string{"help", "locate"}, exitOK, true, []string{"Usage: fae locate -c FILE", "-pool NAME", "-json", "Exit status"}},
		{"help for an unknown command", []string{"help", "frob"}, exitUsage, false, []string{`unknown command "frob"`}},
		{"command -h", []string{"top", "-h"}, exitOK, true, []string{"Usage: fae top", "-interval duration", "(default 1s)", "-n N"}},
		{"command --help", []string{"stats", "--help"}, exitOK, true, []string{"Usage: fae stats", "-token TOKEN", "FAE_TOKEN", "-a ADDR", "-c FILE"}},
		{"bad flag", []string{"check", "-frob"}, exitUsage, false, []string{"flag provided but not defined: -frob", "Usage: fae check"}},
		{"missing argument", []string{"check"}, exitUsage, false, []string{"no config file", "Usage: fae check"}},
		{"extra argument", []string{"reload", "now"}, exitUsage, false, []string{`unexpected argument "now"`, "Usage: fae reload"}},
		{"bad flag value", []string{"top", "-interval", "soon"}, exitUsage, false, []string{"invalid value", "Usage: fae top"}},
		{"bad interval", []string{"top", "-interval", "0s"}, exitUsage, false, []string{"-interval must be positive"}},
		{"locate without keys", []string{"locate", "-c", "x.toml"}, exitUsage, false, []string{"no key to locate"}},
		{"locate with a bad hex key", []string{"locate", "-c", "x.toml", "-x", "zz"}, exitUsage, false, []string{`key "zz" is not hex`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := fae(t, c.args...)
			wantCode(t, code, c.code, stdout, stderr)
			text, other := stderr, stdout
			if c.onStdout {
				text, other = stdout, stderr
			}
			wantContains(t, "usage", text, c.wantInText...)
			if other != "" {
				t.Errorf("the other stream got %q, want nothing", other)
			}
		})
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	stdout, _, _ := fae(t, "help")
	for _, c := range commands() {
		if !strings.Contains(stdout, "  "+c.name+" ") {
			t.Errorf("help does not list %s:\n%s", c.name, stdout)
		}
		out, errOut, code := fae(t, "help", c.name)
		wantCode(t, code, exitOK, out, errOut)
		wantContains(t, "help "+c.name, out, "Usage: fae "+c.synopsis, "Exit status: 0 success, 1 failure, 2 usage error.")
	}
}

func TestParseInterspersed(t *testing.T) {
	cases := []struct {
		name string
		args []string
		pool string
		pos  []string
	}{
		{"flags first", []string{"-pool", "a", "k1", "k2"}, "a", []string{"k1", "k2"}},
		{"flags last", []string{"k1", "k2", "-pool", "a"}, "a", []string{"k1", "k2"}},
		{"flags between", []string{"k1", "-pool", "a", "k2"}, "a", []string{"k1", "k2"}},
		{"double dash", []string{"-pool", "a", "--", "-k1", "-pool"}, "a", []string{"-k1", "-pool"}},
		{"none", nil, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs, _ := locateCommand.flagSet(&strings.Builder{})
			pos, err := parseInterspersed(fs, c.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := fs.Lookup("pool").Value.String(); got != c.pool {
				t.Errorf("pool: got %q, want %q", got, c.pool)
			}
			if strings.Join(pos, " ") != strings.Join(c.pos, " ") || len(pos) != len(c.pos) {
				t.Errorf("positional: got %q, want %q", pos, c.pos)
			}
		})
	}
}
