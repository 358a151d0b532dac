package alarms

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/wavegate/wavegate/pipeline"
)

func TestRenderQuery(t *testing.T) {
	f := queryFields{Target: "prod-1", Stage: "wave-1", SHA: "abc123", Variant: "onebox", Since: "37m"}
	for _, tc := range []struct {
		name, text, want, err string
	}{
		{name: "every field", text: `x{env="{{.Target}}",stage="{{.Stage}}",version="{{.SHA}}",variant="{{.Variant}}"}[{{.Since}}]`,
			want: `x{env="prod-1",stage="wave-1",version="abc123",variant="onebox"}[37m]`},
		{name: "no field", text: `up == 0`, want: `up == 0`},
		{name: "unknown field", text: `x{env="{{.Env}}"}`, err: "can't evaluate field Env"},
		{name: "bad syntax", text: `x{env="{{.Target"}`, err: "query template q"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := renderQuery("q", tc.text, f)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("renderQuery = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestPromDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "1s"},
		{-time.Minute, "1s"},
		{300 * time.Millisecond, "1s"},
		{37 * time.Minute, "37m"},
		{37*time.Minute + 100*time.Millisecond, "37m1s"}, // rounded up: the range covers all of it
		{time.Hour + 2*time.Minute + 3*time.Second, "1h2m3s"},
		{48 * time.Hour, "2d"},
	} {
		if got := promDuration(tc.d); got != tc.want {
			t.Errorf("promDuration(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestWatchSince(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		w    Watch
		want time.Duration
	}{
		{"before a deploy: one interval", Watch{}, 15 * time.Second},
		{"deploying: since it started", Watch{DeployStartedAt: now.Add(-5 * time.Minute)}, 5 * time.Minute},
		{"baking: since it finished", Watch{DeployStartedAt: now.Add(-50 * time.Minute), DeployFinishedAt: now.Add(-37 * time.Minute)}, 37 * time.Minute},
	} {
		if got := tc.w.since(now, 15*time.Second); got != tc.want {
			t.Errorf("%s: since = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func promSample(v float64, labels ...string) *model.Sample {
	m := model.Metric{}
	for i := 0; i+1 < len(labels); i += 2 {
		m[model.LabelName(labels[i])] = model.LabelValue(labels[i+1])
	}
	return &model.Sample{Metric: m, Value: model.SampleValue(v)}
}

func TestQueryVerdict(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name    string
		v       model.Value
		fires   bool
		summary string
		labels  map[string]string
		err     string
	}{
		{name: "empty vector clears", v: model.Vector{}},
		{name: "no result clears", v: nil},
		{name: "one series fires", v: model.Vector{promSample(0.0523456, "env", "prod-1")}, fires: true,
			summary: `{env="prod-1"} 0.05235`, labels: map[string]string{"env": "prod-1"}},
		{name: "series sorted, the rest counted", v: model.Vector{promSample(3, "env", "prod-3"), promSample(1, "env", "prod-1"), promSample(2, "env", "prod-2")},
			fires: true, summary: `{env="prod-1"} 1 (and 2 more series)`, labels: map[string]string{"env": "prod-1"}},
		{name: "two series", v: model.Vector{promSample(3, "env", "b"), promSample(1, "env", "a")}, fires: true,
			summary: `{env="a"} 1 (and 1 more series)`, labels: map[string]string{"env": "a"}},
		{name: "a series at 0 fires: a filter let it through", v: model.Vector{promSample(0, "env", "a")}, fires: true,
			summary: `{env="a"} 0`, labels: map[string]string{"env": "a"}},
		{name: "NaN sample is no value", v: model.Vector{promSample(nan, "env", "a")}},
		{name: "NaN left out of the count", v: model.Vector{promSample(nan, "env", "a"), promSample(2, "env", "b")}, fires: true,
			summary: `{env="b"} 2`, labels: map[string]string{"env": "b"}},
		{name: "scalar 0 clears", v: &model.Scalar{Value: 0}},
		{name: "scalar 1 fires", v: &model.Scalar{Value: 1}, fires: true, summary: "scalar 1"},
		{name: "scalar NaN clears", v: &model.Scalar{Value: model.SampleValue(nan)}},
		{name: "empty matrix clears", v: model.Matrix{}},
		{name: "matrix fires with its last sample", v: model.Matrix{{Metric: model.Metric{"env": "a"},
			Values: []model.SamplePair{{Value: 1}, {Value: 7}}}}, fires: true, summary: `{env="a"} 7`, labels: map[string]string{"env": "a"}},
		{name: "matrix series without samples", v: model.Matrix{{Metric: model.Metric{"env": "a"}}}},
		{name: "named metric", v: model.Vector{promSample(1, "__name__", "up", "job", "api")}, fires: true,
			summary: `up{job="api"} 1`, labels: map[string]string{"__name__": "up", "job": "api"}},
		{name: "string is an error", v: &model.String{Value: "hi"}, err: `returns a string ("hi")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fires, summary, labels, err := queryVerdict(tc.v)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || fires != tc.fires || summary != tc.summary {
				t.Fatalf("queryVerdict = %t, %q, %v; want %t, %q", fires, summary, err, tc.fires, tc.summary)
			}
			if len(labels) != len(tc.labels) {
				t.Fatalf("labels = %v, want %v", labels, tc.labels)
			}
			for k, v := range tc.labels {
				if labels[k] != v {
					t.Fatalf("labels = %v, want %v", labels, tc.labels)
				}
			}
		})
	}
}

func TestResultNumber(t *testing.T) {
	for _, tc := range []struct {
		name  string
		v     model.Value
		addUp bool
		value float64
		ok    bool
		err   string
	}{
		{name: "no series is no data", v: model.Vector{}, addUp: true},
		{name: "zero is a value", v: model.Vector{promSample(0)}, addUp: true, ok: true},
		{name: "NaN is no data", v: model.Vector{promSample(math.NaN())}, addUp: true},
		{name: "counts add up", v: model.Vector{promSample(1200, "code", "200"), promSample(40, "code", "201")}, addUp: true, value: 1240, ok: true},
		{name: "scalar", v: &model.Scalar{Value: 7}, value: 7, ok: true},
		{name: "one series", v: model.Vector{promSample(12.5, "env", "a")}, value: 12.5, ok: true},
		{name: "several series refused", v: model.Vector{promSample(1, "env", "a"), promSample(2, "env", "b")},
			err: `the query returns 2 series (first {env="a"}); it must return one: aggregate it`},
		{name: "histogram refused", v: model.Vector{{Metric: model.Metric{"env": "a"}, Histogram: &model.SampleHistogram{}}},
			addUp: true, err: "native histogram"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, ok, err := resultNumber(tc.v, tc.addUp)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || v != tc.value || ok != tc.ok {
				t.Fatalf("resultNumber = %v, %t, %v; want %v, %t", v, ok, err, tc.value, tc.ok)
			}
		})
	}
}

func TestJudgeCompare(t *testing.T) {
	const hour = "the hour before the deploy"
	minHalf := pipeline.Compare{Name: "requests", MinRatio: 0.5}
	max3 := pipeline.Compare{Name: "latency", MaxRatio: 3}
	both := pipeline.Compare{Name: "both", MinRatio: 0.5, MaxRatio: 2}
	for _, tc := range []struct {
		name          string
		c             pipeline.Compare
		now           float64
		nowOK         bool
		base          float64
		baseOK        bool
		fires         bool
		text          string
		baselineLabel string
	}{
		{name: "drop below min fires", c: minHalf, now: 12, nowOK: true, base: 120, baseOK: true, fires: true,
			text: "12 is 0.10× the hour before the deploy (120); min 0.5×"},
		{name: "no series now is zero", c: minHalf, base: 120, baseOK: true, fires: true,
			text: "0 is 0.00× the hour before the deploy (120); min 0.5×"},
		{name: "rise above max fires", c: max3, now: 0.9, nowOK: true, base: 0.25, baseOK: true, fires: true,
			text: "0.9 is 3.60× the hour before the deploy (0.25); max 3×"},
		{name: "exactly max does not fire", c: max3, now: 0.75, nowOK: true, base: 0.25, baseOK: true,
			text: "0.75 is 3.00× the hour before the deploy (0.25); within max 3×"},
		{name: "within both", c: both, now: 100, nowOK: true, base: 120, baseOK: true,
			text: "100 is 0.83× the hour before the deploy (120); within min 0.5× and max 2×"},
		{name: "both: above max", c: both, now: 300, nowOK: true, base: 120, baseOK: true, fires: true,
			text: "300 is 2.50× the hour before the deploy (120); max 2×"},
		{name: "no baseline", c: minHalf, now: 12, nowOK: true,
			text: "no baseline: the query had no value over the hour before the deploy, so 12 is not compared"},
		{name: "baseline zero", c: max3, now: 5, nowOK: true, baseOK: true,
			text: "no baseline: the query had the value 0 over the hour before the deploy, so 5 is not compared"},
		{name: "rest of the target", c: max3, now: 4, nowOK: true, base: 1, baseOK: true, fires: true, baselineLabel: "the rest of the target",
			text: "4 is 4.00× the rest of the target (1); max 3×"},
		{name: "tiny ratio", c: minHalf, now: 0.001, nowOK: true, base: 120, baseOK: true, fires: true,
			text: "0.001 is 8.333e-06× the hour before the deploy (120); min 0.5×"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			label := hour
			if tc.baselineLabel != "" {
				label = tc.baselineLabel
			}
			v := judgeCompare(tc.c, tc.now, tc.nowOK, tc.base, tc.baseOK, label)
			if v.fires != tc.fires || v.text != tc.text {
				t.Fatalf("judgeCompare = %t %q\nwant          %t %q", v.fires, v.text, tc.fires, tc.text)
			}
		})
	}
}

func TestBaselineQuery(t *testing.T) {
	got := baselineQuery(`sum(rate(x{env="a"}[5m]))`)
	if want := `avg_over_time((sum(rate(x{env="a"}[5m])))[1h:15s])`; got != want {
		t.Fatalf("baselineQuery = %q, want %q", got, want)
	}
}

func TestPromValueString(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {1, "1"}, {120, "120"}, {12.0, "12"}, {0.052, "0.052"}, {0.0523456, "0.05235"},
		{1234.5678, "1235"}, {-2.5, "-2.5"}, {0.0001234, "0.0001234"}, {1.5e10, "1.5e+10"},
		{math.Inf(1), "+Inf"}, {math.Inf(-1), "-Inf"},
	} {
		if got := promValueString(tc.v); got != tc.want {
			t.Errorf("promValueString(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
