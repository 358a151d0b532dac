package alarms

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func matcher(t *testing.T, name, op, value string) pipeline.LabelMatcher {
	t.Helper()
	m, err := pipeline.NewLabelMatcher(name, op, value)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func alarmsOf(ms ...pipeline.LabelMatcher) *pipeline.Alarms {
	return &pipeline.Alarms{Match: ms, TargetLabel: pipeline.DefaultTargetLabel, ResolveTimeout: pipeline.DefaultResolveTimeout}
}

func alert(fp string, status store.AlertStatus, received time.Time, labels ...string) store.Alert {
	l := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	return store.Alert{
		Fingerprint: fp, Status: status, Labels: l,
		Annotations: map[string]string{"summary": "summary of " + fp},
		StartsAt:    received.Add(-time.Minute), ReceivedAt: received,
	}
}

func newView(t *testing.T, clk clock.Clock) (*Alerts, *prometheus.Registry, *bytes.Buffer) {
	t.Helper()
	reg, logs := prometheus.NewRegistry(), &bytes.Buffer{}
	v, err := NewAlerts(AlertsConfig{Clock: clk, Registerer: reg, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return v, reg, logs
}

// names lists the alarms firing on target as "name@target(org)".
func names(src pipeline.AlarmSource, target string) []string {
	var out []string
	for _, a := range src.Firing(target) {
		s := a.Name + "@" + a.Target
		if a.Org {
			s += "(org)"
		}
		out = append(out, s)
	}
	return out
}

func TestAlertsMatching(t *testing.T) {
	api := func(t *testing.T) *pipeline.Alarms { return alarmsOf(matcher(t, "service", "=", "api")) }
	for _, tc := range []struct {
		name   string
		alerts []store.Alert
		p, org func(t *testing.T) *pipeline.Alarms
		target string
		want   []string
	}{
		{name: "equality on target", alerts: []store.Alert{alert("a", store.AlertFiring, t0, "alertname", "HighErrorRate", "service", "api", "target", "prod-1")},
			p: api, target: "prod-1", want: []string{"HighErrorRate@prod-1"}},
		{name: "another target", alerts: []store.Alert{alert("a", store.AlertFiring, t0, "alertname", "HighErrorRate", "service", "api", "target", "prod-1")},
			p: api, target: "prod-2", want: nil},
		{name: "unknown target recorded and ignored", alerts: []store.Alert{alert("a", store.AlertFiring, t0, "alertname", "X", "service", "api", "target", "nowhere")},
			p: api, target: "prod-1", want: nil},
		{name: "no target label: every target", alerts: []store.Alert{alert("a", store.AlertFiring, t0, "alertname", "DBDown", "service", "api")},
			p: api, target: "prod-2", want: []string{"DBDown@"}},
		{name: "equality not met", alerts: []store.Alert{alert("a", store.AlertFiring, t0, "alertname", "X", "service", "web", "target", "prod-1")},
			p: api, target: "prod-1", want: nil},
		{name: "missing label is empty", alerts: []store.Alert{alert("a", store.AlertFiring, t0, "alertname", "X", "target", "prod-1")},
			p: func(t *testing.T) *pipeline.Alarms { return alarmsOf(matcher(t, "team", "=", "")) }, target: "prod-1", want: []string{"X@prod-1"}},
		{name: "missing label fails equality", alerts: []store.Alert{alert("a", store.AlertFiring, t0, "alertname", "X", "target", "prod-1")},
			p: api, target: "prod-1", want: nil},
		{name: "regex anchored", alerts: []store.Alert{
			alert("a", store.AlertFiring, t0, "alertname", "A", "service", "api-v2", "target", "prod-1"),
			alert("b", store.AlertFiring, t0, "alertname", "B", "service", "my-api-v2", "target", "prod-1"),
		}, p: func(t *testing.T) *pipeline.Alarms { return alarmsOf(matcher(t, "service", "=~", "api-.*")) }, target: "prod-1", want: []string{"A@prod-1"}},
		{name: "all matchers must hold", alerts: []store.Alert{
			alert("a", store.AlertFiring, t0, "alertname", "A", "service", "api", "severity", "page", "target", "prod-1"),
			alert("b", store.AlertFiring, t0, "alertname", "B", "service", "api", "severity", "info", "target", "prod-1"),
		}, p: func(t *testing.T) *pipeline.Alarms {
			return alarmsOf(matcher(t, "service", "=", "api"), matcher(t, "severity", "=~", "page|critical"))
		}, target: "prod-1", want: []string{"A@prod-1"}},
		{name: "own target label", alerts: []store.Alert{alert("a", store.AlertFiring, t0, "alertname", "A", "service", "api", "target", "x", "cell", "prod-1")},
			p: func(t *testing.T) *pipeline.Alarms {
				a := api(t)
				a.TargetLabel = "cell"
				return a
			}, target: "prod-1", want: []string{"A@prod-1"}},
		{name: "no match claims nothing", alerts: []store.Alert{alert("a", store.AlertFiring, t0, "alertname", "A", "target", "prod-1")},
			p: func(*testing.T) *pipeline.Alarms { return alarmsOf() }, target: "prod-1", want: nil},
		{name: "resolved clears", alerts: []store.Alert{
			alert("a", store.AlertFiring, t0, "alertname", "A", "service", "api", "target", "prod-1"),
			alert("a", store.AlertResolved, t0.Add(time.Minute), "alertname", "A", "service", "api", "target", "prod-1"),
		}, p: api, target: "prod-1", want: nil},
		{name: "older firing after resolved is left out", alerts: []store.Alert{
			alert("a", store.AlertResolved, t0.Add(time.Minute), "alertname", "A", "service", "api", "target", "prod-1"),
			alert("a", store.AlertFiring, t0, "alertname", "A", "service", "api", "target", "prod-1"),
		}, p: api, target: "prod-1", want: nil},
		{name: "org alarms", alerts: []store.Alert{
			alert("a", store.AlertFiring, t0, "alertname", "RegionDown", "scope", "org", "target", "prod-1"),
			alert("b", store.AlertFiring, t0, "alertname", "Mine", "service", "api"),
		}, p: api, org: func(t *testing.T) *pipeline.Alarms { return alarmsOf(matcher(t, "scope", "=", "org")) },
			target: "prod-1", want: []string{"Mine@", "RegionDown@prod-1(org)"}},
		{name: "org alarms without the pipeline's", alerts: []store.Alert{alert("a", store.AlertFiring, t0, "alertname", "Freeze", "scope", "org")},
			org:    func(t *testing.T) *pipeline.Alarms { return alarmsOf(matcher(t, "scope", "=", "org")) },
			target: "prod-9", want: []string{"Freeze@(org)"}},
		{name: "matched by both: the pipeline's", alerts: []store.Alert{alert("a", store.AlertFiring, t0, "alertname", "A", "service", "api", "scope", "org")},
			p: api, org: func(t *testing.T) *pipeline.Alarms { return alarmsOf(matcher(t, "scope", "=", "org")) },
			target: "prod-1", want: []string{"A@"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, _, _ := newView(t, clock.NewFake(t0))
			for _, a := range tc.alerts {
				v.Apply([]store.Alert{a})
			}
			var p, org *pipeline.Alarms
			if tc.p != nil {
				p = tc.p(t)
			}
			if tc.org != nil {
				org = tc.org(t)
			}
			if got := names(v.Source("acme/api:app", p, org), tc.target); !slices.Equal(got, tc.want) {
				t.Errorf("firing on %s: %v; want %v", tc.target, got, tc.want)
			}
		})
	}
}

// An alarm says what the alert says: name, summary (or description),
// labels and since when.
func TestAlertsAlarmFields(t *testing.T) {
	v, _, _ := newView(t, clock.NewFake(t0))
	a := alert("a", store.AlertFiring, t0, "alertname", "HighErrorRate", "service", "api", "target", "prod-1")
	b := alert("b", store.AlertFiring, t0, "alertname", "Slow", "service", "api", "target", "prod-1")
	b.Annotations = map[string]string{"description": "p99 above 2s"}
	v.Apply([]store.Alert{a, b})
	got := v.Source("k", alarmsOf(matcher(t, "service", "=", "api")), nil).Firing("prod-1")
	want := []pipeline.Alarm{
		{Origin: pipeline.AlarmAlertmanager, Name: "HighErrorRate", Target: "prod-1", Summary: "summary of a", Labels: a.Labels, Since: a.StartsAt},
		{Origin: pipeline.AlarmAlertmanager, Name: "Slow", Target: "prod-1", Summary: "p99 above 2s", Labels: b.Labels, Since: b.StartsAt},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alarms\n%+v\nwant\n%+v", got, want)
	}
}

// An alert not refreshed for twice resolve_timeout is treated as resolved,
// reported once (log, counter, Stale), and firing again once refreshed.
func TestAlertsStale(t *testing.T) {
	clk := clock.NewFake(t0)
	v, reg, logs := newView(t, clk)
	p := alarmsOf(matcher(t, "service", "=", "api"))
	p.ResolveTimeout = 2 * time.Minute
	a := alert("a", store.AlertFiring, t0, "alertname", "A", "service", "api", "target", "prod-1")
	v.Apply([]store.Alert{a})

	clk.Advance(4*time.Minute - time.Nanosecond)
	if got := names(v.Source("k", p, nil), "prod-1"); len(got) != 1 {
		t.Fatalf("just under 2 × resolve_timeout: %v; want the alarm", got)
	}
	clk.Advance(time.Nanosecond)
	for range 2 {
		if got := names(v.Source("k", p, nil), "prod-1"); len(got) != 0 {
			t.Fatalf("at 2 × resolve_timeout: %v; want none", got)
		}
	}
	if n := testutil.ToFloat64(v.staleTotal); n != 1 {
		t.Errorf("wavegate_alerts_stale_total = %v; want 1 (reported once)", n)
	}
	if c := strings.Count(logs.String(), "treated as resolved"); c != 1 {
		t.Errorf("logged %d times; want once: %s", c, logs)
	}
	if st := v.Stale(); len(st) != 1 || st[0].Fingerprint != "a" {
		t.Errorf("Stale() = %+v", st)
	}
	// A pipeline with a longer resolve_timeout still sees it.
	long := alarmsOf(matcher(t, "service", "=", "api"))
	long.ResolveTimeout = time.Hour
	if got := names(v.Source("k2", long, nil), "prod-1"); len(got) != 1 {
		t.Errorf("with resolve_timeout 1h: %v; want the alarm", got)
	}

	a.ReceivedAt = clk.Now()
	v.Apply([]store.Alert{a})
	if got := names(v.Source("k", p, nil), "prod-1"); len(got) != 1 || len(v.Stale()) != 0 {
		t.Errorf("refreshed: %v, stale %v; want firing again", got, v.Stale())
	}
	clk.Advance(4 * time.Minute)
	v.Source("k", p, nil)
	if n := testutil.ToFloat64(v.staleTotal); n != 2 {
		t.Errorf("stale again after its refresh: counted %v; want 2", n)
	}
	if n, err := testutil.GatherAndCount(reg, "wavegate_alerts_stale_total", "wavegate_alertmanager_alerts_firing"); err != nil || n != 2 {
		t.Errorf("metrics registered: %d, %v", n, err)
	}
}

func TestAlertsConcerned(t *testing.T) {
	v, _, _ := newView(t, clock.NewFake(t0))
	org := alarmsOf(matcher(t, "scope", "=", "org"))
	pipelines := []PipelineAlarms{
		{Key: "acme/api:app", Alarms: alarmsOf(matcher(t, "service", "=", "api")), Org: org},
		{Key: "acme/web:site", Alarms: alarmsOf(matcher(t, "service", "=", "web")), Org: org},
		{Key: "beta/x:app", Alarms: alarmsOf(matcher(t, "service", "=~", "api|x"))},
		{Key: "beta/none:app"},
	}
	for _, tc := range []struct {
		name   string
		alerts []store.Alert
		want   []string
	}{
		{"one pipeline's and another org's", []store.Alert{alert("a", store.AlertResolved, t0, "service", "x")}, []string{"beta/x:app"}},
		{"two pipelines", []store.Alert{alert("a", store.AlertFiring, t0, "service", "api")}, []string{"acme/api:app", "beta/x:app"}},
		{"org-wide", []store.Alert{alert("a", store.AlertFiring, t0, "scope", "org")}, []string{"acme/api:app", "acme/web:site"}},
		{"several alerts, each key once", []store.Alert{
			alert("a", store.AlertFiring, t0, "service", "web"), alert("b", store.AlertFiring, t0, "service", "web"),
		}, []string{"acme/web:site"}},
		{"nobody's", []store.Alert{alert("a", store.AlertFiring, t0, "service", "db")}, nil},
	} {
		if got := v.Concerned(tc.alerts, pipelines); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, got, tc.want)
		}
	}
}

// Load takes the firing alerts the store kept, not the resolved ones.
func TestAlertsLoad(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.UpsertAlerts(ctx, []store.Alert{
		alert("a", store.AlertFiring, t0, "alertname", "A", "service", "api"),
		alert("b", store.AlertResolved, t0, "alertname", "B", "service", "api"),
	}); err != nil {
		t.Fatal(err)
	}
	v, reg, _ := newView(t, clock.NewFake(t0))
	v.Apply([]store.Alert{alert("old", store.AlertFiring, t0, "alertname", "Old", "service", "api")})
	if err := v.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got := names(v.Source("k", alarmsOf(matcher(t, "service", "=", "api")), nil), "prod-1"); !slices.Equal(got, []string{"A@"}) {
		t.Errorf("after Load: %v; want A alone", got)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP wavegate_alertmanager_alerts_firing Alertmanager alerts firing as last notified, stale ones included.
# TYPE wavegate_alertmanager_alerts_firing gauge
wavegate_alertmanager_alerts_firing 1
`), "wavegate_alertmanager_alerts_firing"); err != nil {
		t.Error(err)
	}
}

// Apply, Source and Stale from many goroutines (run with -race).
func TestAlertsConcurrentUse(t *testing.T) {
	clk := clock.NewFake(t0)
	v, _, _ := newView(t, clk)
	p := alarmsOf(matcher(t, "service", "=", "api"))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				fp := fmt.Sprintf("%d-%d", g, i%5)
				status := store.AlertFiring
				if i%3 == 0 {
					status = store.AlertResolved
				}
				v.Apply([]store.Alert{alert(fp, status, t0.Add(time.Duration(i)*time.Second), "alertname", fp, "service", "api")})
				src := v.Source("k", p, nil)
				for _, a := range src.Firing("prod-1") {
					if a.Name == "" {
						t.Errorf("an alarm without a name: %+v", a)
					}
				}
				v.Stale()
			}
		})
	}
	wg.Wait()
	// Each goroutine's last word on fingerprint i%5 came at i = 45..49: 45
	// and 48 resolved, so three of five fire.
	if got := len(v.Source("k", p, nil).Firing("prod-1")); got != 8*3 {
		t.Errorf("%d firing after the storm; want 24", got)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.firing != 8*3 {
		t.Errorf("the firing gauge counts %d; want 24", v.firing)
	}
}

// Resolved alerts are forgotten a day after, so the view does not grow
// with every alert ever resolved.
func TestAlertsForgetsResolved(t *testing.T) {
	clk := clock.NewFake(t0)
	v, _, _ := newView(t, clk)
	v.Apply([]store.Alert{alert("a", store.AlertResolved, t0, "alertname", "A")})
	clk.Advance(forgetResolved + sweepEvery)
	v.Apply([]store.Alert{alert("b", store.AlertFiring, clk.Now(), "alertname", "B")})
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.known["a"]; ok || len(v.known) != 1 {
		t.Errorf("known after a day: %v; want b alone", v.known)
	}
}
