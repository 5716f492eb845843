package alerts_test

import (
	"context"
	"testing"

	"github.com/watchword/watchword/alerts"
	"github.com/watchword/watchword/alerts/boltstore"
	"github.com/watchword/watchword/internal/engine"
)

func init() {
	alerts.OpenTestStore = func(t testing.TB, eng *engine.Engine) alerts.Store {
		t.Helper()
		st, err := boltstore.New(context.Background(), eng.Store(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	alerts.OutboxLen = func(st alerts.Store) (int, error) { return st.(*boltstore.Store).Count() }
}
