package logs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// RotatingFile is an io.WriteCloser that appends to a log file and rotates
// it by size and by age, keeping a bounded number of old files.
//
// Rotation renames the files down a numbered chain, logrotate style: File
// becomes File.1, File.1 becomes File.2, and so on up to File.MaxFiles,
// whose previous content is overwritten (and any File.N beyond it, left by
// a larger MaxFiles, is deleted); then a new, empty File is created. So
// File.1 is always the newest rotated file, and there are at most
// MaxFiles+1 files.
//
// A file is rotated before a write that would take it past MaxSize: Write
// splits its input at line ends, so that each line goes whole to one file
// and no file exceeds MaxSize unless a single line does. A file is rotated
// by age on the first write once MaxAge has passed since the file got its
// first byte from this RotatingFile (or since it was opened, if it already
// had content). An empty file is never rotated.
//
// If a rotation fails, Write keeps appending to the current file and
// returns the rotation's error along with n == len(p); the next write
// tries again. Files are created with mode 0644 (before umask).
//
// Safe for concurrent use. The zero RotatingFile is not usable; create one
// with NewRotatingFile.
type RotatingFile struct {
	path     string
	maxSize  int64         // <= 0: never by size
	maxAge   time.Duration // <= 0: never by age
	maxFiles int
	now      func() time.Time

	mu     sync.Mutex
	f      *os.File // nil after a failed open; the next Write retries
	size   int64
	born   time.Time // start of the current file's age
	closed bool
}

var _ io.WriteCloser = (*RotatingFile)(nil)

// NewRotatingFile opens cfg.File for appending, creating it and its
// directory if missing, and rotates it by cfg.MaxSize, cfg.MaxAge and
// cfg.MaxFiles (zero fields take their defaults). The other fields of cfg
// are validated but not used. An empty cfg.File is an error wrapping
// ErrInvalidConfig. The caller must Close the file.
func NewRotatingFile(cfg Config) (*RotatingFile, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.File == "" {
		return nil, fmt.Errorf("%w: File: empty; want a path", ErrInvalidConfig)
	}
	return newRotatingFile(cfg.withDefaults(), time.Now)
}

// newRotatingFile is NewRotatingFile for a valid cfg with its defaults,
// reading the time from now.
func newRotatingFile(cfg Config, now func() time.Time) (*RotatingFile, error) {
	r := &RotatingFile{
		path:     cfg.File,
		maxSize:  cfg.MaxSize,
		maxAge:   cfg.MaxAge,
		maxFiles: cfg.MaxFiles,
		now:      now,
	}
	if err := os.MkdirAll(filepath.Dir(r.path), 0o755); err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	if err := r.open(); err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	return r, nil
}

// open opens r.path for appending. r.mu is held or r is not yet shared.
func (r *RotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.size, r.born = f, fi.Size(), r.now()
	return nil
}

// name returns the path of the i-th rotated file; the 0th is the live one.
func (r *RotatingFile) name(i int) string {
	if i == 0 {
		return r.path
	}
	return r.path + "." + strconv.Itoa(i)
}

// Write appends p to the file, rotating it first, or at line ends within
// p, as the type's doc describes. After Close it returns ErrClosed.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, ErrClosed
	}
	if r.f == nil {
		if err := r.open(); err != nil {
			return 0, fmt.Errorf("logs: %w", err)
		}
	}
	var rotErr error
	if r.size == 0 {
		r.born = r.now()
	} else if r.maxAge > 0 && r.now().Sub(r.born) >= r.maxAge {
		if rotErr = r.rotate(); r.f == nil {
			return 0, rotErr
		}
	}
	n := 0
	for len(p) > 0 {
		chunk, rotate := r.fit(p)
		if rotate && rotErr == nil {
			if rotErr = r.rotate(); r.f == nil {
				return n, rotErr
			}
			continue // r.size is 0 now, or the rotation failed
		}
		if rotate {
			chunk = p // a rotation failed: append the rest here
		}
		w, err := r.f.Write(chunk)
		n += w
		r.size += int64(w)
		if err != nil {
			return n, errors.Join(rotErr, fmt.Errorf("logs: %w", err))
		}
		p = p[len(chunk):]
	}
	return n, rotErr
}

// fit returns the longest run of whole lines at the head of p that the
// current file has room for, or rotate true if the file must be rotated
// first. Into an empty file the first line goes however long it is.
func (r *RotatingFile) fit(p []byte) (chunk []byte, rotate bool) {
	if r.maxSize <= 0 || r.size+int64(len(p)) <= r.maxSize {
		return p, false
	}
	if room := r.maxSize - r.size; room > 0 {
		if i := bytes.LastIndexByte(p[:room], '\n'); i >= 0 {
			return p[:i+1], false
		}
	}
	if r.size > 0 {
		return nil, true
	}
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		return p[:i+1], false
	}
	return p, false
}

// rotate shifts the numbered files and opens a new, empty live file. On
// error r.f is the reopened live file, or nil if even that failed. r.mu is
// held.
func (r *RotatingFile) rotate() error {
	var errs []error
	if err := r.f.Close(); err != nil {
		errs = append(errs, err)
	}
	r.f = nil
	for i := r.maxFiles; i > 0; i-- {
		err := os.Rename(r.name(i-1), r.name(i))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	// Delete the files past MaxFiles that a larger MaxFiles left behind.
	for i := r.maxFiles + 1; os.Remove(r.name(i)) == nil; i++ {
	}
	if err := r.open(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("logs: rotating %s: %w", r.path, errors.Join(errs...))
	}
	return nil
}

// Reopen closes the file and opens its path again, creating it if it is
// gone: an external logrotate renames the file and then asks for this (on
// SIGHUP, say). It does not rotate. After Close it returns ErrClosed.
func (r *RotatingFile) Reopen() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	var errs []error
	if r.f != nil {
		if err := r.f.Close(); err != nil {
			errs = append(errs, err)
		}
		r.f = nil
	}
	if err := r.open(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("logs: reopening %s: %w", r.path, errors.Join(errs...))
	}
	return nil
}

// Close closes the file. It is idempotent: later calls return nil.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	if err != nil {
		return fmt.Errorf("logs: %w", err)
	}
	return nil
}
