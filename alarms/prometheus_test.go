package alarms

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/model"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/testlog"
	"github.com/wavegate/wavegate/pipeline"
)

// fakeProm is the one method of v1.API the Evaluator uses, answering from
// a function the test sets, and recording every query.
type fakeProm struct {
	mu     sync.Mutex
	calls  []fakeCall
	answer func(ctx context.Context, query string, ts time.Time) (model.Value, error)
}

type fakeCall struct {
	query string
	ts    time.Time
}

func (f *fakeProm) Query(ctx context.Context, query string, ts time.Time, _ ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error) {
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{query, ts})
	answer := f.answer
	f.mu.Unlock()
	v, err := answer(ctx, query, ts)
	return v, nil, nil, err
}

func (f *fakeProm) set(answer func(ctx context.Context, query string, ts time.Time) (model.Value, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = answer
}

func (f *fakeProm) recorded() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeCall(nil), f.calls...)
}

// answerAll gives every query the same answer.
func promAnswerAll(v model.Value, err error) func(context.Context, string, time.Time) (model.Value, error) {
	return func(context.Context, string, time.Time) (model.Value, error) { return v, err }
}

var (
	promT0  = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	promKey = pipeline.Key{Repository: "acme/api", Pipeline: "api"}
)

func promFaultRate() *pipeline.Alarms {
	return &pipeline.Alarms{Interval: 15 * time.Second, ErrorLimit: 3, Queries: []pipeline.AlarmQuery{
		{Name: "fault-rate", Query: `rate(errors{env="{{.Target}}"}[5m]) > 0.01`},
	}}
}

func newTestEvaluator(t *testing.T, api Querier, clk clock.Clock, reg prometheus.Registerer, onChange func(context.Context, []pipeline.Key)) *Evaluator {
	t.Helper()
	e, err := NewEvaluator(EvaluatorConfig{API: api, Clock: clk, Registerer: reg, OnChange: onChange})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEvaluateNowFiresAndClears(t *testing.T) {
	prom := &fakeProm{}
	clk := clock.NewFake(promT0)
	e := newTestEvaluator(t, prom, clk, nil, nil)
	w := Watch{Key: promKey, Alarms: promFaultRate(), Stage: "wave-1", Target: "prod-1", SHA: "abc"}

	prom.set(promAnswerAll(model.Vector{promSample(0.052, "env", "prod-1")}, nil))
	got, err := e.EvaluateNow(t.Context(), w)
	if err != nil {
		t.Fatal(err)
	}
	want := pipeline.Alarm{Origin: pipeline.AlarmQueryResult, Name: "fault-rate", Target: "prod-1",
		Summary: `{env="prod-1"} 0.052`, Labels: map[string]string{"env": "prod-1"}, Since: promT0}
	if len(got) != 1 || !samePromAlarm(got[0], want) {
		t.Fatalf("EvaluateNow = %+v, want [%+v]", got, want)
	}
	if calls := prom.recorded(); len(calls) != 1 || calls[0].query != `rate(errors{env="prod-1"}[5m]) > 0.01` || !calls[0].ts.Equal(promT0) {
		t.Fatalf("queries = %+v", calls)
	}
	if f := e.Source(promKey).Firing("prod-1"); len(f) != 1 || !samePromAlarm(f[0], want) {
		t.Fatalf("Source.Firing = %+v", f)
	}
	if f := e.Source(promKey).Firing("prod-2"); len(f) != 0 {
		t.Fatalf("another target: %+v", f)
	}
	if f := e.Source(pipeline.Key{Repository: "acme/web", Pipeline: "api"}).Firing("prod-1"); len(f) != 0 {
		t.Fatalf("another pipeline: %+v", f)
	}

	// Still firing a minute later: Since stays when it first fired.
	clk.Advance(time.Minute)
	prom.set(promAnswerAll(model.Vector{promSample(0.06, "env", "prod-1")}, nil))
	got, _ = e.EvaluateNow(t.Context(), w)
	if len(got) != 1 || !got[0].Since.Equal(promT0) || got[0].Summary != `{env="prod-1"} 0.06` {
		t.Fatalf("still firing: %+v", got)
	}

	prom.set(promAnswerAll(model.Vector{}, nil))
	if got, _ = e.EvaluateNow(t.Context(), w); len(got) != 0 {
		t.Fatalf("empty result should clear: %+v", got)
	}
}

func samePromAlarm(a, b pipeline.Alarm) bool {
	if a.Origin != b.Origin || a.Name != b.Name || a.Target != b.Target || a.Summary != b.Summary ||
		!a.Since.Equal(b.Since) || a.Org != b.Org || len(a.Labels) != len(b.Labels) {
		return false
	}
	for k, v := range a.Labels {
		if b.Labels[k] != v {
			return false
		}
	}
	return true
}

// A query in error keeps its verdict and is retried; at error_limit errors
// in a row it raises a query-error alarm with the error; a success resets
// the count.
func TestErrorLimit(t *testing.T) {
	prom := &fakeProm{}
	clk := clock.NewFake(promT0)
	reg := prometheus.NewRegistry()
	e := newTestEvaluator(t, prom, clk, reg, nil)
	w := Watch{Key: promKey, Alarms: promFaultRate(), Target: "prod-1"}
	down := errors.New(`Post "http://prometheus:9090/api/v1/query": dial tcp: connection refused`)

	evaluate := func() []pipeline.Alarm {
		t.Helper()
		got, err := e.EvaluateNow(t.Context(), w)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(15 * time.Second)
		return got
	}
	prom.set(promAnswerAll(nil, down))
	for i := 1; i < 3; i++ {
		if got := evaluate(); len(got) != 0 {
			t.Fatalf("error %d of 3 already raised %+v", i, got)
		}
	}
	got := evaluate()
	want := pipeline.Alarm{Origin: pipeline.AlarmQueryError, Name: "fault-rate", Target: "prod-1", Since: promT0,
		Summary: `3 evaluations in a row failed; the last: ` + down.Error()}
	if len(got) != 1 || !samePromAlarm(got[0], want) {
		t.Fatalf("after 3 errors = %+v, want [%+v]", got, want)
	}
	if got := evaluate(); len(got) != 1 || !strings.HasPrefix(got[0].Summary, "4 evaluations in a row failed") || !got[0].Since.Equal(promT0) {
		t.Fatalf("after 4 errors = %+v", got)
	}

	prom.set(promAnswerAll(model.Vector{}, nil))
	if got := evaluate(); len(got) != 0 {
		t.Fatalf("a success should clear the error alarm: %+v", got)
	}
	// The count starts again from zero.
	prom.set(promAnswerAll(nil, down))
	for i := 1; i < 3; i++ {
		if got := evaluate(); len(got) != 0 {
			t.Fatalf("after the reset, error %d of 3 raised %+v", i, got)
		}
	}
	if got := evaluate(); len(got) != 1 || got[0].Origin != pipeline.AlarmQueryError || !got[0].Since.Equal(promT0.Add(5*15*time.Second)) {
		t.Fatalf("after the reset, 3 errors = %+v", got)
	}
	if n := testutil.ToFloat64(e.metrics.queries.WithLabelValues("error")); n != 7 {
		t.Errorf("errors counted = %v, want 7", n)
	}
	if n := testutil.ToFloat64(e.metrics.queries.WithLabelValues("ok")); n != 1 {
		t.Errorf("successes counted = %v, want 1", n)
	}
	if n := testutil.CollectAndCount(reg, "wavegate_prometheus_query_duration_seconds"); n != 1 {
		t.Errorf("duration histogram series = %d, want 1", n)
	}
}

// An error keeps what the query last said: a firing alarm does not clear
// because Prometheus stopped answering.
func TestErrorKeepsFiring(t *testing.T) {
	prom := &fakeProm{}
	e := newTestEvaluator(t, prom, clock.NewFake(promT0), nil, nil)
	w := Watch{Key: promKey, Alarms: promFaultRate(), Target: "prod-1"}
	prom.set(promAnswerAll(model.Vector{promSample(0.5, "env", "prod-1")}, nil))
	e.EvaluateNow(t.Context(), w)
	prom.set(promAnswerAll(nil, errors.New("connection refused")))
	got, _ := e.EvaluateNow(t.Context(), w)
	if len(got) != 1 || got[0].Origin != pipeline.AlarmQueryResult {
		t.Fatalf("after one error = %+v, want the query alarm kept", got)
	}
}

func TestTemplateErrorReportedAtOnce(t *testing.T) {
	prom := &fakeProm{}
	e := newTestEvaluator(t, prom, clock.NewFake(promT0), nil, nil)
	a := promFaultRate()
	a.Queries[0].Query = `rate(errors{env="{{.Environment}}"}[5m])`
	got, _ := e.EvaluateNow(t.Context(), Watch{Key: promKey, Alarms: a, Target: "prod-1"})
	if len(got) != 1 || got[0].Origin != pipeline.AlarmQueryError || !strings.Contains(got[0].Summary, "can't evaluate field Environment") {
		t.Fatalf("got %+v", got)
	}
	if calls := prom.recorded(); len(calls) != 0 {
		t.Fatalf("a query that cannot be rendered was sent: %+v", calls)
	}
}

func TestQueryTimeout(t *testing.T) {
	prom := &fakeProm{}
	e := newTestEvaluator(t, prom, clock.NewFake(promT0), nil, nil)
	a := promFaultRate()
	a.Interval, a.ErrorLimit = time.Millisecond, 1 // the timeout is the interval, when shorter than 10s
	prom.set(func(ctx context.Context, _ string, _ time.Time) (model.Value, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	got, err := e.EvaluateNow(t.Context(), Watch{Key: promKey, Alarms: a, Target: "prod-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Summary != "the evaluation failed: Prometheus gave no answer within 1ms" {
		t.Fatalf("got %+v", got)
	}
	if n := testutil.ToFloat64(e.metrics.queries.WithLabelValues("timeout")); n != 1 {
		t.Errorf("timeouts counted = %v, want 1", n)
	}
}

func TestQueryTimeoutBound(t *testing.T) {
	for _, tc := range []struct {
		interval, want time.Duration
	}{{0, 10 * time.Second}, {15 * time.Second, 10 * time.Second}, {5 * time.Second, 5 * time.Second}} {
		w := Watch{Alarms: &pipeline.Alarms{Interval: tc.interval}}
		if got := w.queryTimeout(); got != tc.want {
			t.Errorf("interval %s: timeout %s, want %s", tc.interval, got, tc.want)
		}
	}
	w := Watch{Alarms: &pipeline.Alarms{Interval: time.Minute}, Org: &pipeline.Alarms{Interval: 20 * time.Second}}
	if got := w.interval(); got != 20*time.Second {
		t.Errorf("the shorter interval of the two sections: got %s", got)
	}
}

func TestDatapoints(t *testing.T) {
	finished := promT0.Add(-37 * time.Minute)
	w := Watch{Key: promKey, Target: "prod-1", SHA: "abc", StepKey: "r1/wave-1/prod-1/full/deploy",
		Datapoints:      `sum(increase(http_requests_total{env="{{.Target}}",version="{{.SHA}}"}[{{.Since}}]))`,
		DeployStartedAt: promT0.Add(-40 * time.Minute), DeployFinishedAt: finished}
	for _, tc := range []struct {
		name   string
		answer model.Value
		err    error
		want   pipeline.DatapointCount
	}{
		{name: "counted", answer: model.Vector{promSample(1240)}, want: pipeline.DatapointCount{Value: 1240, At: promT0}},
		{name: "zero is a count", answer: model.Vector{promSample(0)}, want: pipeline.DatapointCount{Value: 0, At: promT0}},
		{name: "no series is no data", answer: model.Vector{}, want: pipeline.DatapointCount{NoData: true, At: promT0}},
		{name: "error", err: errors.New("bad_data: parse error"), want: pipeline.DatapointCount{Err: "bad_data: parse error", At: promT0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prom := &fakeProm{}
			prom.set(promAnswerAll(tc.answer, tc.err))
			e := newTestEvaluator(t, prom, clock.NewFake(promT0), nil, nil)
			if _, ok := e.Datapoints(promKey).Datapoints(w.StepKey); ok {
				t.Fatal("a count before any evaluation")
			}
			if _, err := e.EvaluateNow(t.Context(), w); err != nil {
				t.Fatal(err)
			}
			got, ok := e.Datapoints(promKey).Datapoints(w.StepKey)
			if !ok || got != tc.want {
				t.Fatalf("Datapoints = %+v, %t; want %+v", got, ok, tc.want)
			}
			calls := prom.recorded()
			if len(calls) != 1 || calls[0].query != `sum(increase(http_requests_total{env="prod-1",version="abc"}[37m]))` {
				t.Fatalf("queries = %+v", calls)
			}
			if _, ok := e.Datapoints(promKey).Datapoints("another step"); ok {
				t.Fatal("a count for a step not watched")
			}
		})
	}
}

// The datapoints query waits for the bake: while the deploy runs, or
// without a step, it is not sent.
func TestDatapointsOnlyWhileBaking(t *testing.T) {
	prom := &fakeProm{}
	prom.set(promAnswerAll(model.Vector{promSample(5)}, nil))
	e := newTestEvaluator(t, prom, clock.NewFake(promT0), nil, nil)
	w := Watch{Key: promKey, Target: "prod-1", StepKey: "s1", Datapoints: `sum(x)`, DeployStartedAt: promT0.Add(-time.Minute)}
	e.EvaluateNow(t.Context(), w)
	if calls := prom.recorded(); len(calls) != 0 {
		t.Fatalf("queried while deploying: %+v", calls)
	}
	if _, ok := e.Datapoints(promKey).Datapoints("s1"); ok {
		t.Fatal("a count while deploying")
	}
	// Baking: counted. Then the next step: the old count is not its own.
	w.DeployFinishedAt = promT0
	e.EvaluateNow(t.Context(), w)
	if _, ok := e.Datapoints(promKey).Datapoints("s1"); !ok {
		t.Fatal("no count while baking")
	}
	w.StepKey, w.DeployFinishedAt = "s2", time.Time{}
	e.SetWatches([]Watch{w})
	if _, ok := e.Datapoints(promKey).Datapoints("s1"); ok {
		t.Fatal("the previous step's count outlived it")
	}
	if _, ok := e.Datapoints(promKey).Datapoints("s2"); ok {
		t.Fatal("the new step has a count before its bake")
	}
}

func TestCompare(t *testing.T) {
	started := promT0.Add(-30 * time.Minute)
	compare := func(c pipeline.Compare) *pipeline.Alarms {
		return &pipeline.Alarms{Interval: 15 * time.Second, ErrorLimit: 3, Compare: []pipeline.Compare{c}}
	}
	requests := pipeline.Compare{Name: "requests", Query: `sum(rate(http_requests_total{env="{{.Target}}"}[5m]))`, MinRatio: 0.5}
	byVariant := pipeline.Compare{Name: "latency", Query: `max(latency{env="{{.Target}}",variant="{{.Variant}}"})`, MaxRatio: 3}
	for _, tc := range []struct {
		name      string
		w         Watch
		values    map[string]model.Value // by query sent
		wantCalls []fakeCall
		want      []pipeline.Alarm
	}{
		{
			name: "request rate dropped: both numbers and the ratio",
			w: Watch{Key: promKey, Alarms: compare(requests), Target: "prod-1", Variant: pipeline.VariantFull,
				DeployStartedAt: started, DeployFinishedAt: started.Add(5 * time.Minute)},
			values: map[string]model.Value{
				`sum(rate(http_requests_total{env="prod-1"}[5m]))`:                          model.Vector{promSample(12)},
				`avg_over_time((sum(rate(http_requests_total{env="prod-1"}[5m])))[1h:15s])`: model.Vector{promSample(120)},
			},
			wantCalls: []fakeCall{
				{`sum(rate(http_requests_total{env="prod-1"}[5m]))`, promT0},
				{`avg_over_time((sum(rate(http_requests_total{env="prod-1"}[5m])))[1h:15s])`, started},
			},
			want: []pipeline.Alarm{{Origin: pipeline.AlarmCompare, Name: "requests", Target: "prod-1", Since: promT0,
				Summary: "12 is 0.10× the hour before the deploy (120); min 0.5×"}},
		},
		{
			name: "within bounds",
			w: Watch{Key: promKey, Alarms: compare(requests), Target: "prod-1",
				DeployStartedAt: started, DeployFinishedAt: started.Add(5 * time.Minute)},
			values: map[string]model.Value{
				`sum(rate(http_requests_total{env="prod-1"}[5m]))`:                          model.Vector{promSample(110)},
				`avg_over_time((sum(rate(http_requests_total{env="prod-1"}[5m])))[1h:15s])`: model.Vector{promSample(120)},
			},
			wantCalls: []fakeCall{
				{`sum(rate(http_requests_total{env="prod-1"}[5m]))`, promT0},
				{`avg_over_time((sum(rate(http_requests_total{env="prod-1"}[5m])))[1h:15s])`, started},
			},
		},
		{
			name: "no baseline does not fire",
			w: Watch{Key: promKey, Alarms: compare(requests), Target: "prod-1",
				DeployStartedAt: started, DeployFinishedAt: started.Add(5 * time.Minute)},
			values: map[string]model.Value{`sum(rate(http_requests_total{env="prod-1"}[5m]))`: model.Vector{promSample(0)}},
			wantCalls: []fakeCall{
				{`sum(rate(http_requests_total{env="prod-1"}[5m]))`, promT0},
				{`avg_over_time((sum(rate(http_requests_total{env="prod-1"}[5m])))[1h:15s])`, started},
			},
		},
		{
			name: "baking with no deploy start known: not compared",
			w:    Watch{Key: promKey, Alarms: compare(requests), Target: "prod-1", DeployFinishedAt: started},
		},
		{
			name: "while deploying, not compared",
			w:    Watch{Key: promKey, Alarms: compare(requests), Target: "prod-1", DeployStartedAt: started},
		},
		{
			name: "one-box against the rest of the target, now",
			w: Watch{Key: promKey, Alarms: compare(byVariant), Target: "prod-1", Variant: pipeline.VariantOnebox,
				DeployStartedAt: started, DeployFinishedAt: started.Add(5 * time.Minute)},
			values: map[string]model.Value{
				`max(latency{env="prod-1",variant="onebox"})`: model.Vector{promSample(0.8)},
				`max(latency{env="prod-1",variant="full"})`:   model.Vector{promSample(0.2)},
			},
			wantCalls: []fakeCall{
				{`max(latency{env="prod-1",variant="onebox"})`, promT0},
				{`max(latency{env="prod-1",variant="full"})`, promT0},
			},
			want: []pipeline.Alarm{{Origin: pipeline.AlarmCompare, Name: "latency", Target: "prod-1", Since: promT0,
				Summary: "0.8 is 4.00× the rest of the target (0.2); max 3×"}},
		},
		{
			name: "one-box whose query ignores the variant: the hour before",
			w: Watch{Key: promKey, Alarms: compare(requests), Target: "prod-1", Variant: pipeline.VariantOnebox,
				DeployStartedAt: started, DeployFinishedAt: started.Add(5 * time.Minute)},
			values: map[string]model.Value{
				`sum(rate(http_requests_total{env="prod-1"}[5m]))`:                          model.Vector{promSample(100)},
				`avg_over_time((sum(rate(http_requests_total{env="prod-1"}[5m])))[1h:15s])`: model.Vector{promSample(100)},
			},
			wantCalls: []fakeCall{
				{`sum(rate(http_requests_total{env="prod-1"}[5m]))`, promT0},
				{`avg_over_time((sum(rate(http_requests_total{env="prod-1"}[5m])))[1h:15s])`, started},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prom := &fakeProm{}
			prom.set(func(_ context.Context, q string, _ time.Time) (model.Value, error) { return tc.values[q], nil })
			e := newTestEvaluator(t, prom, clock.NewFake(promT0), nil, nil)
			got, err := e.EvaluateNow(t.Context(), tc.w)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("alarms = %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if !samePromAlarm(got[i], tc.want[i]) {
					t.Fatalf("alarm = %+v\nwant    %+v", got[i], tc.want[i])
				}
			}
			calls := prom.recorded()
			if len(calls) != len(tc.wantCalls) {
				t.Fatalf("queries = %+v, want %+v", calls, tc.wantCalls)
			}
			for i := range calls {
				if calls[i].query != tc.wantCalls[i].query || !calls[i].ts.Equal(tc.wantCalls[i].ts) {
					t.Fatalf("query %d = %+v, want %+v", i, calls[i], tc.wantCalls[i])
				}
			}
		})
	}
}

// A compare query returning several series is the pipeline's mistake: it
// errors (and, past the limit, holds), never passes.
func TestCompareSeveralSeries(t *testing.T) {
	prom := &fakeProm{}
	prom.set(promAnswerAll(model.Vector{promSample(1, "env", "a"), promSample(2, "env", "b")}, nil))
	e := newTestEvaluator(t, prom, clock.NewFake(promT0), nil, nil)
	a := &pipeline.Alarms{ErrorLimit: 1, Compare: []pipeline.Compare{{Name: "compare[0]", Query: `rate(x[5m])`, MaxRatio: 2}}}
	got, _ := e.EvaluateNow(t.Context(), Watch{Key: promKey, Alarms: a, Target: "prod-1", DeployStartedAt: promT0.Add(-time.Hour), DeployFinishedAt: promT0})
	if len(got) != 1 || got[0].Origin != pipeline.AlarmQueryError || got[0].Name != "compare[0]" ||
		!strings.Contains(got[0].Summary, "the query returns 2 series") {
		t.Fatalf("got %+v", got)
	}
}

func TestOrgAlarms(t *testing.T) {
	prom := &fakeProm{}
	prom.set(promAnswerAll(model.Vector{promSample(1, "env", "prod-1")}, nil))
	e := newTestEvaluator(t, prom, clock.NewFake(promT0), nil, nil)
	org := &pipeline.Alarms{Queries: []pipeline.AlarmQuery{{Name: "fault-rate", Query: `org_errors{env="{{.Target}}"} > 0`}}}
	got, _ := e.EvaluateNow(t.Context(), Watch{Key: promKey, Alarms: promFaultRate(), Org: org, Target: "prod-1"})
	if len(got) != 2 || got[0].Org || !got[1].Org || got[0].Name != "fault-rate" || got[1].Name != "fault-rate" {
		t.Fatalf("pipeline's then organization's alarm of the same name, got %+v", got)
	}
}

// The loop evaluates a new watch at once, then every interval on the
// clock, and tells OnChange which pipelines changed, only when one did.
func TestRunLoop(t *testing.T) {
	prom := &fakeProm{}
	prom.set(promAnswerAll(model.Vector{}, nil))
	clk := clock.NewFake(promT0)
	changes := make(chan []pipeline.Key, 10)
	e := newTestEvaluator(t, prom, clk, nil, func(_ context.Context, keys []pipeline.Key) { changes <- keys })
	rounds := make(chan struct{}, 10)
	e.roundDone = func() { rounds <- struct{}{} }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()

	other := pipeline.Key{Repository: "acme/web", Pipeline: "web"}
	e.SetWatches([]Watch{
		{Key: promKey, Alarms: promFaultRate(), Target: "prod-1"},
		{Key: other, Alarms: promFaultRate(), Target: "prod-1"},
	})
	promRecv(t, rounds)
	if n := len(prom.recorded()); n != 2 {
		t.Fatalf("first round sent %d queries, want 2", n)
	}
	select {
	case keys := <-changes:
		t.Fatalf("nothing changed, yet OnChange(%v)", keys)
	default:
	}

	// The next round comes one interval later, not before.
	clk.BlockUntilTimerAt(promT0.Add(15 * time.Second))
	prom.set(func(_ context.Context, q string, _ time.Time) (model.Value, error) {
		return model.Vector{promSample(0.5, "env", "prod-1")}, nil
	})
	clk.Advance(15 * time.Second)
	promRecv(t, rounds)
	if keys := promRecv(t, changes); len(keys) != 2 || keys[0] != promKey || keys[1] != other {
		t.Fatalf("OnChange(%v), want both pipelines, sorted", keys)
	}
	if f := e.Source(promKey).Firing("prod-1"); len(f) != 1 || !f[0].Since.Equal(promT0.Add(15*time.Second)) {
		t.Fatalf("Firing = %+v", f)
	}

	// Same verdict, new value: no change.
	clk.BlockUntilTimerAt(promT0.Add(30 * time.Second))
	prom.set(promAnswerAll(model.Vector{promSample(0.7, "env", "prod-1")}, nil))
	clk.Advance(15 * time.Second)
	promRecv(t, rounds)
	select {
	case keys := <-changes:
		t.Fatalf("only the value moved, yet OnChange(%v)", keys)
	default:
	}

	// A target dropped from the list is forgotten and no longer queried.
	e.SetWatches([]Watch{{Key: promKey, Alarms: promFaultRate(), Target: "prod-1"}})
	if f := e.Source(other).Firing("prod-1"); len(f) != 0 {
		t.Fatalf("a dropped watch still answers %+v", f)
	}
	clk.BlockUntilTimerAt(promT0.Add(45 * time.Second))
	before := len(prom.recorded())
	prom.set(promAnswerAll(model.Vector{}, nil))
	clk.Advance(15 * time.Second)
	promRecv(t, rounds)
	if n := len(prom.recorded()) - before; n != 1 {
		t.Fatalf("round after the drop sent %d queries, want 1", n)
	}
	if keys := promRecv(t, changes); len(keys) != 1 || keys[0] != promKey {
		t.Fatalf("OnChange(%v) after the alarm cleared", keys)
	}
}

// Source and Datapoints answer while rounds write.
func TestConcurrentReads(t *testing.T) {
	prom := &fakeProm{}
	prom.set(promAnswerAll(model.Vector{promSample(3, "env", "prod-1")}, nil))
	clk := clock.NewFake(promT0)
	e := newTestEvaluator(t, prom, clk, nil, nil)
	rounds := make(chan struct{}, 100)
	e.roundDone = func() { rounds <- struct{}{} }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	w := Watch{Key: promKey, Alarms: promFaultRate(), Target: "prod-1", StepKey: "s1", Datapoints: "sum(x)",
		DeployStartedAt: promT0.Add(-time.Minute), DeployFinishedAt: promT0}
	e.SetWatches([]Watch{w})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				e.Source(promKey).Firing("prod-1")
				e.Datapoints(promKey).Datapoints("s1")
			}
		})
	}
	for i := range 5 {
		promRecv(t, rounds)
		clk.BlockUntilTimerAt(promT0.Add(time.Duration(i+1) * 15 * time.Second))
		e.SetWatches([]Watch{w})
		clk.Advance(15 * time.Second)
	}
	promRecv(t, rounds)
	close(stop)
	wg.Wait()
	cancel()
	<-done
	if dp, ok := e.Datapoints(promKey).Datapoints("s1"); !ok || dp.Value != 3 {
		t.Fatalf("Datapoints = %+v, %t", dp, ok)
	}
}

// An answer larger than the cap is refused, not buffered.
func TestResponseCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[`))
		for i := range 2000 {
			if i > 0 {
				w.Write([]byte(","))
			}
			w.Write([]byte(`{"metric":{"env":"prod-1"},"value":[1,"1"]}`))
		}
		w.Write([]byte(`]}}`))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		max int64
		err string
	}{{max: 1 << 20}, {max: 16 << 10, err: "Prometheus' answer is larger than 16 KiB"}} {
		e, err := NewEvaluator(EvaluatorConfig{URL: srv.URL, Clock: clock.NewFake(promT0), MaxResponse: tc.max})
		if err != nil {
			t.Fatal(err)
		}
		a := promFaultRate()
		a.ErrorLimit = 1
		got, _ := e.EvaluateNow(t.Context(), Watch{Key: promKey, Alarms: a, Target: "prod-1"})
		if len(got) != 1 {
			t.Fatalf("cap %d: got %+v", tc.max, got)
		}
		if tc.err == "" && (got[0].Origin != pipeline.AlarmQueryResult || got[0].Summary != `{env="prod-1"} 1 (and 1999 more series)`) {
			t.Fatalf("cap %d: got %+v", tc.max, got)
		}
		if tc.err != "" && (got[0].Origin != pipeline.AlarmQueryError || !strings.Contains(got[0].Summary, tc.err)) {
			t.Fatalf("cap %d: got %+v", tc.max, got)
		}
	}
}

func TestNewEvaluatorURL(t *testing.T) {
	for _, u := range []string{"", "prometheus:9090", "ftp://prometheus", "http://", "http://user:hunter2@%zz"} {
		_, err := NewEvaluator(EvaluatorConfig{URL: u})
		if err == nil {
			t.Errorf("URL %q accepted", u)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error repeats the password: %v", err)
		}
	}
	if _, err := NewEvaluator(EvaluatorConfig{URL: "https://user:pw@prometheus.example:9090/prom/"}); err != nil {
		t.Errorf("a good URL refused: %v", err)
	}
}

// recv waits for the code under test to report on ch; the deadline only
// turns a hang into a failure.
func promRecv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatal("the evaluator never reported")
		panic("unreachable")
	}
}

// A Prometheus down for long logs once when its query-error alarm is
// raised and once when it lifts, not at every evaluation; a compare
// without baseline says so once.
func TestLogsWhatChanges(t *testing.T) {
	prom := &fakeProm{}
	var logs testlog.Buffer
	e, err := NewEvaluator(EvaluatorConfig{API: prom, Clock: clock.NewFake(promT0),
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	a := promFaultRate()
	a.Compare = []pipeline.Compare{{Name: "requests", Query: `sum(rate(x[5m]))`, MinRatio: 0.5}}
	w := Watch{Key: promKey, Alarms: a, Target: "prod-1", DeployStartedAt: promT0.Add(-time.Hour), DeployFinishedAt: promT0.Add(-time.Minute)}
	prom.set(promAnswerAll(nil, errors.New("connection refused")))
	for range 6 {
		e.EvaluateNow(t.Context(), w)
	}
	prom.set(promAnswerAll(model.Vector{}, nil))
	e.EvaluateNow(t.Context(), w)
	e.EvaluateNow(t.Context(), w)
	var says []string
	for _, r := range logs.Records(t, "prometheus check") {
		says = append(says, r["level"].(string)+" "+r["check"].(string)+": "+r["says"].(string))
	}
	want := []string{
		"WARN query fault-rate: holds deploys and bakes: 3 evaluations in a row failed; the last: connection refused",
		"WARN compare requests: holds deploys and bakes: 3 evaluations in a row failed; the last: connection refused",
		"INFO query fault-rate: answers again; its query-error alarm is lifted",
		"INFO compare requests: answers again; its query-error alarm is lifted",
		"INFO compare requests: no baseline: the query had no value over the hour before the deploy, so 0 is not compared",
	}
	slices.Sort(says)
	slices.Sort(want)
	if !slices.Equal(says, want) {
		t.Fatalf("logged:\n%s\nwant:\n%s", strings.Join(says, "\n"), strings.Join(want, "\n"))
	}
}

// movingClock is a fake clock that moves on by jump while the code under
// test arms its first timer: what a busy machine does between reading the
// time and arming a timer from it.
type movingClock struct {
	*clock.Fake
	once sync.Once
	jump time.Duration
}

func (c *movingClock) NewTimer(d time.Duration) clock.Timer {
	c.once.Do(func() { c.Fake.Advance(c.jump) })
	return c.Fake.NewTimer(d)
}

// The loop notices when the clock passed the next evaluation while it
// armed the timer for it, instead of waiting a whole interval more.
func TestRunLoopClockMovesWhileArming(t *testing.T) {
	prom := &fakeProm{}
	prom.set(promAnswerAll(model.Vector{}, nil))
	clk := &movingClock{Fake: clock.NewFake(promT0), jump: 15 * time.Second}
	e := newTestEvaluator(t, prom, clk, nil, nil)
	rounds := make(chan struct{}, 10)
	e.roundDone = func() { rounds <- struct{}{} }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	defer func() { cancel(); <-done }()
	e.SetWatches([]Watch{{Key: promKey, Alarms: promFaultRate(), Target: "prod-1"}})
	promRecv(t, rounds)
	promRecv(t, rounds) // due at t0+15s, which the clock reached while the first timer was armed
	if n := len(prom.recorded()); n != 2 {
		t.Fatalf("%d queries, want 2", n)
	}
}

// A user and password in the URL reach Prometheus as basic
// authentication, as the README says, and never appear in an alarm.
func TestBasicAuthFromURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "wavegate" || p != "hunter2" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"status":"error","errorType":"unauthorized","error":"who are you"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"env":"prod-1"},"value":[1,"0.5"]}]}}`))
	}))
	defer srv.Close()
	a := promFaultRate()
	a.ErrorLimit = 1
	for _, tc := range []struct {
		user   string
		origin pipeline.AlarmOrigin
	}{{"wavegate:hunter2", pipeline.AlarmQueryResult}, {"wavegate:wrong", pipeline.AlarmQueryError}} {
		e, err := NewEvaluator(EvaluatorConfig{URL: strings.Replace(srv.URL, "http://", "http://"+tc.user+"@", 1), Clock: clock.NewFake(promT0)})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := e.EvaluateNow(t.Context(), Watch{Key: promKey, Alarms: a, Target: "prod-1"})
		if len(got) != 1 || got[0].Origin != tc.origin || strings.Contains(got[0].Summary, "hunter2") || strings.Contains(got[0].Summary, "wrong") {
			t.Fatalf("%s: got %+v", tc.user, got)
		}
	}
}
