package service

import (
	"sync/atomic"
	"time"
)

// window counts events over the last n seconds in one-second buckets. It is
// lock-free: a bucket whose second has passed is reset by the first writer
// of its new second (a write racing that reset may be lost, which only makes
// the count approximate). The zero value is not usable; see newWindow.
type window struct {
	buckets []bucket
}

type bucket struct {
	sec  atomic.Int64 // the unix second the counts belong to
	a, b atomic.Int64 // two counters (success/failure, deposits/withdrawals)
}

func newWindow(d time.Duration) *window {
	n := int(d / time.Second)
	if n < 1 {
		n = 1
	}
	return &window{buckets: make([]bucket, n)}
}

// at returns the bucket of unix second sec, reset if it held an older second.
func (w *window) at(sec int64) *bucket {
	b := &w.buckets[sec%int64(len(w.buckets))]
	if old := b.sec.Load(); old != sec && b.sec.CompareAndSwap(old, sec) {
		b.a.Store(0)
		b.b.Store(0)
	}
	return b
}

// sums returns the totals of both counters over the window ending at sec.
func (w *window) sums(sec int64) (a, b int64) {
	n := int64(len(w.buckets))
	for i := range w.buckets {
		bk := &w.buckets[i]
		if s := bk.sec.Load(); s > sec-n && s <= sec {
			a += bk.a.Load()
			b += bk.b.Load()
		}
	}
	return a, b
}

// reset forgets every count.
func (w *window) reset() {
	for i := range w.buckets {
		w.buckets[i].sec.Store(0)
	}
}
