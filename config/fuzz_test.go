package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse in both formats. Parse must never
// panic; it returns either a config that validates or Errors made of *Error
// values, never both.
func FuzzParse(f *testing.F) {
	for _, c := range yamlErrorCases {
		f.Add([]byte(c.text))
	}
	for _, c := range tomlErrorCases {
		f.Add([]byte(c.text))
	}
	for _, pattern := range []string{"../examples/*", sharedPools} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("[pools.a]\nlisten = \"/tmp/a.sock 0600\"\nservant = \"lcache\"\nservant_max_memory = \"1GiB\"\n"))
	f.Add([]byte("a:\n  listen: ::1:1\n  servers:\n   - /tmp/x.sock:1 n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []string{"yaml", "toml"} {
			c, err := Parse(data, "fuzz", format)
			if err == nil {
				if c == nil || len(c.Pools) == 0 {
					t.Fatalf("%s: Parse returned no error and no pools", format)
				}
				if err := c.Validate(); err != nil {
					t.Fatalf("%s: Parse accepted a config that Validate rejects: %v", format, err)
				}
				continue
			}
			if c != nil {
				t.Fatalf("%s: Parse returned both a config and %v", format, err)
			}
			errs, ok := err.(Errors)
			if !ok || len(errs) == 0 {
				t.Fatalf("%s: error %v (%T) is not a non-empty Errors", format, err, err)
			}
			for _, e := range errs {
				var ce *Error
				if !errors.As(e, &ce) || ce.File != "fuzz" || ce.Line < 0 {
					t.Fatalf("%s: element %v (%T) is not an *Error naming the file", format, e, e)
				}
			}
		}
	})
}
