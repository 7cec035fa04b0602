package main

import (
	"os"
	"os/exec"
	"slices"
	"syscall"
)

// daemonize starts faed again without -d, detached in a new session with
// standard streams on /dev/null (logs go to -o or [server] log_file), and
// returns its pid. Go cannot fork a running process, so it re-executes.
func daemonize(args []string) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		return a == "-d" || a == "--d" || a == "-daemonize" || a == "--daemonize"
	})
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	cmd := exec.Command(exe, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	return pid, cmd.Process.Release()
}
