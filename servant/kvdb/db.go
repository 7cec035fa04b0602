package kvdb

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/fae-dev/fae/servant/kvcmd"
)

// DefaultMaxMemory is the size of pebble's block cache when Config.MaxMemory
// is zero: 64 MiB.
const DefaultMaxMemory = 64 << 20

// DefaultSweepInterval is the pause between two sweeps of expired keys when
// Config.SweepInterval is zero.
const DefaultSweepInterval = time.Minute

// diskSlowThreshold is how long a disk write may take before kvdb logs it
// as slow, pebble's default.
const diskSlowThreshold = 5 * time.Second

// Sentinel errors of this package.
var (
	// ErrInvalidConfig is returned, wrapped with the reason, by
	// Config.Validate and Open for a configuration that cannot work.
	ErrInvalidConfig = errors.New("kvdb: invalid config")
	// ErrFormat is returned by Open, wrapped, for a directory whose data
	// was written in a format this version cannot read.
	ErrFormat = errors.New("kvdb: unsupported data format")
	// ErrCorrupt wraps the error a command or Open meets on a stored record
	// it cannot decode.
	ErrCorrupt = errors.New("kvdb: corrupt record")
	// ErrClosed is returned by Sweep after Close.
	ErrClosed = errors.New("kvdb: closed")
)

// Config configures a DB. Dir is required; every other zero field takes its
// default.
type Config struct {
	// Dir is the data directory, created if missing. One DB at a time may
	// use it: pebble locks it. Required.
	Dir string
	// MaxMemory is the size in bytes of pebble's block cache, which holds
	// recently read data blocks. It bounds neither the data, which lives on
	// disk, nor pebble's memtables (4 MiB each by default). Zero means
	// DefaultMaxMemory; a negative value is invalid.
	MaxMemory int64
	// Sync makes every write wait until its write-ahead log record is
	// fsynced. False (the default) writes the record to the operating
	// system without waiting: a crash of the process loses nothing that was
	// acknowledged, a crash of the machine may lose the last writes.
	Sync bool
	// SweepInterval is the pause between two passes of the background
	// sweeper, which deletes the records of expired keys that no command
	// has touched since they expired. Zero means DefaultSweepInterval; a
	// negative value disables the sweeper (reads still hide expired keys
	// and delete them lazily).
	SweepInterval time.Duration
	// Logger receives pebble's messages: informational ones at debug
	// level, errors at error level. Nil means slog.Default().
	Logger *slog.Logger
}

// Validate reports a configuration that Open would reject, wrapping
// ErrInvalidConfig.
func (cfg Config) Validate() error {
	switch {
	case cfg.Dir == "":
		return fmt.Errorf("%w: Dir is empty", ErrInvalidConfig)
	case cfg.MaxMemory < 0:
		return fmt.Errorf("%w: MaxMemory %d is negative", ErrInvalidConfig, cfg.MaxMemory)
	}
	return nil
}

// withDefaults returns cfg with every zero field replaced by its default.
func (cfg Config) withDefaults() Config {
	if cfg.MaxMemory == 0 {
		cfg.MaxMemory = DefaultMaxMemory
	}
	if cfg.SweepInterval == 0 {
		cfg.SweepInterval = DefaultSweepInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg
}

// DB executes Redis string commands and memcache commands against a
// persistent store of strings with per-key TTLs, kept by pebble in a
// directory. The zero value is not usable: create one with Open. A DB is
// safe for concurrent use by any number of goroutines.
type DB struct {
	pdb *pebble.DB
	// health stops the disk health checker of pebble's file system.
	health io.Closer
	wo     *pebble.WriteOptions
	log    *slog.Logger
	// eng runs the commands on the store (see store.go); it holds the key
	// stripes and the delayed memcache flush_all.
	eng *kvcmd.Engine
	// now is the clock of TTLs, in unix milliseconds.
	now func() int64
	// life is held shared by every command and sweep step, and exclusively
	// by Close while it closes pebble, which must not run concurrently
	// with any other pebble call.
	life   sync.RWMutex
	closed bool // guarded by life
	// casSeq is the last cas unique given out; casCeil is the bound up to
	// which cas uniques are reserved on disk (see store.go).
	casSeq  atomic.Uint64
	casCeil atomic.Uint64
	casMu   sync.Mutex
	// keyBufs holds *[]byte buffers for prefixed keys.
	keyBufs sync.Pool
	// quit is closed by Close to stop the sweeper; sweeping is its exit.
	quit      chan struct{}
	sweeping  sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Open opens or creates the store in cfg.Dir and starts its sweeper. It
// returns an error wrapping ErrInvalidConfig for a bad cfg, ErrFormat for a
// directory kvdb cannot read, or pebble's error.
func Open(cfg Config) (*DB, error) {
	return open(cfg, nowMillis)
}

// open is Open with the clock of TTLs.
func open(cfg Config, clock func() int64) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cache := pebble.NewCache(cfg.MaxMemory)
	defer cache.Unref()
	// kvdb, not pebble, owns the disk health checker, which pebble would
	// leave running after a failed Open.
	fs, health := vfs.WithDiskHealthChecks(vfs.Default, diskSlowThreshold, nil, func(info vfs.DiskSlowInfo) {
		cfg.Logger.Warn("kvdb: slow disk", "path", info.Path, "op", info.OpType.String(), "duration", info.Duration)
	})
	pdb, err := pebble.Open(cfg.Dir, &pebble.Options{
		Cache:              cache,
		FS:                 fs,
		Logger:             pebbleLogger{cfg.Logger},
		FormatMajorVersion: pebble.FormatNewest,
	})
	if err != nil {
		health.Close()
		return nil, fmt.Errorf("kvdb: open %s: %w", cfg.Dir, err)
	}
	db := &DB{
		pdb: pdb, health: health, wo: pebble.NoSync, log: cfg.Logger, now: clock, quit: make(chan struct{}),
	}
	db.eng = kvcmd.New(kvcmd.Config{Name: "kvdb", Store: (*dbStore)(db), Now: clock, Logger: cfg.Logger})
	if cfg.Sync {
		db.wo = pebble.Sync
	}
	if err := db.loadMeta(); err != nil {
		_ = pdb.Close()
		health.Close()
		return nil, fmt.Errorf("kvdb: open %s: %w", cfg.Dir, err)
	}
	if cfg.SweepInterval > 0 {
		db.sweeping.Add(1)
		go db.sweeper(cfg.SweepInterval)
	}
	return db, nil
}

// Close stops the sweeper, waits for the commands under way, and closes the
// store, which flushes nothing more: every acknowledged write is already in
// the write-ahead log. Later commands reply with an error. Close is
// idempotent and safe to call from any goroutine; every call returns the
// error of the first.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.quit)
		db.sweeping.Wait()
		db.life.Lock()
		defer db.life.Unlock()
		db.closed = true
		if err := db.pdb.Close(); err != nil {
			db.closeErr = fmt.Errorf("kvdb: close: %w", err)
		}
		db.health.Close()
	})
	return db.closeErr
}

// enter takes the shared hold on db for one command or sweep step, or
// returns false after Close. A true result must be paired with leave.
func (db *DB) enter() bool {
	db.life.RLock()
	if db.closed {
		db.life.RUnlock()
		return false
	}
	return true
}

// leave releases the hold that enter took.
func (db *DB) leave() { db.life.RUnlock() }

// nowMillis is the clock of TTLs: unix time in milliseconds, as redis's mstime.
func nowMillis() int64 { return time.Now().UnixMilli() }

// pebbleLogger hands pebble's messages to slog.
type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug("kvdb: pebble: " + fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error("kvdb: pebble: " + fmt.Sprintf(format, args...))
}

// Fatalf logs and then lets pebble's own logger end the process, as pebble
// expects of a fatal error (it does not continue after one).
func (l pebbleLogger) Fatalf(format string, args ...any) {
	l.Errorf(format, args...)
	pebble.DefaultLogger.Fatalf(format, args...)
}
