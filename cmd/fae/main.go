// Command fae inspects and steers faed, the fae proxy daemon: it validates
// config files (check), shows which server holds a key and why (locate), and
// reads and drives a running faed through its admin server (stats, top,
// reload). Run "fae help" for the commands; docs/cli.md describes them.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
