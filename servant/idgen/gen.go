package idgen

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// The layout of an ID, from the most significant bit down:
//
//	bit  63      sign, always 0, so an ID is also a positive int64
//	bits 62..22  milliseconds since Epoch (TimeBits = 41, about 69.7 years)
//	bits 21..12  worker (WorkerBits = 10, 0 to MaxWorker)
//	bits 11..0   sequence within the millisecond (SeqBits = 12, 0 to MaxSeq)
//
// So id = ms<<22 | worker<<12 | seq, and one Gen issues at most 4096 IDs per
// millisecond.
const (
	// TimeBits is the width of the timestamp field.
	TimeBits = 41
	// WorkerBits is the width of the worker field.
	WorkerBits = 10
	// SeqBits is the width of the sequence field.
	SeqBits = 12

	// MaxWorker is the largest Config.Worker: 1023.
	MaxWorker = 1<<WorkerBits - 1
	// MaxSeq is the largest sequence number: 4095.
	MaxSeq = 1<<SeqBits - 1
	// maxMillis is the largest timestamp, about 69.7 years after Epoch.
	maxMillis = 1<<TimeBits - 1

	workerShift = SeqBits
	timeShift   = SeqBits + WorkerBits
)

// DefaultEpochMilli is the Epoch used when Config.Epoch is zero, in unix
// milliseconds: 2026-01-01T00:00:00Z.
const DefaultEpochMilli int64 = 1767225600000

// MaxClockBackward is how far behind the last issued ID the clock may be
// while a Gen keeps issuing IDs from its logical clock. Further behind, Next
// fails with ErrClockBackwards.
const MaxClockBackward = 5 * time.Second

// MaxCount is the most IDs one IDGEN COUNT command or one JSON call returns.
const MaxCount = 1000

const (
	// maxBehind is MaxClockBackward in milliseconds.
	maxBehind = int64(MaxClockBackward / time.Millisecond)
	// maxWait bounds how long Next waits for the clock to reach the next
	// millisecond when a millisecond's sequence is exhausted.
	maxWait = 2 * time.Millisecond
)

var (
	// ErrInvalidConfig is returned, wrapped with the reason, by
	// Config.Validate and New.
	ErrInvalidConfig = errors.New("idgen: invalid config")
	// ErrClockBackwards is returned, wrapped with the distance, by Next,
	// NextN and the protocol handlers when the clock reads more than
	// MaxClockBackward before the time of the last issued ID. The Gen
	// recovers by itself once the clock is back within that distance.
	ErrClockBackwards = errors.New("idgen: clock moved backwards")
	// ErrTimeRange is returned, wrapped with the reading, when the clock
	// reads a time before Epoch or more than 2^41 ms (about 69.7 years)
	// after it, where no ID can be formed.
	ErrTimeRange = errors.New("idgen: clock outside the range of the ID timestamp")
	// ErrCount is returned, wrapped with the count, by JSON for a count
	// outside 1 to MaxCount.
	ErrCount = errors.New("idgen: count out of range")
)

// Config configures a Gen. The zero value is ready to use: worker 0, the
// default epoch, the system clock.
type Config struct {
	// Worker is the worker ID placed in every ID, 0 to MaxWorker. Gens
	// running at the same time (in one process or many) need distinct
	// workers and the same Epoch for their IDs to be unique across them.
	// Default 0.
	Worker int
	// Epoch is the time of timestamp 0, truncated to the millisecond. A Gen
	// issues IDs from Epoch until about 69.7 years after it. It must lie
	// between 1970 and the year 9999. Changing it in a running deployment
	// breaks ordering and uniqueness with the IDs issued before. Zero means
	// 2026-01-01T00:00:00Z (DefaultEpochMilli).
	Epoch time.Time
	// Now reads the clock; only its wall-clock time is used. Nil means
	// time.Now. Tests inject a fake. The Gen calls it with its lock held,
	// so it must not call back into the Gen.
	Now func() time.Time
}

// Validate reports a configuration that New would reject, wrapping
// ErrInvalidConfig.
func (cfg Config) Validate() error {
	if cfg.Worker < 0 || cfg.Worker > MaxWorker {
		return fmt.Errorf("%w: Worker %d is outside 0 to %d", ErrInvalidConfig, cfg.Worker, MaxWorker)
	}
	if !cfg.Epoch.IsZero() && (cfg.Epoch.Year() < 1970 || cfg.Epoch.Year() > 9999) {
		return fmt.Errorf("%w: Epoch %s is outside the years 1970 to 9999", ErrInvalidConfig, cfg.Epoch.Format(time.RFC3339))
	}
	return nil
}

// withDefaults returns cfg with every zero field replaced by its default.
func (cfg Config) withDefaults() Config {
	if cfg.Epoch.IsZero() {
		cfg.Epoch = time.UnixMilli(DefaultEpochMilli)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// Gen issues unique IDs that increase strictly in the order they are
// issued. It is safe for concurrent use; make one with New.
type Gen struct {
	epoch   time.Time // Config.Epoch truncated to the millisecond, in UTC
	epochMs int64     // epoch in unix milliseconds
	worker  uint64    // Config.Worker, shifted into place
	now     func() time.Time
	wait    time.Duration // bound of one wait for the clock: maxWait, or a test's

	mu   sync.Mutex
	last int64 // timestamp of the last ID; -1 before the first
	seq  int64 // sequence number of the last ID
}

// New returns a Gen configured by cfg, or an error wrapping
// ErrInvalidConfig.
func New(cfg Config) (*Gen, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ms := cfg.Epoch.UnixMilli()
	return &Gen{
		epoch:   time.UnixMilli(ms).UTC(),
		epochMs: ms,
		worker:  uint64(cfg.Worker) << workerShift,
		now:     cfg.Now,
		wait:    maxWait,
		last:    -1,
		seq:     MaxSeq,
	}, nil
}

// Next returns a new ID, greater than every ID the Gen issued before. It
// may wait for the clock to tick, at most a few milliseconds. It fails with
// an error wrapping ErrClockBackwards or ErrTimeRange (see the package
// documentation).
func (g *Gen) Next() (uint64, error) {
	g.mu.Lock()
	id, err := g.next()
	g.mu.Unlock()
	return id, err
}

// NextN appends n new IDs to dst, in increasing order, and returns the
// extended slice. No other ID of the Gen is issued between them. n <= 0
// appends nothing. On error the returned slice holds the IDs issued before
// it. NextN holds the Gen's lock throughout, and waits for the clock to tick
// about once per 4096 IDs, so a large n delays other callers.
func (g *Gen) NextN(n int, dst []uint64) ([]uint64, error) {
	if n <= 0 {
		return dst, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for range n {
		id, err := g.next()
		if err != nil {
			return dst, err
		}
		dst = append(dst, id)
	}
	return dst, nil
}

// next issues one ID. g.mu must be held.
func (g *Gen) next() (uint64, error) {
	now, err := g.millis()
	if err != nil {
		return 0, err
	}
	switch {
	case now > g.last:
		return g.issue(now), nil
	case g.last-now > maxBehind:
		return 0, g.behind(g.last - now)
	case g.seq < MaxSeq:
		g.seq++
		return g.id(), nil
	}
	// The sequence of g.last is exhausted. When the clock is at g.last, or
	// as far behind it as allowed, wait for it to tick.
	if now == g.last || g.last-now == maxBehind {
		if now, err = g.tick(now); err != nil {
			return 0, err
		}
		if now > g.last {
			return g.issue(now), nil
		}
	}
	// The clock is behind g.last (or stuck): borrow the next millisecond.
	if g.last+1-now > maxBehind {
		return 0, g.behind(g.last + 1 - now)
	}
	if g.last == maxMillis {
		return 0, fmt.Errorf("%w: no millisecond left after %s", ErrTimeRange, g.epoch.Add(maxMillis*time.Millisecond).Format(time.RFC3339Nano))
	}
	return g.issue(g.last + 1), nil
}

// issue returns the first ID of millisecond ms. g.mu must be held.
func (g *Gen) issue(ms int64) uint64 {
	g.last, g.seq = ms, 0
	return g.id()
}

// id returns the ID of g.last and g.seq.
func (g *Gen) id() uint64 {
	return uint64(g.last)<<timeShift | g.worker | uint64(g.seq)
}

// tick waits until the clock reads later than now, yielding the processor
// between readings, for at most g.wait of real time. It returns the last
// reading.
func (g *Gen) tick(now int64) (int64, error) {
	deadline := time.Now().Add(g.wait)
	for {
		runtime.Gosched()
		t, err := g.millis()
		if err != nil || t > now || !time.Now().Before(deadline) {
			return t, err
		}
	}
}

// millis reads the clock in milliseconds since the epoch.
func (g *Gen) millis() (int64, error) {
	t := g.now()
	ms := t.UnixMilli() - g.epochMs
	if ms < 0 || ms > maxMillis {
		return 0, fmt.Errorf("%w: clock reads %s, epoch %s", ErrTimeRange, t.UTC().Format(time.RFC3339Nano), g.epoch.Format(time.RFC3339))
	}
	return ms, nil
}

// behind returns the error for a clock d milliseconds behind the time the
// next ID needs.
func (g *Gen) behind(d int64) error {
	return fmt.Errorf("%w: %v behind the last ID (limit %v)", ErrClockBackwards, time.Duration(d)*time.Millisecond, MaxClockBackward)
}

// Decode splits id into its time (in UTC, with millisecond precision),
// worker and sequence number. Epoch is the one the ID was issued with; zero
// means the default epoch. Decode is for debugging: it accepts any uint64.
func Decode(id uint64, epoch time.Time) (t time.Time, worker, seq int) {
	epochMs := DefaultEpochMilli
	if !epoch.IsZero() {
		epochMs = epoch.UnixMilli()
	}
	ms := int64(id>>timeShift) & maxMillis
	return time.UnixMilli(epochMs + ms).UTC(), int(id>>workerShift) & MaxWorker, int(id) & MaxSeq
}

// Decode is the package's Decode with the Gen's epoch.
func (g *Gen) Decode(id uint64) (t time.Time, worker, seq int) {
	return Decode(id, g.epoch)
}
