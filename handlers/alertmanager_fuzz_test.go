package handlers

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// FuzzAlertmanagerPayload: whatever the body, decoding never panics, and
// what it accepts is a version 4 notification whose every alert the
// store takes (a fingerprint, a status, labels), the same after a
// round trip. Seeds in testdata/fuzz run as tests.
func FuzzAlertmanagerPayload(f *testing.F) {
	f.Add([]byte(amFiring))
	f.Add([]byte(amResolved))
	f.Add([]byte(`{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeAlertmanager(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a reason")
			}
			return
		}
		if p.Version != "4" || len(p.Alerts) == 0 {
			t.Fatalf("accepted version %q with %d alerts", p.Version, len(p.Alerts))
		}
		at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		alerts := p.StoreAlerts(at)
		if len(alerts) != len(p.Alerts) {
			t.Fatalf("%d alerts kept of %d", len(alerts), len(p.Alerts))
		}
		for i, a := range alerts {
			if a.Fingerprint == "" || len(a.Fingerprint) > maxFingerprint || len(a.Labels) == 0 ||
				(a.Status != store.AlertFiring && a.Status != store.AlertResolved) || !a.ReceivedAt.Equal(at) {
				t.Fatalf("alerts[%d] accepted but not storable: %+v", i, a)
			}
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		p2, err := DecodeAlertmanager(again)
		if err != nil {
			t.Fatalf("decode of the re-encoded %s: %v", again, err)
		}
		for i := range p.Alerts {
			if p2.Alerts[i].Fingerprint != p.Alerts[i].Fingerprint {
				t.Fatalf("alerts[%d]: fingerprint %q after a round trip, was %q", i, p2.Alerts[i].Fingerprint, p.Alerts[i].Fingerprint)
			}
		}
	})
}
