package main

import (
	"log/slog"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchConfig calls reload when the file at path changes, at most once per
// burst of events (editors write a file in several steps, or replace it).
// It watches the directory, so a replaced file is still seen. It stops when
// quit closes and returns when its goroutine is done (done closes).
func watchConfig(path string, reload func(), log *slog.Logger, quit <-chan struct{}) (done <-chan struct{}, err error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err == nil {
		err = w.Add(filepath.Dir(abs))
	}
	if err != nil {
		w.Close()
		return nil, err
	}
	d := make(chan struct{})
	go func() {
		defer close(d)
		defer w.Close()
		const settle = 200 * time.Millisecond
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		for {
			select {
			case <-quit:
				timer.Stop()
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Clean(ev.Name) == abs && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) != 0 {
					timer.Reset(settle)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				log.Warn("config watch", "err", err)
			case <-timer.C:
				log.Info("config file changed; reloading", "file", path)
				reload()
			}
		}
	}()
	return d, nil
}
