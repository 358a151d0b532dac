package app

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/alarms"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

const amTestToken = "am-token-4d1f"

func amNotification(status string) string {
	ends := "0001-01-01T00:00:00Z"
	if status == "resolved" {
		ends = "2025-03-01T12:05:00Z"
	}
	return `{"version":"4","groupKey":"{}:{alertname=\"HighErrorRate\"}","status":"` + status + `","receiver":"wavegate",
		"alerts":[{"status":"` + status + `","labels":{"alertname":"HighErrorRate","service":"api","target":"prod-1"},
		"annotations":{"summary":"5xx above 5%"},"startsAt":"2025-03-01T11:58:00Z","endsAt":"` + ends + `","fingerprint":"4c2b1e7a9d0f3e11"}]}`
}

func (r *running) postAlertmanager(token, body string) int {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url+"/webhooks/alertmanager", strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func apiAlarms(t *testing.T) *pipeline.Alarms {
	m, err := pipeline.NewLabelMatcher("service", "=", "api")
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline.Alarms{Match: []pipeline.LabelMatcher{m}, TargetLabel: "target", ResolveTimeout: pipeline.DefaultResolveTimeout}
}

func firingNames(a *alarms.Alerts, t *testing.T) []string {
	var out []string
	for _, al := range a.Source("acme/api:app", apiAlarms(t), nil).Firing("prod-1") {
		out = append(out, al.Name)
	}
	return out
}

// An authenticated notification goes through the route, the inbox and
// the handler into the view; the view comes back from the database after
// a restart; a resolved notification clears it.
func TestAlertmanagerNotificationReachesTheView(t *testing.T) {
	fake := newFake(t)
	cfg := newConfig(t, fake, true)
	cfg.AlertmanagerToken = amTestToken
	clk := clock.NewFake(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))

	first := start(t, cfg, fake, clk, nil)
	if code := first.postAlertmanager("wrong", amNotification("firing")); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d; want 401", code)
	}
	if code := first.postAlertmanager(amTestToken, amNotification("firing")); code != http.StatusAccepted {
		t.Fatalf("notification: %d; want 202", code)
	}
	if o := first.next(); o.Delivery.Event != "alertmanager" || o.State != store.DeliveryDone {
		t.Fatalf("outcome %s %s (%v); want the notification done", o.Delivery.Event, o.State, o.Err)
	}
	if got := firingNames(first.app.Alerts(), t); !slices.Equal(got, []string{"HighErrorRate"}) {
		t.Fatalf("firing on prod-1: %v", got)
	}
	first.stop()

	second := start(t, cfg, fake, clk, nil)
	if got := firingNames(second.app.Alerts(), t); !slices.Equal(got, []string{"HighErrorRate"}) {
		t.Fatalf("after a restart, firing on prod-1: %v; want the stored alert", got)
	}
	clk.Advance(time.Minute)
	if code := second.postAlertmanager(amTestToken, amNotification("resolved")); code != http.StatusAccepted {
		t.Fatalf("resolved notification: %d; want 202", code)
	}
	if o := second.next(); o.State != store.DeliveryDone {
		t.Fatalf("resolved notification: %s (%v)", o.State, o.Err)
	}
	if got := firingNames(second.app.Alerts(), t); len(got) != 0 {
		t.Errorf("after resolved, firing on prod-1: %v", got)
	}
}

func TestAlertmanagerOffWithoutToken(t *testing.T) {
	fake := newFake(t)
	r := start(t, newConfig(t, fake, true), fake, clock.NewFake(time.Now()), nil)
	if code := r.postAlertmanager(amTestToken, amNotification("firing")); code != http.StatusServiceUnavailable {
		t.Errorf("no token configured: %d; want 503", code)
	}
}
