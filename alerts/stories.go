package alerts

// Stories in alerts: a delivery lists each story once (its earliest copy,
// with the other copies' sources and URLs), and a story already
// delivered to an alert is not delivered again when a later copy comes in
// (unless the alert sets repeat_stories). Stories come from the index
// (engine.StoriesOf): the grouping the engine made at ingest.

import (
	"context"
	"slices"

	"github.com/watchword/watchword/internal/stories"
)

// DeliveredStory is the story of a delivered match: its id and the other
// copies of it in the same delivery.
type DeliveredStory struct {
	ID     string      `json:"id"`
	Copies []StoryCopy `json:"copies"`
}

// StoryCopy is one more copy of a delivered story.
type StoryCopy struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	URL    string `json:"url"`
}

// dropDeliveredStories removes from each job (of an alert without
// RepeatStories) the matches whose story was delivered to the alert
// before: a copy of it, other than this run's matches, is in the alert's
// sent-set. A copy deleted since (retention) no longer counts. The stories
// of the matches and the copies of each story are looked up once for the
// whole round, not per alert: a round's alerts share most of its new
// articles (1,000 realtime alerts over 50 articles: each looked up by
// about seven alerts).
func (s *Service) dropDeliveredStories(ctx context.Context, jobs []*job) error {
	var all []string
	seen := map[string]bool{}
	for _, j := range jobs {
		if j.err != nil || j.a.RepeatStories {
			continue
		}
		for _, id := range j.matches {
			if !seen[id] {
				seen[id] = true
				all = append(all, id)
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	of, err := s.eng.StoriesOf(ctx, all)
	if err != nil {
		return err
	}
	copiesOf := map[string][]string{} // story → its copies, read once
	for _, j := range jobs {
		if j.err != nil || j.a.RepeatStories || len(j.matches) == 0 {
			continue
		}
		byStory := map[string][]string{}
		var order []string
		for _, id := range j.matches {
			st := of[id]
			if st == "" {
				continue
			}
			if byStory[st] == nil {
				order = append(order, st)
			}
			byStory[st] = append(byStory[st], id)
		}
		drop := map[string]bool{}
		for _, st := range order {
			copies, ok := copiesOf[st]
			if !ok {
				if copies, err = s.eng.StoryCopies(ctx, st, stories.DefaultMaxStory); err != nil {
					return err
				}
				copiesOf[st] = copies
			}
			others := slices.DeleteFunc(slices.Clone(copies), func(id string) bool { return slices.Contains(byStory[st], id) })
			if len(others) == 0 {
				continue
			}
			unsent, err := s.store.Unsent(ctx, j.a, others)
			if err != nil {
				return err
			}
			if len(unsent) < len(others) {
				for _, id := range byStory[st] {
					drop[id] = true
				}
			}
		}
		if len(drop) > 0 {
			j.matches = slices.DeleteFunc(j.matches, func(id string) bool { return drop[id] })
		}
	}
	return nil
}

// deliveredStories projects matches (oldest first) for a delivery, each
// story once: its earliest copy, carrying the others.
func (s *Service) deliveredStories(ctx context.Context, matches []Match, fs matchFields) ([]DeliveredMatch, error) {
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = m.ID
	}
	of, err := s.eng.StoriesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]DeliveredMatch, 0, len(matches))
	first := map[string]int{} // story → its entry in out
	for i := range matches {
		m := &matches[i]
		st := of[m.ID]
		if k, ok := first[st]; ok && st != "" {
			d := &out[k]
			if d.Story == nil {
				d.Story = &DeliveredStory{ID: st, Copies: []StoryCopy{}}
			}
			d.Story.Copies = append(d.Story.Copies, StoryCopy{ID: m.ID, Source: m.Source, URL: m.URL})
			continue
		}
		first[st] = len(out)
		out = append(out, project(m, fs))
	}
	return out, nil
}
