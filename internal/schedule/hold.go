package schedule

import (
	"sync"
	"sync/atomic"

	"github.com/watchword/watchword/internal/news"
)

// Hold keeps the scheduled work of a restored store from running: alert
// evaluation, feed polling and webhook sending wait until it is released,
// so testing a backup on a second machine never sends a webhook twice.
// Searching and ingest are not affected. A nil *Hold is never held.
type Hold struct {
	mu        sync.Mutex
	held      bool
	reason    string
	onRelease []func()
	skipped   atomic.Int64
}

// NewHold returns a hold that is held for reason.
func NewHold(reason string) *Hold { return &Hold{held: true, reason: reason} }

// Held reports whether the hold is on, and why.
func (h *Hold) Held() (bool, string) {
	if h == nil {
		return false, ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held, h.reason
}

// Skip reports whether a scheduled firing must be skipped, counting it.
func (h *Hold) Skip() bool {
	if held, _ := h.Held(); !held {
		return false
	}
	h.skipped.Add(1)
	return true
}

// Skipped is the number of scheduled firings skipped so far.
func (h *Hold) Skipped() int64 {
	if h == nil {
		return 0
	}
	return h.skipped.Load()
}

// Refuse returns a conflict error naming what is held, or nil.
func (h *Hold) Refuse(what string) error {
	if held, _ := h.Held(); held {
		return news.Errorf(news.ECodeConflict, "%s is held: this store was restored from a backup; resume with POST /api/admin/resume (or restart with --resume-schedulers)", what)
	}
	return nil
}

// OnRelease runs fn when the hold is released, or now if it is not held.
func (h *Hold) OnRelease(fn func()) {
	if h != nil {
		h.mu.Lock()
		if h.held {
			h.onRelease = append(h.onRelease, fn)
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
	}
	fn()
}

// Release lifts the hold and runs what waited for it. It reports whether
// the hold was on.
func (h *Hold) Release() bool {
	if h == nil {
		return false
	}
	h.mu.Lock()
	if !h.held {
		h.mu.Unlock()
		return false
	}
	h.held = false
	fns := h.onRelease
	h.onRelease = nil
	h.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
	return true
}
