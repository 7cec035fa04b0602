package service_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fae-dev/fae/service"
)

// A Balancer spreads requests over replicas; endpoints come and go while it
// serves.
func ExampleBalancer() {
	b := service.NewBalancer[string, string](service.PeakEWMA, nil)
	for _, name := range []string{"cache-a", "cache-b"} {
		b.Add(name, service.Func[string, string](func(_ context.Context, key string) (string, error) {
			return "value of " + key, nil
		}))
	}
	rep, err := b.Serve(context.Background(), "k1")
	fmt.Println(rep, err, b.Size())

	b.Remove("cache-a")
	b.Remove("cache-b")
	_, err = b.Serve(context.Background(), "k2")
	fmt.Println(errors.Is(err, service.ErrNoEndpoints))
	// Output:
	// value of k1 <nil> 2
	// true
}

// The pipelined proxy, which completes requests through callbacks, keeps a
// Load per endpoint itself and calls Pick, Begin and End around each
// request.
func ExamplePick() {
	loads := []*service.Load{new(service.Load), new(service.Load), new(service.Load)}
	dead := 2 // say, marked dead by failure accrual
	loads[0].Begin()
	loads[0].Begin() // two requests in flight on endpoint 0

	i := service.Pick(service.LeastLoaded, loads, func(i int) bool { return i != dead }, nil)
	start := loads[i].Begin()
	// ... send the request to endpoint i; when its reply comes back:
	loads[i].End(start)
	fmt.Println("picked", i)
	// Output:
	// picked 1
}

// Load.Cost follows the slowest recent latency at once and forgets it
// slowly.
func ExampleLoad() {
	var l service.Load
	for _, d := range []time.Duration{time.Millisecond, 80 * time.Millisecond, time.Millisecond} {
		l.Begin()
		l.End(time.Now().Add(-d)) // a request that took d
	}
	ms := func(cost float64) string { return fmt.Sprintf("%.0fms", cost/float64(time.Millisecond)) }
	now := time.Now()
	fmt.Println("now:", ms(l.Cost(now)))
	fmt.Println("after 10s idle:", ms(l.Cost(now.Add(service.DefaultTau))))
	// Output:
	// now: 80ms
	// after 10s idle: 29ms
}

// exampleConn stands for a connection to a backend that answers one
// request at a time.
type exampleConn struct{ id int }

// A ConnPool serves a backend that cannot pipeline; PooledService turns it
// into a Service.
func ExamplePooledService() {
	dialled := 0
	pool, err := service.NewConnPool(service.ConnPoolConfig[*exampleConn]{
		Dial: func(context.Context) (*exampleConn, error) {
			dialled++
			return &exampleConn{id: dialled}, nil
		},
		Close: func(*exampleConn) error { return nil },
		High:  4,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()

	upper := service.PooledService(pool, func(_ context.Context, c *exampleConn, req string) (string, error) {
		return fmt.Sprintf("%s via conn %d", strings.ToUpper(req), c.id), nil
	}, nil)
	for _, req := range []string{"select 1", "select 2"} {
		rep, err := upper.Serve(context.Background(), req)
		fmt.Println(rep, err)
	}
	size, idle, waiters := pool.Stats()
	fmt.Println("size", size, "idle", idle, "waiters", waiters)
	// Output:
	// SELECT 1 via conn 1 <nil>
	// SELECT 2 via conn 1 <nil>
	// size 1 idle 1 waiters 0
}
