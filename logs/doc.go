// Package logs is faed's logging: log/slog records as text or JSON, at a
// configured level, written by a goroutine of their own so that logging
// never blocks the request path; a log file rotated by size and age with a
// bounded number of old files; and a sampled slow-request log.
//
// # Data flow
//
//	caller goroutines                      writer goroutine (one per Logger)
//	-----------------                      ---------------------------------
//	slog.Logger (Logger.Slog)
//	  └ slog.TextHandler / JSONHandler
//	      formats the record, then one
//	      Write of the whole line to
//	  └ queue.Write
//	      copies it into a pooled buffer,
//	      sends it without waiting ──chan (Config.Buffer records)──▶ batch
//	      or drops and counts it                                      │
//	                                              RotatingFile or stderr
//
// The stdlib handlers do the formatting, in the goroutine that logs, so
// With and WithGroup behave exactly as in log/slog; only their io.Writer is
// replaced by the queue. The writer goroutine appends the records it takes
// off the channel to a batch and writes the batch whenever the channel runs
// empty or the batch reaches 64 KiB: records are written in the order they
// were queued, and a burst costs few system calls.
//
// # Drop policy
//
// Logging never waits for the disk. When the channel is full the record is
// dropped and counted (Logger.Dropped). The next time the writer goroutine
// takes a record off the channel, so when there is room again, it writes a
// warning "dropped N records" (attributes dropped and dropped_total) in the
// log's format, whatever the level. Records logged after Close are dropped
// and counted too. If writing fails, the records of that write are lost
// and the failure is reported once on standard error, until a write
// succeeds again.
//
// # Goroutines
//
// New starts the writer goroutine; the Logger owns it. Close closes the
// channel, so that the goroutine writes out everything still queued, waits
// for it to exit, and then closes the log file. The slow log and the
// RotatingFile start no goroutine: rotation by age happens on the first
// write after MaxAge, not on a timer.
//
// # Locks
//
// The stdlib handler's mutex is held while it calls queue.Write, which
// read-locks the queue's RWMutex (Close write-locks it, so that no record
// is sent on a closed channel). RotatingFile's mutex is held by the writer
// goroutine during a write and by Reopen and Close; it is taken under no
// other lock.
//
// # Rotation
//
// RotatingFile renames File to File.1, File.1 to File.2 and so on up to
// File.MaxFiles, then creates a new File; see RotatingFile for when. For an
// external logrotate instead, set MaxSize and MaxAge negative and call
// Logger.Reopen after it renamed the file.
package logs
