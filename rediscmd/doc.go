// Package rediscmd is fae's table of Redis commands: for every command of
// Redis 7.0 it holds the name, arity, key positions and read/write flags
// Redis reports in COMMAND, and how the proxy handles it (Kind).
//
// # Data flow
//
// The Redis front of the proxy decodes a request into its arguments, calls
// Lookup on args[0], checks Command.ArityOK, and then acts on Kind:
// Local commands are answered by the session; Single, Multi and SameServer
// commands are routed by the arguments Command.Keys reports (one key; keys
// split per server; keys that must share one server); Unsupported commands
// are answered with an error built from Command.Reason. Command.Blocking
// flags requests that would block a shared backend connection (XREAD with
// BLOCK is a SameServer command otherwise).
//
// # Choices for container commands
//
// Commands with subcommands keep Redis' key positions (0 0 0) and find keys
// per subcommand: OBJECT, XINFO and XGROUP are Single, routed by the key at
// index 2 (OBJECT ENCODING key, XINFO STREAM key, XGROUP CREATE key ...);
// their key-less subcommands such as HELP report no key. CLIENT and COMMAND
// are Local; the proxy decides which of their subcommands it answers. MEMORY,
// CONFIG, ACL, CLUSTER, LATENCY, MODULE and SLOWLOG are Unsupported as
// administrative commands, SCRIPT and FUNCTION for having no key to route
// by, PUBSUB as pub/sub.
//
// docs/redis-commands.md lists every command by kind; it is generated from
// the table by the package tests, which also compare the table with the
// COMMAND and COMMAND GETKEYS replies of a live redis-server.
//
// # Concurrency
//
// The table is built at package initialisation and never modified: there
// are no goroutines and no locks, and every function and method is safe for
// concurrent use. Lookup and Keys do not allocate.
package rediscmd

//go:generate go test -run TestCommandsDoc -update .
