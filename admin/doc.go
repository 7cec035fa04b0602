// Package admin is faed's admin HTTP server: Prometheus /metrics, /stats
// (JSON), /healthz and /readyz, /config (secrets redacted), /debug/pprof,
// POST /reload, the degrade switches under /degrade, and the live dashboard
// at /. It observes and steers a Target (faed's proxy.Server).
package admin
