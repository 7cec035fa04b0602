package config

import (
	"os"
	"reflect"
	"testing"
)

func TestParseServer(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Server
		wantErr bool
	}{
		{name: "host port weight", in: "127.0.0.1:6379:1",
			want: Server{Addr: "127.0.0.1:6379", Host: "127.0.0.1", Port: 6379, Weight: 1}},
		{name: "with name", in: "127.0.0.1:6380:3 server2",
			want: Server{Addr: "127.0.0.1:6380", Host: "127.0.0.1", Port: 6380, Weight: 3, Name: "server2"}},
		{name: "host name", in: "cache-1.internal:11211:10",
			want: Server{Addr: "cache-1.internal:11211", Host: "cache-1.internal", Port: 11211, Weight: 10}},
		{name: "ipv6 as nutcracker reads it", in: "::1:6379:1",
			want: Server{Addr: "[::1]:6379", Host: "::1", Port: 6379, Weight: 1}},
		{name: "ipv6 in brackets", in: "[2001:db8::7]:6379:2 east",
			want: Server{Addr: "[2001:db8::7]:6379", Host: "2001:db8::7", Port: 6379, Weight: 2, Name: "east"}},
		{name: "unix socket", in: "/tmp/redis.sock:1",
			want: Server{Addr: "/tmp/redis.sock", Host: "/tmp/redis.sock", Weight: 1}},
		{name: "unix socket with name", in: "/var/run/mc.sock:2 mc",
			want: Server{Addr: "/var/run/mc.sock", Host: "/var/run/mc.sock", Weight: 2, Name: "mc"}},
		{name: "weight 0 parses; Validate rejects it", in: "127.0.0.1:6379:0",
			want: Server{Addr: "127.0.0.1:6379", Host: "127.0.0.1", Port: 6379}},
		{name: "missing weight", in: "127.0.0.1:6379", wantErr: true},
		{name: "no colon", in: "localhost", wantErr: true},
		{name: "bad port", in: "127.0.0.1:http:1", wantErr: true},
		{name: "negative weight", in: "127.0.0.1:6379:-1", wantErr: true},
		{name: "weight with unit", in: "127.0.0.1:6379:1x", wantErr: true},
		{name: "three fields", in: "127.0.0.1:6379:1 a b", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "unix without weight", in: "/tmp/redis.sock", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseServer(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseServer(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseServer(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseListen(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantAddr string
		wantMode os.FileMode
		wantErr  bool
	}{
		{name: "host port", in: "127.0.0.1:22121", wantAddr: "127.0.0.1:22121"},
		{name: "all addresses", in: "0.0.0.0:22121", wantAddr: "0.0.0.0:22121"},
		{name: "empty host", in: ":22121", wantAddr: ":22121"},
		{name: "free port", in: "127.0.0.1:0", wantAddr: "127.0.0.1:0"},
		{name: "ipv6 as nutcracker reads it", in: "::1:22121", wantAddr: "[::1]:22121"},
		{name: "ipv6 in brackets", in: "[::1]:22121", wantAddr: "[::1]:22121"},
		{name: "unix socket", in: "/tmp/fae.sock", wantAddr: "/tmp/fae.sock"},
		{name: "unix socket with perm", in: "/tmp/fae.sock 0666", wantAddr: "/tmp/fae.sock", wantMode: 0o666},
		{name: "unix socket with perm without 0", in: "/tmp/fae.sock 600", wantAddr: "/tmp/fae.sock", wantMode: 0o600},
		{name: "perm too large", in: "/tmp/fae.sock 1777", wantErr: true},
		{name: "perm not octal", in: "/tmp/fae.sock 0999", wantErr: true},
		{name: "perm not a number", in: "/tmp/fae.sock rw", wantErr: true},
		{name: "no port", in: "localhost", wantErr: true},
		{name: "port not a number", in: "localhost:http", wantErr: true},
		{name: "port too large", in: "127.0.0.1:65536", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, mode, err := parseListen(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseListen(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && (addr != tt.wantAddr || mode != tt.wantMode) {
				t.Errorf("parseListen(%q) = %q, %#o; want %q, %#o", tt.in, addr, mode, tt.wantAddr, tt.wantMode)
			}
		})
	}
}

func TestRingName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "name wins", in: "127.0.0.1:6379:1 server1", want: "server1"},
		{name: "host and port", in: "127.0.0.1:6379:1", want: "127.0.0.1:6379"},
		{name: "memcached port leaves the port out", in: "10.0.0.1:11211:1", want: "10.0.0.1"},
		{name: "ipv6 without brackets", in: "[::1]:6379:1", want: "::1:6379"},
		{name: "unix socket keeps nutcracker's colon", in: "/tmp/mc.sock:1", want: "/tmp/mc.sock:"},
		{name: "unix socket with name", in: "/tmp/mc.sock:1 mc", want: "mc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseServer(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.RingName(); got != tt.want {
				t.Errorf("RingName of %q = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSizes(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "4096", want: 4096},
		{in: "64MiB", want: 64 << 20},
		{in: "1GB", want: 1_000_000_000},
		{in: "1 GiB", want: 1 << 30},
		{in: "512kib", want: 512 << 10},
		{in: "10B", want: 10},
		{in: "2TB", want: 2e12},
		{in: "1.5GB", wantErr: true},
		{in: "64M", wantErr: true},
		{in: "MiB", wantErr: true},
		{in: "-1MiB", wantErr: true},
		{in: "99999999999TiB", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSize(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseSize(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseSize(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}
