package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// Addresses are read the way nutcracker reads them: from the end of the
// string, so the host part may itself hold colons (an IPv6 address written
// without brackets, "::1:6379:1"). Brackets are accepted too and removed from
// Host. Host names are not resolved here; servers are resolved when dialled.

// isUnixPath reports whether an address is a unix socket path. As in
// nutcracker, that is exactly when it starts with '/'.
func isUnixPath(addr string) bool { return strings.HasPrefix(addr, "/") }

// parseListen reads a listen value: "host:port" or "/path/sock [perm]" with
// perm in octal. It returns the address in the form net.Listen takes.
func parseListen(s string) (addr string, mode os.FileMode, err error) {
	if s == "" {
		return "", 0, errors.New(`is empty; want "host:port" or "/path/to.sock [perm]"`)
	}
	if isUnixPath(s) {
		path, perm, found := cutLast(s, " ")
		if !found {
			return s, 0, nil
		}
		path = strings.TrimRight(path, " ")
		n, err := strconv.ParseUint(perm, 8, 32)
		if err != nil || n > 0o777 || !isDigits(perm) {
			return "", 0, fmt.Errorf("has an invalid permission %q in \"/path/to.sock perm\"; want octal such as 0666", perm)
		}
		return path, os.FileMode(n), nil
	}
	host, port, found := cutLast(s, ":")
	if !found {
		return "", 0, fmt.Errorf(`%q is not "host:port"`, s)
	}
	p, ok := atoi(port)
	if !ok || p > 65535 {
		return "", 0, fmt.Errorf("has an invalid port %q in %q; want 0-65535", port, s)
	}
	return net.JoinHostPort(unbracket(host), port), 0, nil
}

// parseServer reads a server line: "host:port:weight [name]" or
// "/path/to.sock:weight [name]". It checks the syntax only; Validate checks
// the ranges (weight >= 1, port 1-65535) so that a Server built in code gets
// the same checks.
func parseServer(s string) (Server, error) {
	const want = `; want "host:port:weight [name]" or "/path/to.sock:weight [name]"`
	fields := strings.Fields(s)
	var srv Server
	switch len(fields) {
	case 1:
	case 2:
		srv.Name = fields[1]
	default:
		return srv, fmt.Errorf("%q has %d fields%s", s, len(fields), want)
	}
	addr, weight, found := cutLast(fields[0], ":")
	if !found {
		return srv, fmt.Errorf("%q has no weight%s", s, want)
	}
	w, ok := atoi(weight)
	if !ok {
		return srv, fmt.Errorf("%q has an invalid weight %q%s", s, weight, want)
	}
	srv.Weight = w
	if isUnixPath(addr) {
		srv.Addr, srv.Host = addr, addr
		return srv, nil
	}
	host, port, found := cutLast(addr, ":")
	if !found {
		return srv, fmt.Errorf("%q lacks a port or a weight%s", s, want)
	}
	p, ok := atoi(port)
	if !ok {
		return srv, fmt.Errorf("%q has an invalid port %q%s", s, port, want)
	}
	srv.Host, srv.Port = unbracket(host), p
	srv.Addr = net.JoinHostPort(srv.Host, strconv.Itoa(p))
	return srv, nil
}

// checkListen reports what is wrong with a Pool.Listen value, or "".
func checkListen(addr string) string {
	if addr == "" {
		return "is empty"
	}
	if isUnixPath(addr) {
		return ""
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf(`%q is not "host:port" or a unix socket path`, addr)
	}
	if p, ok := atoi(port); !ok || p > 65535 {
		return fmt.Sprintf("%q has an invalid port; want 0-65535", addr)
	}
	return ""
}

// checkServer reports what is wrong with a Server, or "".
func checkServer(s Server) string {
	switch {
	case s.Addr == "" || s.Host == "":
		return fmt.Sprintf("%q has no host", s.Addr)
	case s.Weight < 1:
		return fmt.Sprintf("%s has weight %d; want at least 1", s.Addr, s.Weight)
	case s.Unix() && s.Port != 0:
		return fmt.Sprintf("%s is a unix socket but has port %d", s.Addr, s.Port)
	case !s.Unix() && (s.Port < 1 || s.Port > 65535):
		return fmt.Sprintf("%s has port %d; want 1-65535", s.Addr, s.Port)
	case s.Name != "" && strings.ContainsAny(s.Name, " \t\r\n"):
		return fmt.Sprintf("%s has name %q with spaces", s.Addr, s.Name)
	}
	return ""
}

// cutLast splits s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// unbracket removes the brackets around an IPv6 host.
func unbracket(host string) string {
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		return host[1 : len(host)-1]
	}
	return host
}

// atoi reads a non-negative decimal number made of digits only, as
// nutcracker's nc_atoi does (no sign, no spaces).
func atoi(s string) (int, bool) {
	if !isDigits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
