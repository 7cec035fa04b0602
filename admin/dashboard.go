package admin

import (
	_ "embed"
	"net/http"
)

// dashboardHTML is the live dashboard: one self-contained page (inline CSS
// and JavaScript, no external assets) that polls /stats every second.
//
//go:embed dashboard.html
var dashboardHTML []byte

// getDashboard answers GET /: the dashboard page.
func getDashboard(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy",
		"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:")
	h.Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(dashboardHTML)
}
