package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"

	"github.com/wavegate/wavegate/internal/services"
	"github.com/wavegate/wavegate/pipeline"
)

// testService is a service whose error ratio a test sets, as its /metrics
// tell Prometheus.
type testService struct {
	url   string
	ratio prometheus.Gauge
}

func newTestService(t *testing.T) *testService {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "test_error_ratio", Help: "Share of requests that failed."}, []string{"service", "target"})
	reg.MustRegister(g)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	s := &testService{url: srv.URL, ratio: g.WithLabelValues("api", "prod-1")}
	s.ratio.Set(0)
	return s
}

func nonEmpty(v model.Value) bool {
	vec, ok := v.(model.Vector)
	return ok && len(vec) > 0
}

// rolledBackBy waits until release 2 is rolled back off prod-1 to c1 and
// checks that every report names the alarm.
func (w *alarmWorld) rolledBackBy(alarm string) {
	w.t.Helper()
	w.waitFor("the rollback to c1", func() bool { return slices.Contains(w.invocations(), "rollback_prod-1_full_c1") })
	if r := w.state().Release(2); r == nil || r.Status != pipeline.ReleaseFailed || !strings.Contains(r.Reason, alarm) {
		w.t.Fatalf("release 2 after the alarm: %+v", r)
	}
	if h := w.state().Holds["wave-1"]; h == nil || h.ReleaseID != 2 {
		w.t.Fatalf("wave-1 not held after the rollback: %+v", w.state().Holds)
	}
	w.waitFor("the reports to name the alarm", func() bool {
		return strings.Contains(w.comment(8), alarm) && w.slackShows(alarm)
	})
}

// alarmRound is the news that the Prometheus evaluator finished a round.
type alarmRound struct{}

// evaluateUntil moves Wavegate's clock on one alarms interval (1s) at a
// time, never behind the real time Prometheus answers for, and waits for
// the evaluator's round at each step, until done. As on the wall clock, a
// round whose query failed (a slow answer on a busy machine) is followed
// by another; done is looked at once the round's changes are planned.
func (w *alarmWorld) evaluateUntil(what string, done func() bool) {
	w.t.Helper()
	giveUp := time.Now().Add(w.guard) // a guard only: rounds may keep coming
	for !done() {
		if time.Now().After(giveUp) {
			w.t.Fatalf("%s: not after %v of rounds; state %v\n%s", what, w.guard, stateDigest(w.state()), w.debugReports())
		}
		w.clk.Set(latest(w.clk.Now().Add(time.Second), time.Now()))
		for {
			if _, round := w.next(what).(alarmRound); round {
				break
			}
		}
	}
}

func (w *alarmWorld) debugReports() string {
	var b strings.Builder
	b.WriteString("comment 8:\n" + w.comment(8) + "\nslack:\n")
	for _, m := range w.slack.Messages("C0DEPLOYS") {
		b.WriteString(m.Text + " " + string(m.Blocks) + "\n")
	}
	// How Prometheus answered: a failed or slow query is the usual reason
	// an alarm was not seen.
	families, _ := w.r.app.registry.Gather()
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "wavegate_prometheus_quer") {
			continue
		}
		for _, m := range f.GetMetric() {
			fmt.Fprintf(&b, "%s %v counter=%v histogram_count=%v histogram_sum=%v\n", f.GetName(), m.GetLabel(),
				m.GetCounter().GetValue(), m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum())
		}
	}
	return b.String()
}

// baking starts release 2 over c1 on prod-1 and waits until it bakes, and
// until Prometheus's evaluator (when there is one) watches the bake.
func (w *alarmWorld) baking() {
	w.t.Helper()
	w.releaseOver(2, "c2", 8, map[string]string{"prod-1": "c1"})
	w.waitFor("release 2 baking", func() bool {
		r := w.state().Release(2)
		baking := r != nil && r.Stages["wave-1"] != nil && r.Stages["wave-1"].Targets["prod-1"] != nil &&
			r.Stages["wave-1"].Targets["prod-1"].Phase == pipeline.PhaseFullBaking
		if !baking || w.r.app.alarms.Watchlist() == nil {
			return baking
		}
		watch, ok := w.r.app.alarms.Watchlist().Get(w.key, "prod-1")
		return ok && !watch.DeployFinishedAt.IsZero()
	})
}

const highErrorRule = `groups:
  - name: wavegate-test
    rules:
      - alert: HighErrorRate
        expr: test_error_ratio > 0.1
        annotations: {summary: "error ratio {{ $value }}"}
`

// End to end with the real programs: the service's error ratio rises
// while release 2 bakes on prod-1; Prometheus's rule fires, Alertmanager
// notifies Wavegate, and Wavegate rolls prod-1 back and says why.
func TestRealAlertmanagerAlarmRollsBack(t *testing.T) {
	svc := newTestService(t)
	w := newAlarmWorldAt(t, time.Now(), alarmedWave, nil)
	w.guard = time.Minute
	am := services.StartAlertmanager(t, services.AlertmanagerOptions{WebhookURL: w.r.url + "/webhooks/alertmanager", Token: amTestToken})
	prom := services.StartPrometheus(t, services.PrometheusOptions{Scrape: svc.url, Rules: []string{highErrorRule},
		Alertmanager: strings.TrimPrefix(am.URL, "http://")})
	prom.WaitFor(`test_error_ratio`, nonEmpty)

	w.baking()
	crossed := time.Now()
	svc.ratio.Set(0.5)
	prom.WaitFor(`ALERTS{alertname="HighErrorRate",alertstate="firing"}`, nonEmpty)
	fired := time.Now()
	w.rolledBackBy("HighErrorRate")
	t.Logf("metric crossed → alert firing in Prometheus %v → rollback recorded %v", fired.Sub(crossed).Round(time.Millisecond), time.Since(fired).Round(time.Millisecond))
}

const queriedWave = `pipelines:
  app:
    branch: release
    deployer: {command: deploy}
    slack_channel: "#deploys"
    alarms:
      interval: 1s
      queries:
        fault-rate: 'test_error_ratio{target="{{.Target}}"} > 0.1'
    stages:
      - {name: wave-1, targets: [prod-1], bake: 10m}
`

// The same through a PromQL query Wavegate evaluates itself, without
// Alertmanager.
func TestRealPrometheusQueryRollsBack(t *testing.T) {
	svc := newTestService(t)
	prom := services.StartPrometheus(t, services.PrometheusOptions{Scrape: svc.url})
	prom.WaitFor(`test_error_ratio`, nonEmpty)
	w := newAlarmWorldAt(t, time.Now(), queriedWave, func(c *Config) { c.PrometheusURL = prom.URL })
	w.guard = time.Minute

	w.baking()
	svc.ratio.Set(0.5)
	prom.WaitFor(`test_error_ratio{target="prod-1"} > 0.1`, nonEmpty)
	// The evaluator's rounds come due on Wavegate's clock: it moves to the
	// real time Prometheus answers for, a round at a time.
	w.evaluateUntil("the alarm to fail release 2", func() bool {
		r := w.state().Release(2)
		return r != nil && r.Status == pipeline.ReleaseFailed
	})
	w.rolledBackBy("fault-rate")
}

// TestRealAlarmHops measures the way of an alarm with the real programs,
// hop by hop: the metric crossing its threshold, Prometheus's rule firing
// (its activeAt), Alertmanager's notification arriving at Wavegate, the
// rollback recorded. It runs only when asked:
//
//	WAVEGATE_BENCH_ALARMS=1 go test -count=1 -run TestRealAlarmHops -v ./app
func TestRealAlarmHops(t *testing.T) {
	if os.Getenv("WAVEGATE_BENCH_ALARMS") == "" {
		t.Skip("set WAVEGATE_BENCH_ALARMS=1 to measure")
	}
	for run := range 5 {
		svc := newTestService(t)
		var mu sync.Mutex
		var arrived, recorded time.Time
		w := newAlarmWorldAt(t, time.Now(), alarmedWave, nil, func(_ pipeline.Key, res pipeline.Result) {
			for _, d := range res.Deploys {
				if d.Step.Action == pipeline.ActionRollback {
					mu.Lock()
					recorded = time.Now()
					mu.Unlock()
				}
			}
		})
		w.guard = time.Minute
		target, err := url.Parse(w.r.url)
		if err != nil {
			t.Fatal(err)
		}
		proxy := httputil.NewSingleHostReverseProxy(target)
		front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
			mu.Lock()
			if arrived.IsZero() {
				arrived = time.Now()
			}
			mu.Unlock()
			proxy.ServeHTTP(rw, req)
		}))
		am := services.StartAlertmanager(t, services.AlertmanagerOptions{WebhookURL: front.URL + "/webhooks/alertmanager", Token: amTestToken})
		prom := services.StartPrometheus(t, services.PrometheusOptions{Scrape: svc.url, Rules: []string{highErrorRule},
			Alertmanager: strings.TrimPrefix(am.URL, "http://")})
		prom.WaitFor(`test_error_ratio`, nonEmpty)
		w.baking()
		crossed := time.Now()
		svc.ratio.Set(0.5)
		w.rolledBackBy("HighErrorRate")
		alerts, err := prom.API().Alerts(t.Context())
		if err != nil || len(alerts.Alerts) == 0 {
			t.Fatalf("Prometheus alerts: %v %v", alerts, err)
		}
		active := alerts.Alerts[0].ActiveAt
		mu.Lock()
		t.Logf("run %d: crossed → rule active %v → notification at Wavegate %v → rollback recorded %v; total %v", run,
			active.Sub(crossed).Round(time.Millisecond), arrived.Sub(active).Round(time.Millisecond),
			recorded.Sub(arrived).Round(time.Millisecond), recorded.Sub(crossed).Round(time.Millisecond))
		mu.Unlock()
		front.Close()
	}
}

const countedWave = `pipelines:
  app:
    branch: release
    deployer: {command: deploy}
    slack_channel: "#deploys"
    alarms: {interval: 1s}
    datapoints: 'sum(test_requests_total{target="{{.Target}}",version="{{.SHA}}"})'
    datapoints_timeout: 10m
    stages:
      - {name: wave-1, targets: [prod-1], bake: 5s, min_datapoints: 100}
`

// A bake whose data points are reached only after its time waits for
// them, and ends at the evaluation that finds them, to the second.
func TestRealDatapointsHoldTheBakePastItsTime(t *testing.T) {
	reg := prometheus.NewRegistry()
	served := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "test_requests_total", Help: "Requests served."}, []string{"target", "version"})
	reg.MustRegister(served)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	requests := served.WithLabelValues("prod-1", "c2")
	prom := services.StartPrometheus(t, services.PrometheusOptions{Scrape: srv.URL})
	prom.WaitFor(`test_requests_total`, nonEmpty)
	// Every saved run of prod-1, in order: the plan that first sees the
	// data points is the one that must end the bake.
	var mu sync.Mutex
	var saved []pipeline.TargetRun
	w := newAlarmWorldAt(t, time.Now(), countedWave, func(c *Config) { c.PrometheusURL = prom.URL },
		func(_ pipeline.Key, res pipeline.Result) {
			if r := res.State.Release(2); r != nil && r.Stages["wave-1"] != nil && r.Stages["wave-1"].Targets["prod-1"] != nil {
				mu.Lock()
				saved = append(saved, *r.Stages["wave-1"].Targets["prod-1"])
				mu.Unlock()
			}
		})
	w.guard = time.Minute
	firstSaved := func(match func(pipeline.TargetRun) bool) (pipeline.TargetRun, bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, tr := range saved {
			if match(tr) {
				return tr, true
			}
		}
		return pipeline.TargetRun{}, false
	}

	w.baking()
	bakeEnd := w.state().Release(2).Stages["wave-1"].Targets["prod-1"].BakeUntil
	requests.Add(40)
	prom.WaitFor(`test_requests_total{version="c2"} >= 40`, nonEmpty)
	// Wavegate's clock moves past the bake's end, then a round at a time,
	// never behind the real time Prometheus answers for.
	w.clk.Set(bakeEnd.Add(time.Second))
	w.evaluateUntil("40 data points counted", func() bool {
		_, ok := firstSaved(func(tr pipeline.TargetRun) bool {
			return tr.Datapoints.Count == 40 && tr.Phase == pipeline.PhaseFullBaking && strings.Contains(tr.Waiting, "40 of 100 data points")
		})
		return ok
	})
	w.waitFor("the report of 40 data points", func() bool { return strings.Contains(w.comment(8), "40 of 100 data points") })

	requests.Add(80)
	prom.WaitFor(`test_requests_total{version="c2"} >= 120`, nonEmpty)
	w.evaluateUntil("the bake to end", func() bool {
		_, ok := firstSaved(func(tr pipeline.TargetRun) bool { return tr.Phase == pipeline.PhaseDone })
		return ok
	})
	if tr, _ := firstSaved(func(tr pipeline.TargetRun) bool { return tr.Datapoints.Count >= 100 }); tr.Phase != pipeline.PhaseDone {
		t.Fatalf("the plan that first counted %d data points left prod-1 %s (%q); want the bake ended then", tr.Datapoints.Count, tr.Phase, tr.Waiting)
	}
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
