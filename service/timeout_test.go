package service

import (
	"context"
	"errors"
	"testing"
	"time"
)

// deadlineService reports the deadline of the context it was given and,
// when block is set, fails only when that context ends.
type deadlineService struct {
	block bool
	err   error
	seen  chan time.Time // zero time: no deadline
}

func (s *deadlineService) Serve(ctx context.Context, _ string) (string, error) {
	dl, _ := ctx.Deadline()
	s.seen <- dl
	if s.block {
		<-ctx.Done()
		return "", ctx.Err()
	}
	return "ok", s.err
}

func TestTimeout(t *testing.T) {
	tests := []struct {
		name     string
		d        time.Duration
		caller   time.Duration // the caller's timeout; 0 for none
		block    bool
		err      error
		wantErrs []error
		wantDL   time.Duration // deadline next sees, from the call; 0 for none
	}{
		{name: "reply in time", d: time.Hour, wantDL: time.Hour},
		{name: "backend error passes", d: time.Hour, err: errTestApp, wantErrs: []error{errTestApp}, wantDL: time.Hour},
		{name: "expires", d: 20 * time.Millisecond, block: true,
			wantErrs: []error{ErrTimeout, context.DeadlineExceeded}, wantDL: 20 * time.Millisecond},
		{name: "earlier caller deadline wins", d: time.Hour, caller: 20 * time.Millisecond, block: true,
			wantErrs: []error{ErrTimeout, context.DeadlineExceeded}, wantDL: 20 * time.Millisecond},
		{name: "later caller deadline loses", d: 20 * time.Millisecond, caller: time.Hour, block: true,
			wantErrs: []error{ErrTimeout}, wantDL: 20 * time.Millisecond},
		{name: "zero d: no timeout", d: 0},
		{name: "zero d keeps caller deadline", d: 0, caller: time.Hour, wantDL: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.caller > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.caller)
				defer cancel()
			}
			backend := &deadlineService{block: tt.block, err: tt.err, seen: make(chan time.Time, 1)}
			start := time.Now()
			rep, err := Timeout[string, string](tt.d)(backend).Serve(ctx, "x")
			for _, want := range tt.wantErrs {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want one wrapping %q", err, want)
				}
			}
			if len(tt.wantErrs) == 0 && (err != nil || rep != "ok") {
				t.Errorf("Serve = %q, %v; want \"ok\", nil", rep, err)
			}
			seen := <-backend.seen
			checkDeadline(t, seen, start, tt.wantDL)
			if callerDL, ok := ctx.Deadline(); ok && (tt.d <= 0 || tt.caller < tt.d) && !seen.Equal(callerDL) {
				t.Errorf("next saw deadline %v, want the caller's, %v", seen, callerDL)
			}
		})
	}
}

// checkDeadline checks that dl is about want after start (zero want: no
// deadline).
func checkDeadline(t *testing.T, dl, start time.Time, want time.Duration) {
	t.Helper()
	if want == 0 {
		if !dl.IsZero() {
			t.Errorf("next saw deadline %v, want none", dl.Sub(start))
		}
		return
	}
	if got := dl.Sub(start); got > want+time.Second || got < want-time.Second {
		t.Errorf("next saw deadline %v after the call, want about %v", got, want)
	}
}
