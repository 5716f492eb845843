package artlog

import (
	"context"

	"github.com/watchword/watchword/internal/news"
)

// PublishAsBefore publishes a as Append would with prev as the id's last
// message it saw, and returns the raw acknowledgement: what a node that
// died before answering its client left in the stream, or its retry.
func (l *Log) PublishAsBefore(ctx context.Context, a *news.Article, prev uint64) (seq uint64, duplicate bool, err error) {
	h, err := ContentHash(a)
	if err != nil {
		return 0, false, err
	}
	f, err := l.publishPut(ctx, a, h, prev)
	if err != nil {
		return 0, false, err
	}
	select {
	case ack := <-f.Ok():
		return ack.Sequence, ack.Duplicate, nil
	case err := <-f.Err():
		return 0, false, err
	case <-ctx.Done():
		return 0, false, ctx.Err()
	}
}
