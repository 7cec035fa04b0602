package service

import "context"

// Service is anything that answers a request: a backend server, a pool, a
// chain of filters around either. Implementations must be safe for
// concurrent use.
type Service[Req, Rep any] interface {
	// Serve answers req. It returns ctx.Err() (possibly wrapped) when ctx
	// ends first.
	Serve(ctx context.Context, req Req) (Rep, error)
}

// Func adapts an ordinary function to a Service, as http.HandlerFunc does
// for http.Handler.
type Func[Req, Rep any] func(ctx context.Context, req Req) (Rep, error)

// Serve calls f(ctx, req).
func (f Func[Req, Rep]) Serve(ctx context.Context, req Req) (Rep, error) { return f(ctx, req) }

// Filter wraps the next Service with some behaviour (a timeout, retries,
// failure accounting). Filters are applied once, when a chain is built, never
// per request.
type Filter[Req, Rep any] func(next Service[Req, Rep]) Service[Req, Rep]

// Chain returns s wrapped in filters; the first filter is the outermost, the
// one a request meets first. Chain(s) is s.
func Chain[Req, Rep any](s Service[Req, Rep], filters ...Filter[Req, Rep]) Service[Req, Rep] {
	for i := len(filters) - 1; i >= 0; i-- {
		s = filters[i](s)
	}
	return s
}
