package httpapi

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"strings"
	"testing"
)

// compress returns b compressed with coding: gzip, deflate (zlib) or raw
// (a raw deflate stream).
func compress(t *testing.T, coding string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "deflate":
		w = zlib.NewWriter(&buf)
	case "raw":
		w, _ = flate.NewWriter(&buf, flate.DefaultCompression)
	default:
		t.Fatalf("unknown coding %q", coding)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decompress decodes a response body sent with Content-Encoding coding.
func decompress(t *testing.T, coding string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	var err error
	switch coding {
	case "":
		return b
	case "gzip":
		r, err = gzip.NewReader(bytes.NewReader(b))
	case "deflate":
		r, err = zlib.NewReader(bytes.NewReader(b))
	default:
		t.Fatalf("unexpected Content-Encoding %q", coding)
	}
	if err != nil {
		t.Fatalf("%s body: %v", coding, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s body: %v", coding, err)
	}
	return out
}

func TestRequestBodyCodings(t *testing.T) {
	c, st := alpha(t, Config{})
	value := bytes.Repeat([]byte("compressible value \x00\xff "), 100)
	tests := []struct {
		name, header string
		body         []byte
	}{
		{"gzip", "gzip", compress(t, "gzip", value)},
		{"x-gzip", "x-gzip", compress(t, "gzip", value)},
		{"deflate zlib", "deflate", compress(t, "deflate", value)},
		{"deflate raw", "deflate", compress(t, "raw", value)},
		{"upper case", "GZIP", compress(t, "gzip", value)},
		{"identity", "identity", value},
		{"gzip then identity", "gzip, identity", compress(t, "gzip", value)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := strings.ReplaceAll(tc.name, " ", "-")
			c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/"+key, bytes.NewReader(tc.body),
				"Content-Encoding", tc.header)
			if got, _ := st.raw(t, []byte(key)); !bytes.Equal(got, value) {
				t.Fatalf("lcache holds %d bytes, want the %d decoded bytes", len(got), len(value))
			}
		})
	}
	t.Run("mset gzip", func(t *testing.T) {
		body := compress(t, "gzip", []byte(`{"items":[{"key":"z","value":"zipped"}]}`))
		c.expect(http.StatusNoContent, "POST", "/v1/alpha/mset", bytes.NewReader(body), "Content-Encoding", "gzip")
		if got, _ := st.raw(t, []byte("z")); string(got) != "zipped" {
			t.Fatalf("lcache z = %q, want \"zipped\"", got)
		}
	})
	t.Run("mget deflate", func(t *testing.T) {
		body := compress(t, "deflate", []byte(`{"keys":["z"]}`))
		got := c.expect(200, "POST", "/v1/alpha/mget", bytes.NewReader(body), "Content-Encoding", "deflate")
		if want := `{"items":[{"key":"z","found":true,"value":"zipped"}]}` + "\n"; string(got) != want {
			t.Fatalf("mget: %s, want %s", got, want)
		}
	})
}

func TestRequestBodyCodingErrors(t *testing.T) {
	c, _ := alpha(t, Config{MaxBody: 1000})
	gz := compress(t, "gzip", []byte("hello"))
	corrupt := bytes.Clone(gz)
	corrupt[len(corrupt)-5] ^= 0xff // the CRC
	tests := []struct {
		name, coding string
		body         []byte
		status       int
		wantErr      string
	}{
		{"corrupt gzip", "gzip", corrupt, 400, "bad gzip body"},
		{"truncated gzip", "gzip", gz[:len(gz)-4], 400, "bad gzip body"},
		{"not gzip", "gzip", []byte("hello"), 400, "bad gzip body"},
		{"empty gzip", "gzip", nil, 400, "bad gzip body"},
		{"not deflate", "deflate", []byte("\xff\xff\xff hello"), 400, "bad deflate body"},
		{"gzip trailing garbage", "gzip", append(bytes.Clone(gz), "junk"...), 400, "bad gzip body"},
		{"brotli", "br", []byte("x"), 415, `unsupported Content-Encoding \"br\"`},
		{"two codings", "gzip, gzip", gz, 415, "unsupported Content-Encoding"},
		{"bomb", "gzip", compress(t, "gzip", make([]byte, 1<<20)), 413, "request body over 1000 bytes"},
		{"bomb deflate", "deflate", compress(t, "deflate", make([]byte, 1<<20)), 413, "over 1000 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := c.expect(tc.status, "PUT", "/v1/alpha/keys/k", bytes.NewReader(tc.body), "Content-Encoding", tc.coding)
			if !strings.Contains(string(body), tc.wantErr) {
				t.Errorf("body %s, want it to contain %q", body, tc.wantErr)
			}
		})
	}
	c.expect(http.StatusNotFound, "GET", "/v1/alpha/keys/k", nil)
}

func TestResponseCompression(t *testing.T) {
	c, _ := alpha(t, Config{})
	big := bytes.Repeat([]byte("0123456789abcdef"), 256) // 4 KiB
	small := []byte("tiny")
	c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/big", bytes.NewReader(big))
	c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/small", bytes.NewReader(small))
	tests := []struct {
		accept, want string // want: the Content-Encoding of the big value
	}{
		{"", ""},
		{"gzip", "gzip"},
		{"deflate", "deflate"},
		{"x-gzip", "gzip"},
		{"GZIP", "gzip"},
		{"gzip, deflate, br, zstd", "gzip"},
		{"deflate, gzip", "gzip"},
		{"gzip;q=0.4, deflate;q=0.5", "deflate"},
		{"gzip;q=0, deflate", "deflate"},
		{"gzip;q=0", ""},
		{"*", "gzip"},
		{"*;q=0", ""},
		{"*, gzip;q=0", "deflate"},
		{"identity", ""},
		{"br", ""},
		{"gzip;q=bogus", ""},
	}
	for _, tc := range tests {
		t.Run("accept "+tc.accept, func(t *testing.T) {
			res, body := c.do("GET", "/v1/alpha/keys/big", nil, "Accept-Encoding", tc.accept)
			if got := res.Header.Get("Content-Encoding"); got != tc.want {
				t.Fatalf("Content-Encoding %q, want %q", got, tc.want)
			}
			if got := res.Header.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("Vary %q, want Accept-Encoding", got)
			}
			if got := decompress(t, tc.want, body); !bytes.Equal(got, big) {
				t.Errorf("decoded body of %d bytes differs from the value", len(got))
			}
			if tc.want != "" && len(body) >= len(big) {
				t.Errorf("compressed body of %d bytes, not smaller than %d", len(body), len(big))
			}
			res, body = c.do("GET", "/v1/alpha/keys/small", nil, "Accept-Encoding", tc.accept)
			if res.Header.Get("Content-Encoding") != "" || res.Header.Get("Vary") != "" || string(body) != "tiny" {
				t.Errorf("small value: Content-Encoding %q, Vary %q, body %q; want none, none, \"tiny\"",
					res.Header.Get("Content-Encoding"), res.Header.Get("Vary"), body)
			}
		})
	}
	t.Run("HEAD", func(t *testing.T) {
		res, _ := c.do("HEAD", "/v1/alpha/keys/big", nil, "Accept-Encoding", "gzip")
		if res.Header.Get("Content-Encoding") != "" || res.Header.Get("Content-Length") != "4096" {
			t.Errorf("HEAD: Content-Encoding %q, Content-Length %q; want none, 4096",
				res.Header.Get("Content-Encoding"), res.Header.Get("Content-Length"))
		}
	})
	t.Run("mget", func(t *testing.T) {
		res, body := c.do("POST", "/v1/alpha/mget", text(`{"keys":["big","small"]}`), "Accept-Encoding", "gzip")
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("mget: %d, Content-Encoding %q; want 200 gzip", res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		want := `{"items":[{"key":"big","found":true,"value":"` + string(big) +
			`"},{"key":"small","found":true,"value":"tiny"}]}` + "\n"
		if got := decompress(t, "gzip", body); string(got) != want {
			t.Errorf("mget decoded body differs: %.80s...", got)
		}
	})
	t.Run("threshold", func(t *testing.T) {
		c, _ := alpha(t, Config{CompressMin: 8})
		c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/k", text("12345678"))
		res, body := c.do("GET", "/v1/alpha/keys/k", nil, "Accept-Encoding", "gzip")
		if res.Header.Get("Content-Encoding") != "gzip" || string(decompress(t, "gzip", body)) != "12345678" {
			t.Errorf("8-byte value with CompressMin 8: Content-Encoding %q", res.Header.Get("Content-Encoding"))
		}
	})
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		values []string
		want   string
	}{
		{nil, ""},
		{[]string{"gzip"}, "gzip"},
		{[]string{"br", "deflate"}, "deflate"},
		{[]string{" gzip ; q=0.5 , deflate ; q=0.6 "}, "deflate"},
		{[]string{"gzip;level=1;q=0.2, deflate;q=0.1"}, "gzip"},
		{[]string{"gzip;q=1.5"}, ""},
		{[]string{"gzip;q=-1"}, ""},
		{[]string{"deflate;q=0.5, *"}, "gzip"},
		{[]string{","}, ""},
	}
	for _, tc := range tests {
		if got := negotiate(tc.values); got != tc.want {
			t.Errorf("negotiate(%q) = %q, want %q", tc.values, got, tc.want)
		}
	}
}
