package httpapi

import (
	"context"
	"time"
)

// Store is one pool as the HTTP API sees it. Implementations are safe for
// concurrent use.
//
// The server never modifies or reuses the slices it passes to a Store, nor
// those a Store returns, so a Store may keep the former and return slices it
// holds. Errors are mapped to HTTP statuses: an error wrapping
// backend.ErrTimeout (or context.DeadlineExceeded) is 504, one wrapping
// ErrBadRequest is 400 with the error's text, any other is 502.
type Store interface {
	// Get returns the value of key; found is false when the key does not exist.
	Get(ctx context.Context, key []byte) (value []byte, found bool, err error)
	// Set stores value under key, expiring after ttl; ttl 0 means no expiry.
	Set(ctx context.Context, key, value []byte, ttl time.Duration) error
	// Delete removes key; found reports whether it existed.
	Delete(ctx context.Context, key []byte) (found bool, err error)
	// MGet returns, for each key in order, its value and whether it exists:
	// len(values) == len(found) == len(keys), and values[i] is nil when
	// found[i] is false. Keys may repeat.
	MGet(ctx context.Context, keys [][]byte) (values [][]byte, found []bool, err error)
	// MSet stores values[i] under keys[i] for every i (len(keys) ==
	// len(values)), each expiring after ttl; ttl 0 means no expiry. When a
	// key repeats, the last value wins.
	MSet(ctx context.Context, keys, values [][]byte, ttl time.Duration) error
}
