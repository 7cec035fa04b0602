package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
)

// switchKinds are the kinds Switch.Kind accepts.
var switchKinds = []string{SwitchServerDown, SwitchReadOnly, SwitchReject}

// result is the body of POST /reload and of every error answer.
type result struct {
	OK     bool     `json:"ok"`
	Error  string   `json:"error,omitempty"`
	Errors []string `json:"errors,omitempty"` // each reason of a joined error
}

// writeJSON answers v as JSON with status, indented when pretty.
func writeJSON(w http.ResponseWriter, status int, v any, pretty bool) {
	var b []byte
	var err error
	if pretty {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(result{Error: "encoding the answer: " + err.Error()})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError answers {"ok":false,"error":msg} with status.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, result{Error: msg}, false)
}

// errorResult returns the answer for err, listing the reasons of a joined
// error one by one.
func errorResult(err error) result {
	res := result{Error: err.Error()}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			res.Errors = append(res.Errors, e.Error())
		}
	}
	return res
}

// isPretty reports whether the request asks for indented JSON (?pretty=1).
func isPretty(r *http.Request) bool {
	switch r.URL.Query().Get("pretty") {
	case "", "0", "false":
		return false
	}
	return true
}

// getStats answers GET /stats: the Target's Stats as JSON.
func (s *Server) getStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.target.Stats(), isPretty(r))
}

// getConfig answers GET /config: the Target's redacted config as JSON.
func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.target.Config(), isPretty(r))
}

// getHealthz answers GET /healthz: 200 "ok" while the process serves HTTP.
func getHealthz(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok\n")
}

// getReadyz answers GET /readyz: 200 when the Target is ready, else 503.
func (s *Server) getReadyz(w http.ResponseWriter, _ *http.Request) {
	if s.target.Ready() {
		writeText(w, http.StatusOK, "ready\n")
		return
	}
	writeText(w, http.StatusServiceUnavailable, "not ready\n")
}

// writeText answers a short plain-text body with status.
func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// postReload answers POST /reload: 200 {"ok":true}, or 422 with the
// reasons the config was refused.
func (s *Server) postReload(w http.ResponseWriter, r *http.Request) {
	if err := s.target.Reload(); err != nil {
		s.log.Warn("admin: reload refused", "err", err, "remote", r.RemoteAddr)
		writeJSON(w, http.StatusUnprocessableEntity, errorResult(err), false)
		return
	}
	s.log.Info("admin: config reloaded", "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, result{OK: true}, false)
}

// getDegrade answers GET /degrade: the switches that are on, as a JSON list.
func (s *Server) getDegrade(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.switches(), isPretty(r))
}

// switches returns the Target's switches, never nil (so never JSON null).
func (s *Server) switches() []Switch {
	sw := s.target.Stats().Switches
	if sw == nil {
		sw = []Switch{}
	}
	return sw
}

// postDegrade answers POST /degrade: it decodes a Switch, checks it, and
// hands it to the Target. 200 with the switch list after the change; 400
// for a bad body or switch; 404 when the Target does not know the pool or
// server (ErrNotFound); 413 for a body over MaxBodyBytes.
func (s *Server) postDegrade(w http.ResponseWriter, r *http.Request) {
	sw, status, err := decodeSwitch(w, r)
	if err == nil {
		err = sw.validate()
		status = http.StatusBadRequest
	}
	if err == nil {
		err = s.target.Degrade(sw)
		status = http.StatusBadRequest
		if errors.Is(err, ErrNotFound) {
			status = http.StatusNotFound
		}
	}
	if err != nil {
		writeJSON(w, status, errorResult(err), false)
		return
	}
	s.log.Info("admin: degrade switch", "pool", sw.Pool, "server", sw.Server, "kind", sw.Kind,
		"class", sw.Class, "on", sw.On, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, s.switches(), false)
}

// decodeSwitch reads the body of POST /degrade: one JSON Switch, no unknown
// fields, nothing after it. On error it returns the status to answer.
func decodeSwitch(w http.ResponseWriter, r *http.Request) (Switch, int, error) {
	var sw Switch
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(&sw)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil {
		return sw, http.StatusOK, nil
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return sw, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", MaxBodyBytes)
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("empty body")
	}
	return sw, http.StatusBadRequest, fmt.Errorf("%w: body is not a switch "+
		`{"pool":..., "kind":..., "server":..., "class":..., "on":...}: %v`, ErrInvalidSwitch, err)
}

// validate checks what the admin server can know about sw without the
// Target, wrapping ErrInvalidSwitch.
func (sw Switch) validate() error {
	switch {
	case sw.Pool == "":
		return fmt.Errorf("%w: no pool", ErrInvalidSwitch)
	case !slices.Contains(switchKinds, sw.Kind):
		return fmt.Errorf("%w: unknown kind %q (want one of %q)", ErrInvalidSwitch, sw.Kind, switchKinds)
	case sw.Kind == SwitchServerDown && sw.Server == "":
		return fmt.Errorf("%w: kind %s needs a server", ErrInvalidSwitch, sw.Kind)
	case sw.Kind == SwitchReject && sw.Class == "":
		return fmt.Errorf("%w: kind %s needs a class", ErrInvalidSwitch, sw.Kind)
	}
	return nil
}
