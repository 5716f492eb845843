package engine

import "sync"

// watchers are the functions told about each write that made new
// articles searchable (see OnIndexed).
type watchers struct {
	mu   sync.Mutex
	next uint64
	fns  map[uint64]func(seq uint64)
}

// OnIndexed registers fn to be told, with the indexed sequence, after
// every Ingest that stored and indexed at least one article: it runs on
// the ingesting goroutine once the articles are durable and searchable,
// before Ingest returns (so before the writer is acknowledged). fn must
// not block or do I/O: signal a buffered channel and return. A write
// whose signal is missed (no watcher yet, a crash) is found by the
// watcher's own sweep of IndexedSeq; the signal only makes it sooner.
// The returned function unregisters fn.
func (e *Engine) OnIndexed(fn func(seq uint64)) (cancel func()) {
	w := &e.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fns == nil {
		w.fns = map[uint64]func(uint64){}
	}
	id := w.next
	w.next++
	w.fns[id] = fn
	return func() {
		w.mu.Lock()
		delete(w.fns, id)
		w.mu.Unlock()
	}
}

// notifyIndexed tells the watchers that everything up to seq is
// searchable.
func (e *Engine) notifyIndexed(seq uint64) {
	w := &e.watch
	w.mu.Lock()
	fns := make([]func(uint64), 0, len(w.fns))
	for _, fn := range w.fns {
		fns = append(fns, fn)
	}
	w.mu.Unlock()
	for _, fn := range fns {
		fn(seq)
	}
}
