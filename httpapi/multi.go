package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"
)

// mgetRequest is the body of POST /v1/{pool}/mget.
type mgetRequest struct {
	Keys     []string `json:"keys"`
	Encoding string   `json:"encoding"`
}

// mgetItem is one key of an mget answer; Value is absent when !Found.
type mgetItem struct {
	Key   string  `json:"key"`
	Found bool    `json:"found"`
	Value *string `json:"value,omitempty"`
}

// msetRequest is the body of POST /v1/{pool}/mset.
type msetRequest struct {
	Items    []msetItem `json:"items"`
	TTL      jsonTTL    `json:"ttl"`
	Encoding string     `json:"encoding"`
}

// msetItem is one key of an mset; a missing value is an error, not "".
type msetItem struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

// jsonTTL is the ttl of an mset: a string as ?ttl= takes ("30s", "30"), a
// JSON integer of seconds, or null/absent for none.
type jsonTTL time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (t *jsonTTL) UnmarshalJSON(data []byte) error {
	s := string(data)
	if s == "null" {
		return nil
	}
	if len(s) > 0 && s[0] == '"' {
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		if s == "" {
			return badRequest("ttl is empty (omit it for no expiry)")
		}
	}
	d, err := parseTTL(s)
	*t = jsonTTL(d)
	return err
}

// serveMGet answers POST /v1/{pool}/mget.
func (s *Server) serveMGet(w http.ResponseWriter, r *http.Request, st Store) error {
	if r.Method != http.MethodPost {
		return methodNotAllowed(r.Method, http.MethodPost)
	}
	var req mgetRequest
	if err := s.readJSON(w, r, &req); err != nil {
		return err
	}
	b64, err := parseEncoding(req.Encoding)
	if err != nil {
		return err
	}
	if err := s.checkCount("keys", len(req.Keys)); err != nil {
		return err
	}
	keys := make([][]byte, len(req.Keys))
	for i, k := range req.Keys {
		if keys[i], err = decodeKey(b64, k); err != nil {
			return badRequest("keys[%d] %v", i, err)
		}
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	values, found, err := st.MGet(ctx, keys)
	if err != nil {
		return storeError("mget", err)
	}
	if len(values) != len(keys) || len(found) != len(keys) {
		return storeError("mget", fmt.Errorf("store answered %d values and %d flags for %d keys",
			len(values), len(found), len(keys)))
	}
	body, err := mgetAnswer(b64, req.Keys, values, found)
	if err != nil {
		return err
	}
	s.writeBody(w, r, http.StatusOK, "application/json", body)
	return nil
}

// mgetAnswer encodes the JSON answer of an mget: one item per key as sent,
// with its value when found, in base64 when b64. In text mode a value that
// is not UTF-8 is a 422 error: JSON would replace its bytes.
func mgetAnswer(b64 bool, keys []string, values [][]byte, found []bool) ([]byte, error) {
	items := make([]mgetItem, len(keys))
	strs := make([]string, len(keys)) // one allocation for the Value pointers
	for i, k := range keys {
		items[i] = mgetItem{Key: k, Found: found[i]}
		if !found[i] {
			continue
		}
		switch {
		case b64:
			strs[i] = base64.StdEncoding.EncodeToString(values[i])
		case !utf8.Valid(values[i]):
			return nil, errorf(http.StatusUnprocessableEntity,
				"value of key %q is not valid UTF-8: ask with \"encoding\":\"base64\"", k)
		default:
			strs[i] = string(values[i])
		}
		items[i].Value = &strs[i]
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		Items []mgetItem `json:"items"`
	}{items}) // cannot fail: strings and bools only
	return buf.Bytes(), err
}

// serveMSet answers POST /v1/{pool}/mset.
func (s *Server) serveMSet(w http.ResponseWriter, r *http.Request, st Store) error {
	if r.Method != http.MethodPost {
		return methodNotAllowed(r.Method, http.MethodPost)
	}
	var req msetRequest
	if err := s.readJSON(w, r, &req); err != nil {
		return err
	}
	b64, err := parseEncoding(req.Encoding)
	if err != nil {
		return err
	}
	if err := s.checkCount("items", len(req.Items)); err != nil {
		return err
	}
	keys := make([][]byte, len(req.Items))
	values := make([][]byte, len(req.Items))
	for i, it := range req.Items {
		if keys[i], err = decodeKey(b64, it.Key); err != nil {
			return badRequest("items[%d].key %v", i, err)
		}
		if it.Value == nil {
			return badRequest("items[%d] has no value", i)
		}
		if b64 {
			if values[i], err = base64.StdEncoding.DecodeString(*it.Value); err != nil {
				return badRequest("items[%d].value is not base64: %v", i, err)
			}
		} else {
			values[i] = []byte(*it.Value)
		}
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	if err := st.MSet(ctx, keys, values, time.Duration(req.TTL)); err != nil {
		return storeError("mset", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// readJSON reads r's body into v: one JSON object, UTF-8, no unknown
// fields, nothing after it. Any fault is 400 (or 413/415 from readBody).
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	if !utf8.Valid(body) {
		return badRequest("body is not UTF-8 (binary keys and values go in base64)")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if he := (*httpError)(nil); errors.As(err, &he) { // from jsonTTL
			return he
		}
		return badRequest("bad JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("bad JSON body: data after the object")
	}
	return nil
}

// checkCount refuses an mget or mset of no keys (400) or more than
// Config.MaxKeys (413); what names the field.
func (s *Server) checkCount(what string, n int) error {
	if n == 0 {
		return badRequest("%s is empty", what)
	}
	if n > s.cfg.MaxKeys {
		return errorf(http.StatusRequestEntityTooLarge, "%d %s, over the limit of %d", n, what, s.cfg.MaxKeys)
	}
	return nil
}

// parseEncoding returns whether the encoding field asks for base64: "" and
// "text" mean plain strings, "base64" standard base64 with padding.
func parseEncoding(enc string) (b64 bool, err error) {
	switch enc {
	case "", "text":
		return false, nil
	case "base64":
		return true, nil
	}
	return false, badRequest("unknown encoding %q (want \"text\" or \"base64\")", enc)
}

// decodeKey returns the bytes of a key as sent: s itself, or decoded from
// base64. Its error, which says what is wrong with an empty or undecodable
// key, is meant to follow the key's name in a message.
func decodeKey(b64 bool, s string) ([]byte, error) {
	if !b64 {
		if s == "" {
			return nil, errEmpty
		}
		return []byte(s), nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("is not base64: %w", err)
	}
	if len(b) == 0 {
		return nil, errEmpty
	}
	return b, nil
}

// errEmpty is decodeKey's error for an empty key.
var errEmpty = errors.New("is empty")
