package config

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Kinds of configuration problem. Every *Error wraps one of them (or, for a
// file that cannot be read, the error from the file system); test for them
// with errors.Is.
var (
	// ErrSyntax reports a file that is not well-formed YAML or TOML.
	ErrSyntax = errors.New("syntax error")
	// ErrFormat reports a file name or format that is neither YAML nor TOML.
	ErrFormat = errors.New("unknown config format")
	// ErrUnknownKey reports a key the format does not define.
	ErrUnknownKey = errors.New("unknown key")
	// ErrDuplicate reports a key, pool name, listen address or server name
	// given twice.
	ErrDuplicate = errors.New("duplicate")
	// ErrMissing reports a required key that is absent.
	ErrMissing = errors.New("missing")
	// ErrInvalid reports a value of the wrong type or out of range.
	ErrInvalid = errors.New("invalid value")
)

// Error is one configuration problem: where it is and what is wrong.
// Error() is "file:line: key: msg", leaving out the parts that are unknown
// ("line 3: key: msg" when there is no file name).
type Error struct {
	// File is the config's path or name; "" for a config built in code.
	File string
	// Line is the 1-based line of the problem; 0 when it has no line.
	Line int
	// Key is the dotted path of the key, such as "alpha.hash" in YAML or
	// "pools.alpha.hash" in TOML; "" for a problem with the whole file.
	Key string
	// Msg says what is wrong and, where it helps, what is expected.
	Msg string
	// Err is the kind of problem (ErrSyntax, ErrUnknownKey, ...) or the
	// file system's error. It is what Unwrap returns.
	Err error
}

// Error returns "file:line: key: msg".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Line > 0 && e.File == "":
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
	case e.Line > 0:
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	switch {
	case e.Msg != "":
		b.WriteString(e.Msg)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the kind of problem, for errors.Is.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem found in one config, in file order. Each element is
// an *Error. Load, Parse and Validate return a non-empty Errors or nil.
type Errors []error

// Error returns the problems one per line.
func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the problems, so errors.Is and errors.As look at each.
func (es Errors) Unwrap() []error { return es }

// problems collects the errors of one config as it is read and validated.
type problems struct {
	file string
	errs Errors
}

func (ps *problems) add(line int, key string, kind error, msg string) {
	ps.errs = append(ps.errs, &Error{File: ps.file, Line: line, Key: key, Msg: msg, Err: kind})
}

// err returns the problems sorted by line (stable, so problems on one line
// keep the order they were found in), or nil when there are none.
func (ps *problems) err() error {
	if len(ps.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(ps.errs, func(a, b error) int {
		return cmp.Compare(a.(*Error).Line, b.(*Error).Line)
	})
	return ps.errs
}
