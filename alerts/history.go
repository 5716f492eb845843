package alerts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/watchword/watchword/internal/engine"
	"github.com/watchword/watchword/internal/logctx"
	"github.com/watchword/watchword/internal/news"
)

// MaxFeedEntries bounds the entries of an alert's feed: the newest sent
// matches.
const MaxFeedEntries = 100

// feedKeyPrefix marks a feed key, so that one pasted in the wrong place
// is recognized.
const feedKeyPrefix = "wwfeed_"

// Sent is one delivery with the articles it carried, for an alert's
// history page and its feed.
type Sent struct {
	Delivery *Delivery
	// Articles are the carried articles still stored, in the delivery's
	// order, with an HTML snippet (see Match); a deleted one is left out.
	Articles []Match
}

// History returns up to limit of an alert's matched deliveries, newest
// first, each with the articles it carried: at most maxArticles articles
// in all, the newest deliveries' first (0: no bound), so older
// deliveries past the bound come with none. With snippets each article
// has one (an HTML excerpt with the query's words marked), which costs
// an analysis of its body. Test events carry no article and are left
// out.
func (s *Service) History(ctx context.Context, alertID string, limit, maxArticles int, snippets bool) (*Alert, []Sent, error) {
	a, err := s.load(ctx, alertID)
	if err != nil {
		return nil, nil, err
	}
	ds, err := s.Deliveries(ctx, alertID, limit)
	if err != nil {
		return nil, nil, err
	}
	var (
		out []Sent
		ids []string
	)
	for _, d := range ds {
		if d.Type != EventMatched {
			continue
		}
		carried := d.ArticleIDs
		if maxArticles > 0 {
			carried = carried[:min(len(carried), maxArticles-len(ids))]
		}
		ids = append(ids, carried...)
		out = append(out, Sent{Delivery: d, Articles: make([]Match, 0, len(carried))})
	}
	arts, err := s.eng.Articles(ctx, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("alerts: history of %s: %w", alertID, err)
	}
	var hl *engine.Highlighter
	if snippets {
		node, err := engine.ParseQuery(a.Query, s.cfg.Clock())
		if err != nil {
			node = nil // snippets without marks
		}
		hl = s.eng.Highlighter(node, "body")
	}
	k := 0
	for i := range out {
		n := len(out[i].Delivery.ArticleIDs)
		if maxArticles > 0 {
			n = min(n, len(ids)-k)
		}
		for _, art := range arts[k : k+n] {
			if art == nil {
				continue
			}
			var snippet string
			if hl != nil {
				snippet = hl.Lang(art.Language).Snippet(art.Body, snippetWidth)
			}
			out[i].Articles = append(out[i].Articles, art.Summary(snippet))
		}
		k += n
	}
	return a, out, nil
}

// NewFeedKey returns a feed key: wwfeed_ and base64url of 24 random
// bytes.
func NewFeedKey() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("alerts: generate feed key: %w", err)
	}
	return feedKeyPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func hashFeedKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// RotateFeedKey gives an alert a new feed key and returns it: the only
// time it is shown. The alert keeps only its hash; the previous key
// stops working at once.
func (s *Service) RotateFeedKey(ctx context.Context, id string) (string, error) {
	key, err := NewFeedKey()
	if err != nil {
		return "", err
	}
	now := s.cfg.Clock().UTC()
	a, err := s.modify(ctx, id, func(a *Alert) error {
		a.FeedKeyHash = hashFeedKey(key)
		a.FeedKeyCreatedAt = &now
		return nil
	})
	if err != nil {
		return "", err
	}
	logctx.From(ctx, s.log).Info("alerts: feed key rotated", "alert", a.ID) // never the key
	return key, nil
}

// CheckFeedKey returns nil when key is the alert's current feed key,
// comparing hashes in constant time. A wrong key, a replaced one, any key
// for an alert that has none, and any key for an alert that does not
// exist are the same unauthorized error, so that a key cannot probe for
// alert ids.
func (s *Service) CheckFeedKey(ctx context.Context, id, key string) error {
	refuse := news.Errorf(news.ECodeUnauthorized, "the feed key is not valid for this alert (it may have been replaced); get a new one with POST /api/alerts/{id}/feed-key")
	if !strings.HasPrefix(key, feedKeyPrefix) {
		return refuse
	}
	a, err := s.load(ctx, id)
	if news.ErrorCode(err) == news.ECodeNotFound {
		return refuse
	}
	if err != nil {
		return err
	}
	want := a.FeedKeyHash
	if want == "" {
		want = strings.Repeat("0", sha256.Size*2) // compare anyway: same time either way
	}
	if subtle.ConstantTimeCompare([]byte(hashFeedKey(key)), []byte(want)) != 1 || a.FeedKeyHash == "" {
		return refuse
	}
	return nil
}

// feedKeySince is what an alert's API form says of its feed key: since
// when it has one (nil: none), never the key or its hash.
func feedKeySince(a *Alert) *time.Time {
	if a.FeedKeyHash == "" {
		return nil
	}
	return a.FeedKeyCreatedAt
}
