package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// NewAlert is a firing alert of fingerprint fp with its labels received at at.
func NewAlert(fp string, at time.Time, labels map[string]string) store.Alert {
	return store.Alert{
		Fingerprint: fp, Status: store.AlertFiring, Labels: labels,
		Annotations: map[string]string{"summary": "errors on " + labels["target"]},
		StartsAt:    at.Add(-time.Minute), GeneratorURL: "http://prometheus.example/graph?g0.expr=up", ReceivedAt: at,
	}
}

func resolved(a store.Alert, at time.Time) store.Alert {
	a.Status, a.EndsAt, a.ReceivedAt = store.AlertResolved, at.Add(-time.Second), at
	return a
}

func mustUpsert(t *testing.T, s store.Alerts, alerts ...store.Alert) []store.Alert {
	t.Helper()
	got, err := s.UpsertAlerts(context.Background(), alerts)
	if err != nil {
		t.Fatalf("UpsertAlerts: %v", err)
	}
	return got
}

func wantFiring(t *testing.T, s store.Alerts, want ...store.Alert) {
	t.Helper()
	got, err := s.FiringAlerts(context.Background())
	if err != nil {
		t.Fatalf("FiringAlerts: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("FiringAlerts = %+v; want %+v", got, want)
	}
	for i := range want {
		if !sameAlert(got[i], want[i]) {
			t.Errorf("FiringAlerts[%d] = %+v; want %+v", i, got[i], want[i])
		}
	}
}

// sameAlert compares times as instants: a store may give them back in UTC.
func sameAlert(a, b store.Alert) bool {
	times := func(a store.Alert) store.Alert {
		a.StartsAt, a.EndsAt, a.ReceivedAt = time.Time{}, time.Time{}, time.Time{}
		if len(a.Labels) == 0 {
			a.Labels = nil
		}
		if len(a.Annotations) == 0 {
			a.Annotations = nil
		}
		return a
	}
	return a.StartsAt.Equal(b.StartsAt) && a.EndsAt.Equal(b.EndsAt) && a.ReceivedAt.Equal(b.ReceivedAt) &&
		reflect.DeepEqual(times(a), times(b))
}

func testAlertsUpsertAndResolve(t *testing.T, open Opener) {
	s := open(t)
	wantFiring(t, s)
	a := NewAlert("aa01", At(0), map[string]string{"alertname": "HighErrorRate", "target": "prod-1"})
	b := NewAlert("bb02", At(0), map[string]string{"alertname": "Down"})
	b.Annotations, b.StartsAt = nil, time.Time{} // no annotations, no start: kept as such
	if got := mustUpsert(t, s, a, b); len(got) != 2 {
		t.Fatalf("UpsertAlerts of two new alerts stored %d", len(got))
	}
	wantFiring(t, s, a, b)

	// A refresh takes the new annotations and received-at.
	a2 := a
	a2.Annotations, a2.ReceivedAt = map[string]string{"summary": "worse"}, At(time.Minute)
	mustUpsert(t, s, a2)
	wantFiring(t, s, a2, b)

	// Resolved: no longer firing.
	ra := resolved(a2, At(2*time.Minute))
	if got := mustUpsert(t, s, ra); len(got) != 1 || !sameAlert(got[0], ra) {
		t.Fatalf("UpsertAlerts(resolved) = %+v", got)
	}
	wantFiring(t, s, b)

	// Firing again later: back.
	a3 := a2
	a3.ReceivedAt = At(3 * time.Minute)
	mustUpsert(t, s, a3)
	wantFiring(t, s, a3, b)
}

// A notification retried behind a later one must not undo it: a late
// "firing" after "resolved" would hold deploys for an alert long gone.
func testAlertsOlderNewsLeftOut(t *testing.T, open Opener) {
	s := open(t)
	a := NewAlert("aa01", At(0), map[string]string{"alertname": "HighErrorRate"})
	mustUpsert(t, s, resolved(a, At(time.Minute)))
	if got := mustUpsert(t, s, a); len(got) != 0 {
		t.Errorf("an older firing notification was stored over a newer resolved one: %+v", got)
	}
	wantFiring(t, s)

	// In one call, the older is left out and the rest stored.
	b := NewAlert("bb02", At(0), map[string]string{"alertname": "Down"})
	got := mustUpsert(t, s, a, b)
	if len(got) != 1 || got[0].Fingerprint != "bb02" {
		t.Errorf("UpsertAlerts(older a, new b) stored %+v; want b alone", got)
	}
	wantFiring(t, s, b)

	// The same received-at is the same news: taken.
	if got := mustUpsert(t, s, b); len(got) != 1 {
		t.Errorf("UpsertAlerts of an alert with an equal received-at stored %d; want 1", len(got))
	}
}

func testAlertsRejectsInvalid(t *testing.T, open Opener) {
	s := open(t)
	good := NewAlert("aa01", At(0), map[string]string{"alertname": "A"})
	noFP, noStatus, noTime := good, good, good
	noFP.Fingerprint, noStatus.Status, noTime.ReceivedAt = "", "pending", time.Time{}
	for name, a := range map[string]store.Alert{"no fingerprint": noFP, "bad status": noStatus, "no received-at": noTime} {
		if _, err := s.UpsertAlerts(context.Background(), []store.Alert{good, a}); err == nil {
			t.Errorf("%s: UpsertAlerts accepted %+v", name, a)
		}
	}
	wantFiring(t, s) // all or none: the good one was not stored either
}

func testAlertsPrune(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	oldResolved := resolved(NewAlert("r-old", At(0), map[string]string{"alertname": "A"}), At(time.Hour))
	newResolved := resolved(NewAlert("r-new", At(0), map[string]string{"alertname": "B"}), At(3*time.Hour))
	staleFiring := NewAlert("f-old", At(time.Hour), map[string]string{"alertname": "C"})
	freshFiring := NewAlert("f-new", At(3*time.Hour), map[string]string{"alertname": "D"})
	mustUpsert(t, s, oldResolved, newResolved, staleFiring, freshFiring)

	n, err := s.PruneAlerts(ctx, At(2*time.Hour), At(30*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("PruneAlerts = %d, %v; want the old resolved alert alone", n, err)
	}
	wantFiring(t, s, freshFiring, staleFiring)
	// The pruned one is gone: an older notification of it is news again.
	if got := mustUpsert(t, s, NewAlert("r-old", At(0), map[string]string{"alertname": "A"})); len(got) != 1 {
		t.Errorf("a pruned alert was still known")
	}
	n, err = s.PruneAlerts(ctx, At(0), At(2*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("PruneAlerts of firing alerts unrefreshed since 2h = %d, %v; want 2 (f-old, r-old)", n, err)
	}
	wantFiring(t, s, freshFiring)
}
