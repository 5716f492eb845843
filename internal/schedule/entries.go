package schedule

import (
	"time"

	"github.com/robfig/cron/v3"
)

// Entries are the cron entries of one service's jobs (alerts, feeds) by
// the job's id, on a scheduler the service may share with others, so
// that the service can take out its own entries and only those. It does
// no locking: the owner holds its lock around every call. The zero value
// is ready. A nil scheduler (before Start, after Stop) is ignored: the
// entry is only forgotten.
type Entries struct {
	ids map[string]cron.EntryID
}

// Put schedules job on c for id, in place of id's entry if it had one.
func (e *Entries) Put(c *cron.Cron, id string, sched cron.Schedule, job func()) {
	e.Remove(c, id)
	if c == nil {
		return
	}
	if e.ids == nil {
		e.ids = map[string]cron.EntryID{}
	}
	e.ids[id] = c.Schedule(sched, cron.FuncJob(job))
}

// Remove takes id's entry off c.
func (e *Entries) Remove(c *cron.Cron, id string) {
	if eid, ok := e.ids[id]; ok {
		if c != nil {
			c.Remove(eid)
		}
		delete(e.ids, id)
	}
}

// RemoveAll takes every entry off c.
func (e *Entries) RemoveAll(c *cron.Cron) {
	for id := range e.ids {
		e.Remove(c, id)
	}
}

// Next is id's next firing on c (zero when it has no entry).
func (e *Entries) Next(c *cron.Cron, id string) time.Time {
	if eid, ok := e.ids[id]; ok && c != nil {
		return c.Entry(eid).Next
	}
	return time.Time{}
}
