package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// batchSize is the number of bytes the writer goroutine gathers, at most,
// before it writes; it writes sooner whenever the queue runs empty.
const batchSize = 64 << 10

// Logger is faed's logger: a *slog.Logger whose records are formatted by
// the goroutine that logs and written by one goroutine of the Logger's own,
// so that logging never waits for the disk (see the package doc). Create
// one with New and stop it with Close. Safe for concurrent use; a nil or
// zero Logger is not usable.
type Logger struct {
	log   *slog.Logger
	level *slog.LevelVar
	q     *queue
	file  *RotatingFile // nil when writing to standard error
	slow  *SlowLog      // nil when the slow log is off

	done     chan struct{} // closed when the writer goroutine has exited
	flushErr error         // the writer goroutine's last write error; read after done

	closeOnce sync.Once
	closeErr  error
}

// New validates cfg, fills in its defaults, opens cfg.File (if any) and
// starts the writer goroutine. The caller owns the Logger and must Close it
// to flush the queued records and stop the goroutine.
func New(cfg Config) (*Logger, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.File == "" {
		return start(cfg, os.Stderr, nil, os.Stderr), nil
	}
	f, err := newRotatingFile(cfg, time.Now)
	if err != nil {
		return nil, err
	}
	return start(cfg, f, f, os.Stderr), nil
}

// start builds the Logger over sink and starts its writer goroutine. cfg
// must be valid and have its defaults. file, if not nil, is sink and is
// closed by Close. Errors writing to sink are reported on fallback.
func start(cfg Config, sink io.Writer, file *RotatingFile, fallback io.Writer) *Logger {
	level, _ := ParseLevel(cfg.Level) // valid: checked by the caller
	l := &Logger{
		level: new(slog.LevelVar),
		q:     newQueue(cfg.Buffer),
		file:  file,
		done:  make(chan struct{}),
	}
	l.level.Set(level)
	l.log = slog.New(newHandler(cfg.Format, l.q, l.level))
	if cfg.SlowThreshold > 0 {
		l.slow = NewSlowLog(l.log, cfg.SlowThreshold, cfg.SlowSample)
	}
	w := &writer{q: l.q, sink: sink, fallback: fallback}
	w.notice = slog.New(newHandler(cfg.Format, &w.noticeBuf, slog.LevelDebug))
	go func() {
		defer close(l.done)
		l.flushErr = w.run()
	}()
	return l
}

// newHandler returns slog's text or JSON handler writing to w.
func newHandler(format string, w io.Writer, level slog.Leveler) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}

// Slog returns the *slog.Logger to log with. Its handler is slog's text or
// JSON handler, so With and WithGroup work as usual; it is safe for
// concurrent use and never blocks. Records logged after Close are dropped.
func (l *Logger) Slog() *slog.Logger { return l.log }

// SlowLog returns the slow-request log, or nil when Config.SlowThreshold
// is zero (or l is nil). SlowLog's methods accept a nil receiver.
func (l *Logger) SlowLog() *SlowLog {
	if l == nil {
		return nil
	}
	return l.slow
}

// SetLevel changes the lowest level logged, for a configuration reload.
// Safe for concurrent use with logging.
func (l *Logger) SetLevel(level slog.Level) { l.level.Set(level) }

// Dropped returns the number of records lost so far because the queue was
// full (or because they were logged after Close). It only grows.
func (l *Logger) Dropped() int64 { return l.q.dropped.Load() }

// Reopen closes and reopens the log file, for an external logrotate that
// has renamed it; it does not rotate. It does nothing when logging to
// standard error. Safe for concurrent use with logging.
func (l *Logger) Reopen() error {
	if l.file == nil {
		return nil
	}
	return l.file.Reopen()
}

// Close stops logging: it writes out every record queued, stops the writer
// goroutine, waits for it, and closes the log file. It returns the error of
// the last write, if it failed, and of closing the file. Close is
// idempotent and safe from any goroutine; later calls wait for the first
// and return its result.
func (l *Logger) Close() error {
	l.closeOnce.Do(func() {
		l.q.close()
		<-l.done
		err := l.flushErr
		if l.file != nil {
			err = errors.Join(err, l.file.Close())
		}
		l.closeErr = err
	})
	return l.closeErr
}

// writer is the state of the writer goroutine, which alone touches it.
type writer struct {
	q        *queue
	sink     io.Writer
	fallback io.Writer

	notice    *slog.Logger // formats the "dropped N records" notices into noticeBuf
	noticeBuf bytes.Buffer
	reported  int64 // drops already announced

	failing bool  // the last write failed; its error was reported on fallback
	lastErr error // the last write's error
}

// run writes the queued records until the queue is closed and drained. It
// gathers records into batches, writing whenever the queue runs empty or a
// batch reaches batchSize, and returns the last write's error.
func (w *writer) run() error {
	batch := make([]byte, 0, batchSize)
	for bp := range w.q.ch {
		batch = append(batch, *bp...)
		w.q.put(bp)
		batch = w.noteDrops(batch)
		if len(batch) >= batchSize || len(w.q.ch) == 0 {
			w.write(batch)
			batch = batch[:0]
			if cap(batch) > 4*batchSize { // grown by a huge record: let it go
				batch = make([]byte, 0, batchSize)
			}
		}
	}
	if batch = w.noteDrops(batch); len(batch) > 0 {
		w.write(batch)
	}
	return w.lastErr
}

// noteDrops appends a "dropped N records" notice to batch if records were
// dropped since the last notice. It is called after taking a record off
// the queue, that is when there is room again.
func (w *writer) noteDrops(batch []byte) []byte {
	total := w.q.dropped.Load()
	n := total - w.reported
	if n <= 0 {
		return batch
	}
	w.reported = total
	w.notice.LogAttrs(context.Background(), slog.LevelWarn,
		fmt.Sprintf("dropped %d records", n),
		slog.Int64("dropped", n), slog.Int64("dropped_total", total))
	batch = append(batch, w.noticeBuf.Bytes()...)
	w.noticeBuf.Reset()
	return batch
}

// write writes batch to the sink. The first failure after a success is
// reported on fallback; the records of a failed write are lost.
func (w *writer) write(batch []byte) {
	_, err := w.sink.Write(batch)
	w.lastErr = err
	if err == nil {
		w.failing = false
		return
	}
	if !w.failing && w.fallback != nil {
		fmt.Fprintf(w.fallback, "logs: writing the log: %v (reported again only after a write succeeds)\n", err)
	}
	w.failing = true
}
