package service

import (
	"context"
	"time"
)

// Stats returns a filter that counts the requests of one endpoint in m:
// Requests and Pending when a request is sent, then Latency in
// milliseconds and either Success or a Failure by Cause(err) when it ends.
// isFailure tells failures from successes (an error reply from a server may
// count as a success); nil means err != nil. A nil m makes the filter
// return next unchanged. The returned Service is safe for concurrent use if
// next is.
func Stats[Req, Rep any](m *Endpoint, isFailure func(error) bool) Filter[Req, Rep] {
	if isFailure == nil {
		isFailure = func(err error) bool { return err != nil }
	}
	return func(next Service[Req, Rep]) Service[Req, Rep] {
		if m == nil {
			return next
		}
		return Func[Req, Rep](func(ctx context.Context, req Req) (Rep, error) {
			m.Requests.Inc()
			m.Pending.Inc()
			start := time.Now()
			rep, err := next.Serve(ctx, req)
			m.Latency.Observe(float64(time.Since(start)) / float64(time.Millisecond))
			m.Pending.Dec()
			if isFailure(err) {
				m.Failure(Cause(err))
			} else {
				m.Success.Inc()
			}
			return rep, err
		})
	}
}
