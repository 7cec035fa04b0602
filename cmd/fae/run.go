package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit statuses of every command.
const (
	exitOK      = 0 // success
	exitFailure = 1 // the command ran and failed: a bad config, faed unreachable or refusing
	exitUsage   = 2 // bad flags or arguments
)

// errReported makes a command exit with exitFailure after it has written its
// own messages to stderr.
var errReported = errors.New("failure already reported")

// usageError is a command's complaint about its arguments: it is printed with
// the command's usage and the command exits with exitUsage.
type usageError string

func (e usageError) Error() string { return string(e) }

// action runs a command once its flags are parsed; args are the arguments
// left. It returns nil on success, errReported, a usageError, or an error to
// print as "fae: NAME: message".
type action func(args []string, stdout, stderr io.Writer) error

// command is one fae subcommand.
type command struct {
	name     string
	synopsis string // the usage line, after "fae "
	summary  string // one line for the command list
	help     string // paragraphs shown by "fae help NAME"
	// flags defines the command's flags on fs and returns the action that
	// uses them once fs is parsed.
	flags func(fs *flag.FlagSet) action
}

// commands returns fae's commands in the order "fae help" lists them.
func commands() []*command {
	return []*command{checkCommand, locateCommand, statsCommand, topCommand, reloadCommand}
}

// run is fae with its arguments (without the program name) and output
// streams; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		mainUsage(stderr)
		return exitUsage
	}
	switch name := args[0]; name {
	case "help", "-h", "-help", "--help":
		return runHelp(args[1:], stdout, stderr)
	default:
		cmd := lookup(name)
		if cmd == nil {
			fmt.Fprintf(stderr, "fae: unknown command %q\n\n", name)
			mainUsage(stderr)
			return exitUsage
		}
		return cmd.run(args[1:], stdout, stderr)
	}
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// runHelp is "fae help [COMMAND]".
func runHelp(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		mainUsage(stdout)
		return exitOK
	case len(args) > 1:
		fmt.Fprintln(stderr, "fae help: give at most one command")
		return exitUsage
	}
	cmd := lookup(args[0])
	if cmd == nil {
		fmt.Fprintf(stderr, "fae help: unknown command %q\n\n", args[0])
		mainUsage(stderr)
		return exitUsage
	}
	fs, _ := cmd.flagSet(io.Discard)
	cmd.usage(stdout, fs)
	return exitOK
}

// run parses the command's flags and runs it.
func (c *command) run(args []string, stdout, stderr io.Writer) int {
	fs, act := c.flagSet(stderr)
	rest, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.usage(stdout, fs)
		return exitOK
	case err != nil: // the flag package has printed what is wrong
		fmt.Fprintln(stderr)
		c.usage(stderr, fs)
		return exitUsage
	}
	err = act(rest, stdout, stderr)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "fae %s: %s\n\n", c.name, ue)
		c.usage(stderr, fs)
		return exitUsage
	case errors.Is(err, errReported):
		return exitFailure
	}
	fmt.Fprintf(stderr, "fae %s: %v\n", c.name, err)
	return exitFailure
}

// flagSet returns the command's flags, which report errors on stderr and
// leave the usage text to the command, and the action that uses them.
func (c *command) flagSet(stderr io.Writer) (*flag.FlagSet, action) {
	fs := flag.NewFlagSet("fae "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	return fs, c.flags(fs)
}

// usage writes the command's synopsis, help and flags.
func (c *command) usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: fae %s\n\n%s\n", c.synopsis, strings.TrimSpace(c.help))
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprint(w, "\nFlags:\n")
		out := fs.Output()
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(out)
	}
	fmt.Fprint(w, "\nExit status: 0 success, 1 failure, 2 usage error.\n")
}

// mainUsage writes fae's usage: the commands, the environment, the exit
// statuses.
func mainUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: fae COMMAND [flags] [arguments]

fae checks faed configs, shows where keys live, and reads and steers a
running faed through its admin server.

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `  %-8s %s

Environment:
  FAE_ADMIN  faed's admin address for stats, top and reload (default %s)
  FAE_TOKEN  the admin token for stats, top and reload

Exit status:
  0  success
  1  failure: an invalid config, faed unreachable or refusing the request
  2  usage error: an unknown command, flag or missing argument

Run "fae help COMMAND" or "fae COMMAND -h" for a command's flags.
`, "help", "show the usage of fae or of a command", defaultAdminAddr)
}

// parseInterspersed parses fs from args, allowing flags after positional
// arguments ("fae locate KEY -c FILE"); everything after "--" is positional.
// It returns the positional arguments in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if used := len(args) - len(left); used > 0 && args[used-1] == "--" {
			return append(pos, left...), nil
		}
		if len(left) == 0 {
			return pos, nil
		}
		pos = append(pos, left[0])
		args = left[1:]
	}
}
