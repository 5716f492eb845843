package engine

import (
	"context"
	"time"
)

// WaitIndexed waits until every change up to seq is searchable on this
// node (IndexedSeq ≥ seq) and reports whether it is, giving up when ctx
// is done. A cluster node's index follows the replicated log a moment
// behind the node that took the write: this is how a search asks to read
// its own writes (min_seq=). It checks every few milliseconds: the wait
// is short and rare, and the ingest path stays free of signalling.
func (e *Engine) WaitIndexed(ctx context.Context, seq uint64) bool {
	if e.IndexedSeq() >= seq {
		return true
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return e.IndexedSeq() >= seq
		case <-t.C:
			if e.IndexedSeq() >= seq {
				return true
			}
		}
	}
}
