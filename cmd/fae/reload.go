package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

var reloadCommand = &command{
	name:     "reload",
	synopsis: "reload [-a ADDR | -c FILE] [-token TOKEN]",
	summary:  "make faed reload its config file",
	help: `
Asks faed to read its config file again and apply it (POST /reload on its
admin server). Prints "reloaded" when faed accepted the new config. When faed
refuses it, the running config stays, reload prints faed's reasons and
exits 1.`,
	flags: func(fs *flag.FlagSet) action {
		af := addAdminFlags(fs)
		return func(args []string, stdout, stderr io.Writer) error {
			if len(args) > 0 {
				return usageError(fmt.Sprintf("unexpected argument %q", args[0]))
			}
			c, err := af.client()
			if err != nil {
				return err
			}
			if err := c.reload(context.Background()); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "reloaded")
			return nil
		}
	},
}
