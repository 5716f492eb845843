package alerts

import (
	"encoding/json"
	"testing"
	"time"
)

// The stored definition and the API answer keep their JSON byte for
// byte: existing stores decode, clients see the same fields in the same
// order. The alert is filled field by field so that the test compiles
// whatever the struct's layout.
func TestAlertJSONShape(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ran, next := at.Add(time.Hour), at.Add(2*time.Hour)
	a := &Alert{}
	a.ID, a.Name, a.Query = "al_1", "Kyiv", "ukraine"
	a.Filters.Sources, a.Filters.Countries = []string{"wire"}, []string{"ua"}
	a.Schedule, a.Timezone, a.WebhookURL, a.Enabled = "@hourly", "Europe/Kyiv", "https://r.example/h?k=1", true
	a.MaxMatchesPerDelivery, a.Fields, a.CreatedAt = 25, []string{"id", "title"}, at
	a.LastRunAt, a.NextRunAt, a.LastDeliveryStatus, a.Watermark = &ran, &next, StatusSucceeded, 42
	a.Secret, a.PreviousSecrets = "whsec_AAAA", []RetiredSecret{{Secret: "whsec_BBBB", ExpiresAt: next}}
	a.Version, a.Num, a.Head = 3, 7, "msg_9"

	stored, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	const wantStored = `{"id":"al_1","name":"Kyiv","query":"ukraine","filters":{"country":["ua"],"source":["wire"]},"schedule":"@hourly","timezone":"Europe/Kyiv","webhook_url":"https://r.example/h?k=1","enabled":true,"max_matches_per_delivery":25,"fields":["id","title"],"created_at":"2026-03-01T12:00:00Z","last_run_at":"2026-03-01T13:00:00Z","next_run_at":"2026-03-01T14:00:00Z","last_delivery_status":"succeeded","watermark":42,"secret":"whsec_AAAA","previous_secrets":[{"secret":"whsec_BBBB","expires_at":"2026-03-01T14:00:00Z"}],"version":3,"num":7}`
	if string(stored) != wantStored {
		t.Errorf("stored JSON changed:\n got %s\nwant %s", stored, wantStored)
	}
	v := a.View(at)
	v.Secret, v.Warnings = "whsec_CCCC", []string{"w"}
	api, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	const wantAPI = `{"id":"al_1","name":"Kyiv","query":"ukraine","filters":{"country":["ua"],"source":["wire"]},"schedule":"@hourly","timezone":"Europe/Kyiv","webhook_url":"https://r.example/h?k=1","enabled":true,"max_matches_per_delivery":25,"fields":["id","title"],"created_at":"2026-03-01T12:00:00Z","last_run_at":"2026-03-01T13:00:00Z","next_run_at":"2026-03-01T14:00:00Z","last_delivery_status":"succeeded","watermark":42,"previous_secrets":[{"expires_at":"2026-03-01T14:00:00Z"}],"secret":"whsec_CCCC","warnings":["w"],"feed_key_created_at":null}`
	if string(api) != wantAPI {
		t.Errorf("API JSON changed:\n got %s\nwant %s", api, wantAPI)
	}
	red, err := json.Marshal(v.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	const wantRedacted = `{"id":"al_1","name":"Kyiv","query":"ukraine","filters":{"country":["ua"],"source":["wire"]},"schedule":"@hourly","timezone":"Europe/Kyiv","webhook_url":"https://r.example/h","enabled":true,"max_matches_per_delivery":25,"fields":["id","title"],"created_at":"2026-03-01T12:00:00Z","last_run_at":"2026-03-01T13:00:00Z","next_run_at":"2026-03-01T14:00:00Z","last_delivery_status":"succeeded","watermark":42,"previous_secrets":[{"expires_at":"2026-03-01T14:00:00Z"}],"redacted":true,"warnings":["w"],"feed_key_created_at":null}`
	if string(red) != wantRedacted {
		t.Errorf("redacted API JSON changed:\n got %s\nwant %s", red, wantRedacted)
	}
}
