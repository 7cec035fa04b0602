// Package admin is faed's admin HTTP server: Prometheus /metrics, /stats
// (JSON), /healthz and /readyz, /config (secrets redacted), /debug/pprof,
// POST /reload, the degrade switches under /degrade, and the live dashboard
// at /. It observes and steers a Target (faed's proxy.Server).
//
// # Endpoints
//
//	GET  /               the dashboard (HTML)                         200
//	GET  /metrics        Prometheus text of Target.Gatherer           200
//	GET  /stats          Target.Stats as JSON (?pretty=1 indents)     200
//	GET  /healthz        "ok" while the process serves HTTP           200
//	GET  /readyz         "ready" / "not ready" from Target.Ready      200, 503
//	GET  /config         Target.Config as JSON (?pretty=1 indents)    200
//	POST /reload         Target.Reload: {"ok":true}                   200
//	                     or {"ok":false,"error":..,"errors":[..]}     422
//	GET  /degrade        the switches that are on, a JSON list        200
//	POST /degrade        one Switch as JSON → Target.Degrade; answers
//	                     the switch list after the change             200
//	                     bad JSON, unknown kind, missing pool, server
//	                     or class, or another error of Degrade        400
//	                     Degrade's error wraps ErrNotFound            404
//	                     body over MaxBodyBytes                       413
//	     /debug/pprof/…  net/http/pprof (index, cmdline, profile,
//	                     symbol, trace and the named profiles)
//
// A path that is known with another method is answered 405 with an Allow
// header (GET /reload, for one); an unknown path 404. Errors are JSON
// {"ok":false,"error":"..."}, except those two, which come from the mux.
//
// With Config.Token set, every request but /healthz needs the header
// "Authorization: Bearer TOKEN", else 401 with a JSON error and a
// WWW-Authenticate header. GET / also takes ?token=TOKEN, as a browser
// cannot send the header when it opens a page.
//
// # Dashboard
//
// GET / serves dashboard.html, embedded: inline CSS and JavaScript, no
// external asset. The page reads /stats every second (sending the bearer
// token of its ?token=), keeps five minutes of snapshots, and shows rates
// and latency quantiles computed from two consecutive snapshots: a rate is
// the counter's growth over the growth of uptime_seconds; a quantile comes
// from the difference of the cumulative latency_buckets, interpolated
// linearly inside its bucket (as Prometheus' histogram_quantile). A pool's
// latency is its commands' (the client's view); a server's is its own.
//
// Tests and scripts read the page through stable attributes:
//
//	body[data-polls]                    successful reads of /stats
//	#summary [data-field=F]             F: status version uptime
//	                                    client_connections total_connections
//	                                    in_flight rps shed reloads reload_errors
//	section.pool[data-pool=P]           one per pool, in /stats order
//	  .pool-summary [data-field=F]      F: client_connections rps eps p50 p99
//	  canvas[data-chart=C]              C: rps latency eps; data-points
//	  tr[data-pool=P][data-server=S]    one per server
//	    td[data-field=F]                F: name role health rps eps tps p50
//	                                    p99 pending connections ejects
//	li[data-switch=KIND][data-pool=P]   one per switch that is on
//
// Every field carries data-value: the raw number (requests/s, ms), "" while
// unknown (before the second snapshot, or a quantile without requests), or
// for health space-separated words among alive, dead, forced_down and
// failed_over. A server's eps counts its failures, tps its timeouts. The
// package admintest drives the page in headless Chromium.
//
// # Goroutines and locks
//
// Start runs one goroutine, http.Server.Serve, which net/http fans out into
// one goroutine per connection; Close shuts the server down gracefully and
// waits for the Serve goroutine. Server.mu guards only the start/close
// state; no lock is held while a Target method runs, so the Target may
// take its own locks freely. The handlers keep no state between requests.
//
// Importing net/http/pprof registers its handlers on http.DefaultServeMux
// as well; the admin server never serves that mux, only its own.
package admin
