package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Format names accepted by Parse.
const (
	formatYAML = "yaml"
	formatTOML = "toml"
)

// Load reads the config file at path: .yml and .yaml files are twemproxy
// (nutcracker 0.5) YAML with its key names and defaults, .toml files are
// faed's native TOML. It fills defaults and validates. On failure the error
// is an Errors listing every problem, each an *Error naming file, line and
// key; a file that cannot be read gives one *Error wrapping the file
// system's error.
func Load(path string) (*Config, error) {
	format, err := formatOf(path)
	if err != nil {
		return nil, Errors{&Error{File: path, Msg: err.Error(), Err: ErrFormat}}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			msg = pe.Op + ": " + pe.Err.Error()
		}
		return nil, Errors{&Error{File: path, Msg: msg, Err: err}}
	}
	return Parse(data, path, format)
}

// Parse is Load on bytes already read. format is "yaml" (or "yml") or
// "toml"; name is used as the file name in messages and in Config.File.
func Parse(data []byte, name, format string) (*Config, error) {
	var c *Config
	ps := &problems{file: name}
	switch strings.ToLower(format) {
	case "yaml", "yml":
		c = parseYAML(data, ps)
	case "toml":
		c = parseTOML(data, ps)
	default:
		ps.add(0, "", ErrFormat, fmt.Sprintf("unknown format %q; want yaml or toml", format))
		return nil, ps.err()
	}
	if c == nil { // the document could not be read at all
		return nil, ps.err()
	}
	c.File = name
	if err := c.Validate(); err != nil {
		ps.errs = append(ps.errs, redundant(ps.errs, err.(Errors))...)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// redundant drops the validation errors that only repeat a parse error. A
// value that could not be read is left at its default, so Validate may report
// the key missing or its default out of place; a pool that could not be read
// is empty, so Validate reports its required keys missing.
func redundant(parsed, validated Errors) Errors {
	type where struct {
		key  string
		line int
	}
	bad := map[where]bool{}
	for _, e := range parsed {
		e := e.(*Error)
		bad[where{e.Key, 0}] = true
		bad[where{e.Key, e.Line}] = true
	}
	return slices.DeleteFunc(validated, func(err error) bool {
		e := err.(*Error)
		if bad[where{e.Key, e.Line}] {
			return true
		}
		if !errors.Is(e, ErrMissing) {
			return false
		}
		pool, _, _ := cutLast(e.Key, ".")
		return bad[where{e.Key, 0}] || bad[where{pool, 0}]
	})
}

// formatOf picks the format from a file name's extension.
func formatOf(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".yml", ".yaml":
		return formatYAML, nil
	case ".toml":
		return formatTOML, nil
	default:
		return "", fmt.Errorf("unknown config format %q; want .yml, .yaml (twemproxy) or .toml", ext)
	}
}
