package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// keyMethods is the Allow header of /v1/{pool}/keys/{key}.
const keyMethods = "GET, HEAD, PUT, DELETE"

// serveKey answers /v1/{pool}/keys/{key}; key is already percent-decoded.
func (s *Server) serveKey(w http.ResponseWriter, r *http.Request, st Store, key string) error {
	var handle func(http.ResponseWriter, *http.Request, Store, string) error
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		handle = s.getKey
	case http.MethodPut:
		handle = s.putKey
	case http.MethodDelete:
		handle = s.deleteKey
	default:
		return methodNotAllowed(r.Method, keyMethods)
	}
	if key == "" {
		return errEmptyKey
	}
	return handle(w, r, st, key)
}

// errEmptyKey answers /v1/{pool}/keys/ with no key. Shared: never modified.
var errEmptyKey error = &httpError{status: http.StatusBadRequest, msg: "empty key"}

// getKey answers GET and HEAD: the raw value, 404 when missing.
func (s *Server) getKey(w http.ResponseWriter, r *http.Request, st Store, key string) error {
	ctx, cancel := s.storeContext(r)
	defer cancel()
	val, found, err := st.Get(ctx, []byte(key))
	if err != nil {
		return storeError("get", err)
	}
	if !found {
		return errKeyNotFound
	}
	s.writeBody(w, r, http.StatusOK, "application/octet-stream", val)
	return nil
}

// putKey answers PUT: the body is the value, ?ttl= its lifetime.
func (s *Server) putKey(w http.ResponseWriter, r *http.Request, st Store, key string) error {
	var ttl time.Duration
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		for name := range q {
			if name != "ttl" {
				return badRequest("unknown query parameter %q (PUT takes only ttl)", name)
			}
		}
		var err error
		if ttl, err = parseTTL(q.Get("ttl")); err != nil {
			return err
		}
	}
	val, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	if err := st.Set(ctx, []byte(key), val, ttl); err != nil {
		return storeError("set", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteKey answers DELETE: 204 when the key existed, else 404.
func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request, st Store, key string) error {
	ctx, cancel := s.storeContext(r)
	defer cancel()
	found, err := st.Delete(ctx, []byte(key))
	if err != nil {
		return storeError("delete", err)
	}
	if !found {
		return errKeyNotFound
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseTTL parses a time to live: a Go duration ("30s", "1m30s", "250ms")
// or an integer number of seconds ("30"). Empty means none (0). Anything
// else, and a ttl below one millisecond, is a 400 error.
func parseTTL(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	var d time.Duration
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > math.MaxInt64/int64(time.Second) {
			return 0, badRequest("ttl %q is too long", s)
		}
		d = time.Duration(n) * time.Second
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, badRequest("ttl %q is neither a duration (30s, 1m, 250ms) nor whole seconds", s)
	}
	if d < time.Millisecond {
		return 0, badRequest("ttl %q is below 1ms (omit ttl for no expiry)", s)
	}
	return d, nil
}
