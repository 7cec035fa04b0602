package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/fae-dev/fae/backend"
)

// Sentinel errors of this package.
var (
	// ErrBadRequest marks input a Store refuses (a key or value its pool
	// cannot hold, say). A Store wraps it, fmt.Errorf("%w: key too long",
	// httpapi.ErrBadRequest), and the client gets 400 with the error's text.
	ErrBadRequest = errors.New("bad request")
	// ErrInvalidConfig is wrapped, with the reason, by Config.Validate.
	ErrInvalidConfig = errors.New("httpapi: invalid config")
)

// httpError is an error answered with a given HTTP status and message. It is
// the one error type handlers return; serve turns it into the response.
type httpError struct {
	status int
	msg    string // sent to the client
	allow  string // the Allow header of a 405
	cause  error  // logged for 5xx; nil for client errors
}

func (e *httpError) Error() string { return e.msg }

func (e *httpError) Unwrap() error { return e.cause }

// errorf returns an httpError with status and a formatted message.
func errorf(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// badRequest returns a 400 error with a formatted message.
func badRequest(format string, args ...any) error {
	return errorf(http.StatusBadRequest, format, args...)
}

// methodNotAllowed returns a 405 error whose Allow header lists allow.
func methodNotAllowed(method, allow string) error {
	return &httpError{status: http.StatusMethodNotAllowed,
		msg: "method " + method + " not allowed (allowed: " + allow + ")", allow: allow}
}

// errKeyNotFound is the 404 of a missing key. It is shared: never modified.
var errKeyNotFound error = &httpError{status: http.StatusNotFound, msg: "key not found"}

// storeError maps an error of a Store call (op names it, e.g. "get") to its
// HTTP status: 400 for ErrBadRequest, 504 for timeouts, 502 otherwise.
func storeError(op string, err error) error {
	switch {
	case errors.Is(err, ErrBadRequest):
		return &httpError{status: http.StatusBadRequest, msg: err.Error()}
	case errors.Is(err, backend.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return &httpError{status: http.StatusGatewayTimeout, msg: op + ": " + err.Error(), cause: err}
	default:
		return &httpError{status: http.StatusBadGateway, msg: op + ": " + err.Error(), cause: err}
	}
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error     string `json:"error"`
	RequestID string `json:"request_id"`
}

// writeError answers r with err as a JSON error body. An error that is not an
// httpError is a bug: it is answered 500 and logged. 5xx errors are logged
// with the request id, at debug level when the client has gone away.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, id string, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{status: http.StatusInternalServerError, msg: "internal error", cause: err}
	}
	if he.status >= 500 {
		level := slog.LevelWarn
		if r.Context().Err() != nil {
			level = slog.LevelDebug
		}
		s.log.Log(r.Context(), level, "httpapi: request failed", "request_id", id,
			"method", r.Method, "path", r.URL.Path, "status", he.status, "err", he.cause)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(errorBody{Error: he.msg, RequestID: id}) // cannot fail: two strings
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if he.allow != "" {
		h.Set("Allow", he.allow)
	}
	w.WriteHeader(he.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes()) // a failed write means the client is gone
	}
}
