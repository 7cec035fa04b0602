package loadkit

import "sync"

// Start runs work(0) .. work(n-1), each in its own goroutine, and returns a
// channel closed once every one has returned. The caller owns the
// goroutines: it stops them by the means work watches (a flag, a deadline)
// and waits on the channel, with a timeout if a worker may hang.
func Start(n int, work func(w int)) <-chan struct{} {
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() { work(w) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}
