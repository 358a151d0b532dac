package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

const amToken = "s3cr3t-am-t0ken-9f2c"

// amFiring is a notification as Alertmanager 0.25 sends it: one group,
// one firing alert (its end hidden as the zero time).
const amFiring = `{
  "receiver": "wavegate",
  "status": "firing",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "HighErrorRate", "service": "api", "target": "prod-us-west-2a", "severity": "page"},
      "annotations": {"summary": "5xx above 5% on prod-us-west-2a"},
      "startsAt": "2025-03-01T11:58:00Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus:9090/graph?g0.expr=rate%28errors%5B1m%5D%29",
      "fingerprint": "4c2b1e7a9d0f3e11"
    }
  ],
  "groupLabels": {"alertname": "HighErrorRate"},
  "commonLabels": {"alertname": "HighErrorRate", "service": "api", "target": "prod-us-west-2a", "severity": "page"},
  "commonAnnotations": {"summary": "5xx above 5% on prod-us-west-2a"},
  "externalURL": "http://alertmanager:9093",
  "version": "4",
  "groupKey": "{}:{alertname=\"HighErrorRate\"}",
  "truncatedAlerts": 0
}`

// amResolved is the same alert, resolved.
var amResolved = strings.NewReplacer(`"status": "firing"`, `"status": "resolved"`,
	`"endsAt": "0001-01-01T00:00:00Z"`, `"endsAt": "2025-03-01T12:04:00Z"`).Replace(amFiring)

type amIntake struct {
	store    store.Store
	clk      *clock.Fake
	am       *Alertmanager
	reg      *prometheus.Registry
	notified int
	logs     *bytes.Buffer
}

func newAMIntake(t *testing.T, token string, maxBody int64) *amIntake {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	in := &amIntake{store: st, clk: clock.NewFake(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)),
		reg: prometheus.NewRegistry(), logs: &bytes.Buffer{}}
	in.am, err = NewAlertmanager(AlertmanagerConfig{
		Token: []byte(token), Inbox: st, Clock: in.clk, Registerer: in.reg, MaxBody: maxBody,
		Notify: func() { in.notified++ },
		Logger: slog.New(slog.NewTextHandler(in.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// readSpy records whether anything read the body.
type readSpy struct {
	r    io.Reader
	read bool
}

func (s *readSpy) Read(p []byte) (int, error) { s.read = true; return s.r.Read(p) }

func (in *amIntake) post(body io.Reader, length int64, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/alertmanager", body)
	req.ContentLength = length
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+amToken)
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	in.am.ServeHTTP(rec, req)
	return rec
}

func (in *amIntake) stored(t *testing.T) []store.Delivery {
	t.Helper()
	ds, err := in.store.ListDeliveries(context.Background(), store.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// Every refusal answers with the reason, reads no body it need not,
// stores nothing, wakes nobody and logs no token.
func TestAlertmanagerRefusals(t *testing.T) {
	big := `{"version":"4","alerts":[` + strings.Repeat(" ", 8192) + `]}`
	for _, tc := range []struct {
		name       string
		token      string // configured
		body       string
		length     int64 // -1: unknown (chunked)
		header     map[string]string
		want       int
		outcome    string
		message    string
		bodyUnread bool
	}{
		{name: "no token configured", body: amFiring, want: 503, outcome: "no_token", message: "--alertmanager-token-file", bodyUnread: true},
		{name: "no authorization", token: amToken, body: amFiring, header: map[string]string{"Authorization": ""},
			want: 401, outcome: "unauthorized", message: "bearer token", bodyUnread: true},
		{name: "wrong token", token: amToken, body: amFiring, header: map[string]string{"Authorization": "Bearer s3cr3t-am-t0ken-9f2d"},
			want: 401, outcome: "unauthorized", bodyUnread: true},
		{name: "token prefix", token: amToken, body: amFiring, header: map[string]string{"Authorization": "Bearer s3cr3t"},
			want: 401, outcome: "unauthorized", bodyUnread: true},
		{name: "empty bearer", token: amToken, body: amFiring, header: map[string]string{"Authorization": "Bearer "},
			want: 401, outcome: "unauthorized", bodyUnread: true},
		{name: "basic scheme", token: amToken, body: amFiring, header: map[string]string{"Authorization": "Basic " + amToken},
			want: 401, outcome: "unauthorized", bodyUnread: true},
		{name: "token alone", token: amToken, body: amFiring, header: map[string]string{"Authorization": amToken},
			want: 401, outcome: "unauthorized", bodyUnread: true},
		{name: "declared too large", token: amToken, body: big, want: 413, outcome: "too_large", message: "max_alerts", bodyUnread: true},
		{name: "chunked too large", token: amToken, body: big, length: -1, want: 413, outcome: "too_large"},
		{name: "not JSON", token: amToken, body: `{"version":"4",`, want: 400, outcome: "malformed", message: "not an Alertmanager"},
		{name: "two values", token: amToken, body: amFiring + amFiring, want: 400, outcome: "malformed", message: "more than one"},
		{name: "version 3", token: amToken, body: strings.Replace(amFiring, `"version": "4"`, `"version": "3"`, 1),
			want: 400, outcome: "malformed", message: `version "3"`},
		{name: "no version", token: amToken, body: strings.Replace(amFiring, `"version": "4",`, ``, 1),
			want: 400, outcome: "malformed", message: "version 4"},
		{name: "no alerts", token: amToken, body: `{"version":"4","status":"firing","receiver":"w","groupKey":"{}","alerts":[]}`,
			want: 400, outcome: "malformed", message: "no alerts"},
		{name: "unknown status", token: amToken, body: strings.Replace(amFiring, `"status": "firing",
      "labels"`, `"status": "pending",
      "labels"`, 1), want: 400, outcome: "malformed", message: `alerts[0]: status "pending"`},
		{name: "no labels", token: amToken, body: `{"version":"4","alerts":[{"status":"firing","labels":{}}]}`,
			want: 400, outcome: "malformed", message: "no labels"},
		{name: "huge fingerprint", token: amToken,
			body: `{"version":"4","alerts":[{"status":"firing","labels":{"a":"b"},"fingerprint":"` + strings.Repeat("f", 200) + `"}]}`,
			want: 400, outcome: "malformed", message: "fingerprint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := newAMIntake(t, tc.token, 4096)
			length := int64(len(tc.body))
			if tc.length != 0 {
				length = tc.length
			}
			spy := &readSpy{r: strings.NewReader(tc.body)}
			rec := in.post(spy, length, tc.header)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.message) {
				t.Fatalf("answer %d %q; want %d with %q", rec.Code, rec.Body.String(), tc.want, tc.message)
			}
			if tc.bodyUnread && spy.read {
				t.Error("the body was read before the request was refused")
			}
			if ds := in.stored(t); len(ds) != 0 || in.notified != 0 {
				t.Errorf("refused, yet %d stored and %d wake-ups", len(ds), in.notified)
			}
			if got := testutil.ToFloat64(in.am.outcomes.WithLabelValues(tc.outcome)); got != 1 {
				t.Errorf("outcome %s counted %v times, want 1", tc.outcome, got)
			}
			if strings.Contains(in.logs.String(), "s3cr3t") || strings.Contains(rec.Body.String(), "s3cr3t") {
				t.Errorf("the token leaked: log %q, answer %q", in.logs.String(), rec.Body.String())
			}
		})
	}
}

// A good notification is stored once, under the event and lane of its
// group, even when Alertmanager posts it twice; the same body a minute
// later (an unchanged group repeated) is stored again, as it refreshes
// its alerts.
func TestAlertmanagerStoresOnce(t *testing.T) {
	in := newAMIntake(t, amToken, 0)
	rec := in.post(strings.NewReader(amFiring), int64(len(amFiring)), map[string]string{"Authorization": "bearer " + amToken})
	if rec.Code != http.StatusAccepted {
		t.Fatalf("answer %d %q; want 202", rec.Code, rec.Body.String())
	}
	rec = in.post(strings.NewReader(amFiring), -1, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "duplicate") {
		t.Fatalf("second post: %d %q; want 200 duplicate", rec.Code, rec.Body.String())
	}
	ds := in.stored(t)
	if len(ds) != 1 || in.notified != 1 {
		t.Fatalf("%d stored, %d wake-ups; want 1 and 1", len(ds), in.notified)
	}
	d, err := in.store.Delivery(context.Background(), ds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Event != EventAlertmanager || d.Action != "firing" || d.Repository != `alertmanager:wavegate/{}:{alertname="HighErrorRate"}` ||
		string(d.Payload) != amFiring || !d.ReceivedAt.Equal(in.clk.Now()) {
		t.Errorf("stored %+v", d)
	}
	if got := testutil.ToFloat64(in.am.outcomes.WithLabelValues("duplicate")); got != 1 {
		t.Errorf("duplicates counted %v, want 1", got)
	}

	in.clk.Advance(time.Minute)
	if rec := in.post(strings.NewReader(amFiring), int64(len(amFiring)), nil); rec.Code != http.StatusAccepted {
		t.Fatalf("the same group a minute later: %d %q; want 202", rec.Code, rec.Body.String())
	}
	// Another group with the same alerts is another notification.
	other := strings.Replace(amFiring, `"groupKey": "{}:{alertname=\"HighErrorRate\"}"`, `"groupKey": "{}:{service=\"api\"}"`, 1)
	if rec := in.post(strings.NewReader(other), int64(len(other)), nil); rec.Code != http.StatusAccepted {
		t.Fatalf("another group: %d %q; want 202", rec.Code, rec.Body.String())
	}
	if ds := in.stored(t); len(ds) != 3 {
		t.Errorf("%d stored; want 3", len(ds))
	}
}

func TestAlertmanagerLaneOfALongGroupKey(t *testing.T) {
	long := alertmanagerLane("wavegate", strings.Repeat(`{a="b"}`, 100))
	if len(long) > 256 || !strings.HasPrefix(long, "alertmanager:") {
		t.Errorf("lane %q", long)
	}
	if long == alertmanagerLane("other", strings.Repeat(`{a="b"}`, 100)) {
		t.Error("two receivers share a lane")
	}
}

type viewSpy struct{ applied [][]store.Alert }

func (v *viewSpy) Apply(changed []store.Alert) { v.applied = append(v.applied, changed) }

func amDelivery(id, payload string, at time.Time) store.Delivery {
	return store.Delivery{ID: id, Event: EventAlertmanager, Payload: []byte(payload), ReceivedAt: at, Attempts: 1}
}

// The stored notification's alerts are kept by fingerprint, as of when it
// arrived; the view and the hook hear of each one stored.
func TestAlertmanagerRunKeepsAlerts(t *testing.T) {
	ctx := context.Background()
	in := newAMIntake(t, amToken, 0)
	arrived := in.clk.Now()
	in.clk.Advance(time.Minute) // processed a minute after it arrived
	view := &viewSpy{}
	var hooked [][]store.Alert
	run := &AlertmanagerRun{Alerts: in.store, View: view, Clock: in.clk,
		OnAlerts: func(_ context.Context, changed []store.Alert) error { hooked = append(hooked, changed); return nil }}

	if err := run.Handle(ctx, amDelivery("n1", amFiring, arrived)); err != nil {
		t.Fatal(err)
	}
	firing, err := in.store.FiringAlerts(ctx)
	if err != nil || len(firing) != 1 {
		t.Fatalf("FiringAlerts = %+v, %v", firing, err)
	}
	a := firing[0]
	if a.Fingerprint != "4c2b1e7a9d0f3e11" || a.Labels["target"] != "prod-us-west-2a" ||
		a.Annotations["summary"] != "5xx above 5% on prod-us-west-2a" || !a.ReceivedAt.Equal(arrived) ||
		!a.StartsAt.Equal(time.Date(2025, 3, 1, 11, 58, 0, 0, time.UTC)) || !a.EndsAt.IsZero() {
		t.Errorf("kept %+v", a)
	}
	if len(view.applied) != 1 || len(hooked) != 1 || hooked[0][0].Fingerprint != a.Fingerprint {
		t.Errorf("view told %v, hook told %v; want the alert once each", view.applied, hooked)
	}

	if err := run.Handle(ctx, amDelivery("n2", amResolved, arrived.Add(2*time.Minute))); err != nil {
		t.Fatal(err)
	}
	if firing, _ := in.store.FiringAlerts(ctx); len(firing) != 0 {
		t.Errorf("still firing after resolved: %+v", firing)
	}
	if len(hooked) != 2 || hooked[1][0].Status != store.AlertResolved {
		t.Errorf("hook told %+v; want the resolved alert", hooked)
	}

	// The firing notification retried late is older news: nothing
	// changes and nobody is told.
	if err := run.Handle(ctx, amDelivery("n1", amFiring, arrived)); err != nil {
		t.Fatal(err)
	}
	if firing, _ := in.store.FiringAlerts(ctx); len(firing) != 0 || len(hooked) != 2 || len(view.applied) != 2 {
		t.Errorf("an older notification changed things: firing %+v, hook told %d times", firing, len(hooked))
	}
}

// An alert without a fingerprint is known by its labels.
func TestAlertmanagerFingerprintFromLabels(t *testing.T) {
	body := `{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A","target":"t1"}}]}`
	p, err := DecodeAlertmanager([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	same, _ := DecodeAlertmanager([]byte(`{"version":"4","alerts":[{"status":"firing","labels":{"target":"t1","alertname":"A"}}]}`))
	other, _ := DecodeAlertmanager([]byte(`{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A","target":"t2"}}]}`))
	fp := p.Alerts[0].Fingerprint
	if !strings.HasPrefix(fp, "labels:") || fp != same.Alerts[0].Fingerprint || fp == other.Alerts[0].Fingerprint {
		t.Errorf("fingerprints %q, %q, %q", fp, same.Alerts[0].Fingerprint, other.Alerts[0].Fingerprint)
	}
}

type failingAlerts struct{ store.Alerts }

func (failingAlerts) UpsertAlerts(context.Context, []store.Alert) ([]store.Alert, error) {
	return nil, errors.New("database is locked")
}

// A store or hook failure is retried; a payload that cannot be read is not.
func TestAlertmanagerRunFailures(t *testing.T) {
	ctx := context.Background()
	in := newAMIntake(t, amToken, 0)
	at := in.clk.Now()

	err := (&AlertmanagerRun{Alerts: failingAlerts{in.store}}).Handle(ctx, amDelivery("n1", amFiring, at))
	if err == nil || !IsRetryable(err) || !strings.Contains(err.Error(), "database is locked") {
		t.Errorf("store failure: %v; want a retryable error saying why", err)
	}

	calls := 0
	run := &AlertmanagerRun{Alerts: in.store, OnAlerts: func(context.Context, []store.Alert) error {
		calls++
		if calls == 1 {
			return errors.New("engine busy")
		}
		return nil
	}}
	if err := run.Handle(ctx, amDelivery("n1", amFiring, at)); err == nil || !IsRetryable(err) {
		t.Errorf("hook failure: %v; want retryable", err)
	}
	// The retry stores the same alerts again and tells the hook again.
	if err := run.Handle(ctx, amDelivery("n1", amFiring, at)); err != nil || calls != 2 {
		t.Errorf("retry: %v after %d calls; want success on the second", err, calls)
	}

	err = run.Handle(ctx, amDelivery("n3", `{"version":"3"}`, at))
	if err == nil || IsRetryable(err) {
		t.Errorf("unreadable payload: %v; want a permanent error", err)
	}
}

// Old resolved alerts are pruned once an hour, as notifications come.
func TestAlertmanagerRunPrunes(t *testing.T) {
	ctx := context.Background()
	in := newAMIntake(t, amToken, 0)
	run := &AlertmanagerRun{Alerts: in.store, Clock: in.clk}
	resolvedAt := in.clk.Now()
	if err := run.Handle(ctx, amDelivery("n1", amResolved, resolvedAt)); err != nil {
		t.Fatal(err)
	}
	other := strings.ReplaceAll(amFiring, "4c2b1e7a9d0f3e11", "0000000000000002")
	in.clk.Advance(DefaultResolvedAlertRetention + time.Minute)
	if err := run.Handle(ctx, amDelivery("n2", other, in.clk.Now())); err != nil {
		t.Fatal(err)
	}
	// The resolved alert is gone: the same notification is news again.
	stored, err := in.store.UpsertAlerts(ctx, (AlertmanagerPayload{Alerts: []AlertmanagerAlert{{
		Status: "firing", Labels: map[string]string{"a": "b"}, Fingerprint: "4c2b1e7a9d0f3e11"}}}).StoreAlerts(resolvedAt.Add(-time.Hour)))
	if err != nil || len(stored) != 1 {
		t.Errorf("a day-old resolved alert was not pruned: stored %d, %v", len(stored), err)
	}
}
