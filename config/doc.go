// Package config reads faed's configuration: the pools, each a listener and
// the servers (or the in-process servant) behind it.
//
// Two formats describe the same Config:
//
//   - twemproxy YAML (.yml, .yaml): a nutcracker 0.5 file runs unchanged. The
//     keys, their defaults and their value syntax are nutcracker's (times in
//     milliseconds, booleans exactly true or false, numbers digits only), and
//     so are its checks: an unknown or repeated key is an error, as it is for
//     nutcracker.
//   - native TOML (.toml): one [pools.NAME] table per pool, durations as
//     strings ("400ms"), protocol = "redis" by default, and servants.
//
// docs/config.md lists every key; examples/ holds a file of each format.
//
// # Data flow
//
// Load picks the format from the file name and calls Parse. Parse decodes the
// document into a tree that keeps file order and lines (yaml.Node for YAML;
// go-toml's unstable parser for TOML, after toml.Unmarshal has checked the
// syntax), starts every pool from the defaults of its format (defaultPool),
// applies the keys it finds, then runs Validate. Problems do not stop the
// reading: every one found is returned at once as Errors, sorted by line,
// each an *Error with file, line, key and message that wraps one of the
// sentinel kinds (ErrSyntax, ErrUnknownKey, ...), so callers test them with
// errors.Is and errors.As.
//
// Validate works on a Config built in code too; there it does not fill
// defaults, since a zero value has a meaning of its own (Timeout 0 waits
// forever).
//
// # Concurrency
//
// The package has no goroutines and no package-level mutable state. A Config
// is a plain value: treat one returned by Load, Parse or Default as immutable
// and share it between goroutines; a reload reads a new one.
package config
