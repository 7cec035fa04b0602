package service

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// FailureAccrual returns a filter that applies the policy a to the service
// it wraps, one endpoint. While the endpoint is alive every outcome is
// recorded; the failure that marks it dead counts m.Removals. While it is
// dead requests fail at once with an error wrapping ErrDead, except that
// once a.ProbeAt has passed exactly one request at a time goes through as
// the probe: its success revives the endpoint (counting m.Revivals), its
// failure keeps it dead for a doubled period.
//
// isFailure tells failures from successes; nil means err != nil &&
// !errors.Is(err, context.Canceled). A request whose caller canceled it
// (ctx ended and the error is context.Canceled) says nothing about the
// endpoint and is not recorded. A nil m counts nothing. The filter is meant
// for one endpoint: wrapping several services with it shares a among them.
// The returned Service is safe for concurrent use if next is.
func FailureAccrual[Req, Rep any](a *Accrual, isFailure func(error) bool, m *Endpoint) Filter[Req, Rep] {
	if isFailure == nil {
		isFailure = defaultIsFailure
	}
	return func(next Service[Req, Rep]) Service[Req, Rep] {
		f := &accrualFilter[Req, Rep]{a: a, isFailure: isFailure, m: m, next: next}
		return Func[Req, Rep](f.serve)
	}
}

// defaultIsFailure counts every error but a cancellation as a failure.
func defaultIsFailure(err error) bool {
	return err != nil && !errors.Is(err, context.Canceled)
}

type accrualFilter[Req, Rep any] struct {
	a         *Accrual
	isFailure func(error) bool
	m         *Endpoint
	next      Service[Req, Rep]
	probing   atomic.Bool // a probe request is in flight
}

func (f *accrualFilter[Req, Rep]) serve(ctx context.Context, req Req) (Rep, error) {
	if !f.a.Alive() {
		return f.probe(ctx, req)
	}
	return f.serveAlive(ctx, req)
}

// serveAlive sends req and records its outcome.
func (f *accrualFilter[Req, Rep]) serveAlive(ctx context.Context, req Req) (Rep, error) {
	rep, err := f.next.Serve(ctx, req)
	if canceledByCaller(ctx, err) {
		return rep, err
	}
	if f.a.Record(time.Now(), !f.isFailure(err)) && f.m != nil {
		f.m.Removals.Inc()
	}
	return rep, err
}

// probe lets the request through as the dead endpoint's probe when one is
// due and none is in flight, and fails it with ErrDead otherwise.
func (f *accrualFilter[Req, Rep]) probe(ctx context.Context, req Req) (Rep, error) {
	at := f.a.ProbeAt()
	if at.IsZero() { // revived since Alive was read
		return f.serveAlive(ctx, req)
	}
	if time.Now().Before(at) || !f.probing.CompareAndSwap(false, true) {
		var zero Rep
		return zero, fmt.Errorf("%w: next probe at %s", ErrDead, at.Format(time.RFC3339Nano))
	}
	defer f.probing.Store(false)
	rep, err := f.next.Serve(ctx, req)
	if canceledByCaller(ctx, err) {
		return rep, err
	}
	if f.a.Probed(time.Now(), !f.isFailure(err)) && f.m != nil {
		f.m.Revivals.Inc()
	}
	return rep, err
}

// canceledByCaller reports whether err is only the caller giving up.
func canceledByCaller(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled)
}
