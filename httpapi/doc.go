// Package httpapi is faed's HTTP/JSON front: a REST API over the keys of the
// pools, for clients that would rather speak HTTP than RESP.
//
// # Data flow
//
// Server's handler stamps every request with a request id (the client's
// X-Request-Id when it is sane, else one it generates), routes by hand on
// r.URL.Path (no ServeMux: no path cleaning, no redirects, and %2F inside a
// key stays part of the key), looks the pool up in an immutable map built by
// New and calls the pool's Store:
//
//	GET|HEAD|PUT|DELETE /v1/{pool}/keys/{key}  -> Store.Get / Set / Delete
//	POST /v1/{pool}/mget                       -> Store.MGet
//	POST /v1/{pool}/mset                       -> Store.MSet
//	GET|HEAD /v1/health                        -> answered from memory
//
// Request bodies are read whole (bounded by Config.MaxBody, before and after
// decoding gzip or deflate) before the Store is called. Responses are built
// whole and written once, compressed with gzip or deflate when the client
// accepts it and the body reaches Config.CompressMin. Handlers return an error
// instead of writing one; serve turns it into the JSON error body and the
// HTTP status at one place (errors.go), so a Store's error meets HTTP only at
// the edge: backend.ErrTimeout is 504, ErrBadRequest 400, anything else 502.
//
// # Goroutines
//
// The package starts none of its own: net/http's Server runs one goroutine per
// connection, owned by Server. Shutdown stops accepting, lets requests in
// flight finish and waits for them (http.Server.Shutdown).
//
// # Locks
//
// None. The pool map, the health body and the configuration never change
// after New; the request id counter is an atomic; compressors are reused
// through a sync.Pool owned by the Server.
package httpapi
