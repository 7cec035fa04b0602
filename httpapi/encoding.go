package httpapi

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// compressLevel is the level responses are compressed at: a proxy's CPU is
// better spent on requests than on the last few percent of ratio.
const compressLevel = flate.BestSpeed

// errBodyTooLarge is returned by readAll when the decoded body passes the
// limit.
var errBodyTooLarge = errors.New("body too large")

// readBody reads r's whole body, decoding a gzip or deflate Content-Encoding.
// Bodies over Config.MaxBody, as sent or decoded, are 413; an unknown coding
// is 415; a body that does not decode is 400.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := s.cfg.MaxBody
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	coding, err := requestCoding(r.Header["Content-Encoding"])
	if err != nil {
		return nil, err
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	var src io.Reader = body
	hint := 0
	switch coding {
	case "":
		hint = int(max(r.ContentLength, 0))
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, bodyError(coding, err, limit)
		}
		src = zr
	case "deflate":
		src, err = newDeflateReader(body)
		if err != nil {
			return nil, bodyError(coding, err, limit)
		}
	}
	b, err := readAll(src, limit, hint)
	if err != nil {
		return nil, bodyError(coding, err, limit)
	}
	return b, nil
}

// tooLarge is the 413 of a body over limit bytes.
func tooLarge(limit int64) error {
	return errorf(http.StatusRequestEntityTooLarge, "request body over %d bytes", limit)
}

// bodyError classifies an error reading a body: 413 when a limit was hit,
// else 400 naming the coding.
func bodyError(coding string, err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, errBodyTooLarge) {
		return tooLarge(limit)
	}
	if coding == "" {
		return badRequest("reading body: %v", err)
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF // an empty body is a truncated stream
	}
	return badRequest("bad %s body: %v", coding, err)
}

// requestCoding returns the one content coding of a request body: "" for
// none (or identity), "gzip" or "deflate". Others, and several codings, are
// 415.
func requestCoding(values []string) (string, error) {
	coding := ""
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.ToLower(strings.TrimSpace(part))
			switch part {
			case "", "identity":
				continue
			case "x-gzip":
				part = "gzip"
			}
			if coding != "" || (part != "gzip" && part != "deflate") {
				return "", errorf(http.StatusUnsupportedMediaType,
					"unsupported Content-Encoding %q (want gzip or deflate)", strings.Join(values, ", "))
			}
			coding = part
		}
	}
	return coding, nil
}

// newDeflateReader decodes a deflate body: the zlib format (RFC 1950) that
// HTTP's "deflate" names, or, as many clients send, a raw deflate stream
// (RFC 1951), told apart by the zlib header.
func newDeflateReader(body io.Reader) (io.Reader, error) {
	br := bufio.NewReader(body)
	if hdr, err := br.Peek(2); err == nil && isZlibHeader(hdr[0], hdr[1]) {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}

// isZlibHeader reports whether cmf, flg start a zlib stream: method 8
// (deflate), a window of at most 32 KiB, and the header check.
func isZlibHeader(cmf, flg byte) bool {
	return cmf&0x0f == 8 && cmf>>4 <= 7 && (uint16(cmf)<<8|uint16(flg))%31 == 0
}

// readAll reads r to its end into one slice sized for hint bytes; more than
// limit bytes is errBodyTooLarge.
func readAll(r io.Reader, limit int64, hint int) ([]byte, error) {
	b := make([]byte, 0, min(int64(max(hint, 512))+1, limit+1))
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return nil, errBodyTooLarge
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// writeBody answers r with status and body. A body of at least
// Config.CompressMin bytes carries Vary: Accept-Encoding and, for GET and
// POST, is compressed when the client accepts gzip or deflate. HEAD answers
// as an uncompressed GET would, without the body.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, status int, ctype string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	if len(body) >= s.cfg.CompressMin {
		h.Set("Vary", "Accept-Encoding")
		if r.Method != http.MethodHead {
			if coding := negotiate(r.Header["Accept-Encoding"]); coding != "" {
				s.writeCompressed(w, status, coding, body)
				return
			}
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body) // a failed write means the client is gone
	}
}

// writeCompressed answers with body compressed by coding ("gzip" or
// "deflate", the zlib format), streamed without a Content-Length.
func (s *Server) writeCompressed(w http.ResponseWriter, status int, coding string, body []byte) {
	w.Header().Set("Content-Encoding", coding)
	w.WriteHeader(status)
	// Write and Close errors mean the client is gone; nothing to answer.
	if coding == "gzip" {
		zw, _ := s.gzipWriters.Get().(*gzip.Writer)
		if zw == nil {
			zw, _ = gzip.NewWriterLevel(w, compressLevel) // valid level: no error
		} else {
			zw.Reset(w)
		}
		_, _ = zw.Write(body)
		_ = zw.Close()
		zw.Reset(io.Discard) // drop w before pooling
		s.gzipWriters.Put(zw)
		return
	}
	zw, _ := s.zlibWriters.Get().(*zlib.Writer)
	if zw == nil {
		zw, _ = zlib.NewWriterLevel(w, compressLevel)
	} else {
		zw.Reset(w)
	}
	_, _ = zw.Write(body)
	_ = zw.Close()
	zw.Reset(io.Discard)
	s.zlibWriters.Put(zw)
}

// negotiate picks the coding of a response from the request's
// Accept-Encoding values: "gzip" or "deflate", whichever has the higher
// q-value (gzip on a tie), or "" when neither is acceptable. "*" stands for
// any coding not named; q=0 refuses one.
func negotiate(values []string) string {
	if len(values) == 0 {
		return ""
	}
	gz, df, star := -1.0, -1.0, -1.0 // -1: not named
	for _, v := range values {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			name, params, _ := strings.Cut(part, ";")
			name = strings.TrimSpace(name)
			q := qValue(params)
			switch {
			case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
				gz = q
			case strings.EqualFold(name, "deflate"):
				df = q
			case name == "*":
				star = q
			}
		}
	}
	if gz < 0 {
		gz = star
	}
	if df < 0 {
		df = star
	}
	switch {
	case gz <= 0 && df <= 0:
		return ""
	case gz >= df:
		return "gzip"
	default:
		return "deflate"
	}
}

// qValue returns the q parameter among an Accept-Encoding element's
// parameters: 1 when absent, 0 when malformed.
func qValue(params string) float64 {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, val, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(name), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if err != nil || q < 0 || q > 1 {
				return 0
			}
			return q
		}
	}
	return 1
}
