package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/fae-dev/fae/config"
)

var checkCommand = &command{
	name:     "check",
	synopsis: "check -c FILE [FILE...]",
	summary:  "validate config files",
	help: `
Loads and validates each config file as faed would: .yml and .yaml files are
twemproxy (nutcracker) YAML, .toml files faed's native format. A good file
prints "FILE: ok (N pools)" on stdout. A bad one prints every problem on
stderr, one per line as "file:line: key: message", and check exits 1.
Files may be given with -c or as arguments.`,
	flags: func(fs *flag.FlagSet) action {
		file := fs.String("c", "", "config `FILE` to check (.yml, .yaml or .toml)")
		return func(args []string, stdout, stderr io.Writer) error {
			files := args
			if *file != "" {
				files = append([]string{*file}, args...)
			}
			if len(files) == 0 {
				return usageError("no config file; give one with -c FILE")
			}
			return check(files, stdout, stderr)
		}
	},
}

// check loads every file, reporting each on stdout (ok) or stderr (its
// problems). It returns errReported if any file is bad.
func check(files []string, stdout, stderr io.Writer) error {
	var failed bool
	for _, f := range files {
		cfg, err := config.Load(f)
		if err != nil {
			failed = true
			printConfigErrors(stderr, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s)\n", f, plural(len(cfg.Pools), "pool"))
	}
	if failed {
		return errReported
	}
	return nil
}

// printConfigErrors writes a config error one problem per line.
func printConfigErrors(w io.Writer, err error) {
	var errs config.Errors
	if !errors.As(err, &errs) {
		fmt.Fprintln(w, err)
		return
	}
	for _, e := range errs {
		fmt.Fprintln(w, e)
	}
}

// plural returns "1 pool", "2 pools".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
