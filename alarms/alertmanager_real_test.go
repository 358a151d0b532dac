package alarms

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/wavegate/wavegate/handlers"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/inbox"
	"github.com/wavegate/wavegate/internal/services"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

// realDeadline guards each wait on the real Alertmanager; it answers in
// about a second (group_interval), so reaching this is a failure.
const realDeadline = 60 * time.Second

// statusRecorder tells each answer's status on a channel.
func statusRecorder(next http.Handler, codes chan<- int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &codeWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		select {
		case codes <- rec.code:
		default:
		}
	})
}

type codeWriter struct {
	http.ResponseWriter
	code int
}

func (c *codeWriter) WriteHeader(code int) { c.code = code; c.ResponseWriter.WriteHeader(code) }

// waitAlert waits for an alert named name with status to be stored.
func waitAlert(t *testing.T, changes <-chan []store.Alert, name string, status store.AlertStatus) store.Alert {
	t.Helper()
	deadline := time.After(realDeadline)
	for {
		select {
		case changed := <-changes:
			for _, a := range changed {
				if a.Labels["alertname"] == name && a.Status == status {
					return a
				}
			}
		case <-deadline:
			t.Fatalf("alert %s not stored %s within %s", name, status, realDeadline)
		}
	}
}

// The real Alertmanager posts to the real handler with its bearer token;
// the alert is stored and in the view, then resolved and cleared. An
// Alertmanager with the wrong token is refused and stores nothing.
func TestRealAlertmanager(t *testing.T) {
	const token = "real-am-token-61b0"
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	view, err := NewAlerts(AlertsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan []store.Alert, 16)
	run := &handlers.AlertmanagerRun{Alerts: st, View: view, OnAlerts: func(_ context.Context, changed []store.Alert) error {
		changes <- changed
		return nil
	}}
	proc, err := inbox.New(inbox.Options{Store: st, Handler: run, Clock: clock.Real(), Workers: 2, IsTransient: handlers.IsRetryable})
	if err != nil {
		t.Fatal(err)
	}
	intake, err := handlers.NewAlertmanager(handlers.AlertmanagerConfig{Token: []byte(token), Inbox: st, Notify: proc.Notify})
	if err != nil {
		t.Fatal(err)
	}
	codes := make(chan int, 64)
	srv := httptest.NewServer(statusRecorder(intake, codes))
	t.Cleanup(srv.Close)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- proc.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("inbox workers: %v", err)
		}
	})

	am := services.StartAlertmanager(t, services.AlertmanagerOptions{WebhookURL: srv.URL + "/webhooks/alertmanager", Token: token})
	labels := map[string]string{"alertname": "HighErrorRate", "service": "api", "target": "prod-1"}
	if err := am.PostAlerts(ctx, services.PostableAlert{
		Labels: labels, Annotations: map[string]string{"summary": "5xx above 5%"}, StartsAt: time.Now().Add(-time.Minute),
	}); err != nil {
		t.Fatal(err)
	}
	fired := waitAlert(t, changes, "HighErrorRate", store.AlertFiring)
	if fired.Fingerprint == "" || fired.Annotations["summary"] != "5xx above 5%" {
		t.Errorf("stored %+v", fired)
	}
	m, err := pipeline.NewLabelMatcher("service", "=", "api")
	if err != nil {
		t.Fatal(err)
	}
	alarms := &pipeline.Alarms{Match: []pipeline.LabelMatcher{m}, TargetLabel: "target", ResolveTimeout: pipeline.DefaultResolveTimeout}
	got := view.Source("acme/api:app", alarms, nil).Firing("prod-1")
	if len(got) != 1 || got[0].Name != "HighErrorRate" || got[0].Summary != "5xx above 5%" || got[0].Target != "prod-1" {
		t.Fatalf("firing on prod-1: %+v", got)
	}
	if firing, err := st.FiringAlerts(ctx); err != nil || len(firing) != 1 {
		t.Fatalf("stored firing: %+v, %v", firing, err)
	}

	if err := am.PostAlerts(ctx, services.PostableAlert{Labels: labels, EndsAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	resolved := waitAlert(t, changes, "HighErrorRate", store.AlertResolved)
	if resolved.Fingerprint != fired.Fingerprint || resolved.EndsAt.IsZero() {
		t.Errorf("resolved %+v; want the same alert with its end", resolved)
	}
	if got := view.Source("acme/api:app", alarms, nil).Firing("prod-1"); len(got) != 0 {
		t.Errorf("after resolved, firing on prod-1: %+v", got)
	}
	if firing, err := st.FiringAlerts(ctx); err != nil || len(firing) != 0 {
		t.Errorf("stored firing after resolved: %+v, %v", firing, err)
	}

	// The wrong token: refused, and nothing more is stored.
	before, err := st.ListDeliveries(ctx, store.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for len(codes) > 0 {
		<-codes
	}
	wrong := services.StartAlertmanager(t, services.AlertmanagerOptions{WebhookURL: srv.URL + "/webhooks/alertmanager", Token: "not-" + token})
	if err := wrong.PostAlerts(ctx, services.PostableAlert{Labels: map[string]string{"alertname": "Other", "service": "api"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-codes:
		if code != http.StatusUnauthorized {
			t.Errorf("wrong token answered %d; want 401", code)
		}
	case <-time.After(realDeadline):
		t.Fatalf("the Alertmanager with the wrong token did not post within %s", realDeadline)
	}
	after, err := st.ListDeliveries(ctx, store.DeliveryFilter{})
	if err != nil || len(after) != len(before) {
		t.Errorf("deliveries %d before the wrong token, %d after (%v)", len(before), len(after), err)
	}
}
