// Package testkit starts real servers (redis-server, memcached, nutcracker,
// mariadbd) for
// tests on free loopback ports, waits until they answer and stops them when the
// test ends. StartToxiproxy puts an in-process toxiproxy (v2.12.0) in front of
// any of them to inject latency, stalls, resets and cut links.
//
// Every Start function registers a t.Cleanup that kills the process and waits for
// it, so a test never leaks a server. A missing binary fails the test when the
// environment variable CI is "true" (naming the Debian package to install) and
// skips it otherwise.
//
// Helpers poll for readiness with a deadline; none of them sleeps for a fixed time.
// They are safe to call from parallel tests: each server gets its own port and
// temporary directory.
package testkit
