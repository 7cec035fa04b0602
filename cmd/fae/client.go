package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/fae-dev/fae/admin"
	"github.com/fae-dev/fae/config"
)

// defaultAdminAddr is where fae looks for faed's admin server when neither
// -a, -c nor FAE_ADMIN says otherwise: faed's own default.
const defaultAdminAddr = admin.DefaultAddr

// Environment variables read by the admin commands.
const (
	envAdmin = "FAE_ADMIN" // the admin address
	envToken = "FAE_TOKEN" // the admin token
)

// requestTimeout bounds one request to the admin server.
const requestTimeout = 10 * time.Second

// maxBody bounds the admin server's replies fae reads.
const maxBody = 64 << 20

// adminFlags are the flags of the commands that talk to faed.
type adminFlags struct {
	addr, token, conf *string
}

// addAdminFlags defines -a, -token and -c on fs.
func addAdminFlags(fs *flag.FlagSet) adminFlags {
	return adminFlags{
		addr: fs.String("a", "", "`ADDR` of faed's admin server, host:port or an http(s) URL (default: -c's admin_listen, else $"+envAdmin+", else "+defaultAdminAddr+")"),
		// The token's default stays out of the usage text: it is a secret.
		token: fs.String("token", "", "admin `TOKEN`, sent as \"Authorization: Bearer TOKEN\" (default: -c's admin_token, else $"+envToken+")"),
		conf:  fs.String("c", "", "faed's config `FILE`, to take admin_listen and admin_token from"),
	}
}

// client returns the admin client the flags, the config file and the
// environment describe, in that order of precedence.
func (f adminFlags) client() (*adminClient, error) {
	var confAddr, confToken string
	if *f.conf != "" {
		cfg, err := config.Load(*f.conf)
		if err != nil {
			return nil, err
		}
		if cfg.Server.AdminListen == "" && *f.addr == "" {
			return nil, fmt.Errorf("%s turns faed's admin server off (admin_listen is empty)", *f.conf)
		}
		confAddr, confToken = dialable(cfg.Server.AdminListen), cfg.Server.AdminToken
	}
	addr := cmp.Or(*f.addr, confAddr, os.Getenv(envAdmin), defaultAdminAddr)
	base := addr
	if !strings.Contains(addr, "://") {
		base = "http://" + addr
	}
	return &adminClient{
		addr:  addr,
		base:  strings.TrimRight(base, "/"),
		token: cmp.Or(*f.token, confToken, os.Getenv(envToken)),
		http:  &http.Client{Timeout: requestTimeout},
	}, nil
}

// dialable turns a listen address into one to connect to: a wildcard or
// empty host becomes loopback.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// adminClient talks to faed's admin server. Safe for concurrent use.
type adminClient struct {
	addr  string // as given, for messages
	base  string // URL prefix, no trailing slash
	token string // "" sends no Authorization header
	http  *http.Client
}

// errUnreachable reports that faed's admin server did not answer.
var errUnreachable = errors.New("cannot reach faed's admin server")

// statusError is an admin server's refusal: a status other than 2xx.
type statusError struct {
	method, path string
	code         int
	status       string   // "422 Unprocessable Entity"
	reasons      []string // the reply's "errors", else its "error", else its text
}

// Error returns the request, the status and the reasons, each on a line of
// its own when there are several.
func (e *statusError) Error() string {
	msg := fmt.Sprintf("%s %s: %s", e.method, e.path, e.status)
	switch len(e.reasons) {
	case 0:
		return msg
	case 1:
		return msg + ": " + e.reasons[0]
	}
	return msg + ":\n  " + strings.Join(e.reasons, "\n  ")
}

// do sends a request and returns the body of a 2xx reply.
func (c *adminClient) do(ctx context.Context, method, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("admin address %q: %w", c.addr, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %w (is faed running with its admin server there? set -a or $%s)",
			errUnreachable, c.addr, unwrapURL(err), envAdmin)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the reply: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		se := &statusError{method: method, path: path, code: resp.StatusCode, status: resp.Status, reasons: replyReasons(body)}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			hint := "check -token, -c or $" + envToken
			if n := len(se.reasons); n > 0 {
				se.reasons[n-1] += " (" + hint + ")"
			} else {
				se.reasons = []string{hint}
			}
		}
		return nil, se
	}
	return body, nil
}

// unwrapURL drops the *url.Error wrapper, whose message repeats the URL.
func unwrapURL(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// replyReasons are the reasons an error reply gives: the "errors" list of
// faed's JSON answer, else its "error" field, else the body's text lines.
func replyReasons(body []byte) []string {
	var doc struct {
		Error  string   `json:"error"`
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(body, &doc) == nil {
		switch {
		case len(doc.Errors) > 0:
			return doc.Errors
		case doc.Error != "":
			return strings.Split(doc.Error, "\n")
		}
	}
	if text := strings.TrimSpace(string(body)); text != "" {
		return strings.Split(text, "\n")
	}
	return nil
}

// stats fetches /stats and returns it decoded and as sent.
func (c *adminClient) stats(ctx context.Context) (*admin.Stats, []byte, error) {
	body, err := c.do(ctx, http.MethodGet, "/stats")
	if err != nil {
		return nil, nil, err
	}
	var st admin.Stats
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, nil, fmt.Errorf("GET /stats: the reply is not faed's stats document: %w", err)
	}
	return &st, body, nil
}

// reload posts /reload.
func (c *adminClient) reload(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodPost, "/reload")
	return err
}

// stats fetches /stats from the admin server the flags name.
func (f adminFlags) stats() (*admin.Stats, []byte, error) {
	c, err := f.client()
	if err != nil {
		return nil, nil, err
	}
	return c.stats(context.Background())
}
