package main

import (
	"errors"
	"time"

	"github.com/spf13/pflag"
	"github.com/watchword/watchword/internal/stories"
)

// storyFlags configure the grouping of near copies into stories
// (internal/stories). serve and reindex take the same ones: a reindex
// regroups every article with them.
type storyFlags struct {
	window    time.Duration
	threshold float64
}

func (f *storyFlags) register(fs *pflag.FlagSet) {
	fs.DurationVar(&f.window, "story-window", stories.DefaultWindow, "how far apart (article dates) two copies of one story may be; also how long after ingest an article can be joined")
	fs.Float64Var(&f.threshold, "story-threshold", stories.DefaultThreshold, "share of the shorter article's word shingles two copies must share, 0 to 1 (changing it: run reindex to regroup)")
}

func (f *storyFlags) config() (stories.Config, error) {
	if f.window <= 0 {
		return stories.Config{}, usageError{errors.New("--story-window must be positive")}
	}
	if f.threshold <= 0 || f.threshold > 1 {
		return stories.Config{}, usageError{errors.New("--story-threshold must be above 0 and at most 1")}
	}
	return stories.Config{Window: f.window, Threshold: f.threshold}, nil
}
