package httpapi

import "github.com/fae-dev/fae/tier"

// Store is one pool as the HTTP API sees it: tier.Store. The server never
// modifies or reuses the slices it passes to a Store, nor those a Store
// returns, so a Store may keep the former and return slices it holds.
// Errors are mapped to HTTP statuses: an error wrapping backend.ErrTimeout
// (or context.DeadlineExceeded) is 504, one wrapping ErrBadRequest is 400
// with the error's text, any other is 502.
type Store = tier.Store
