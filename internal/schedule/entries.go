package schedule

import (
	"hash/fnv"
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
	ids      map[string]cron.EntryID
	versions map[string]uint64 // the version of the job's definition each entry was made from
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

// PutVersion is Put for a definition at version, remembered for
// Scheduled.
func (e *Entries) PutVersion(c *cron.Cron, id string, version uint64, sched cron.Schedule, job func()) {
	e.Put(c, id, sched, job)
	if _, ok := e.ids[id]; ok {
		if e.versions == nil {
			e.versions = map[string]uint64{}
		}
		e.versions[id] = version
	}
}

// Key is what an entry's timing depends on, as a number for PutVersion:
// a resync replaces an entry only when its schedule or time zone
// changed, not on every write of the job's definition.
func Key(spec, tz string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(spec))
	h.Write([]byte{0})
	h.Write([]byte(tz))
	return h.Sum64()
}

// Scheduled returns, for each id with an entry, the version it was put
// at (0 when put without one): what a resync compares with the stored
// definitions.
func (e *Entries) Scheduled() map[string]uint64 {
	out := make(map[string]uint64, len(e.ids))
	for id := range e.ids {
		out[id] = e.versions[id]
	}
	return out
}

// Remove takes id's entry off c.
func (e *Entries) Remove(c *cron.Cron, id string) {
	if eid, ok := e.ids[id]; ok {
		if c != nil {
			c.Remove(eid)
		}
		delete(e.ids, id)
		delete(e.versions, id)
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
