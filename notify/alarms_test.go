package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/pipeline"
)

// Alarms and data points in every report: what holds a deploy, the cause
// of a rollback, and a bake's data points.

func healthPipeline() pipeline.Pipeline {
	return pipeline.Pipeline{Name: "app", DeployTimeout: 30 * time.Minute,
		Datapoints: `sum(increase(http_requests_total{env="{{.Target}}",version="{{.SHA}}"}[{{.Since}}]))`,
		Stages: []pipeline.Stage{
			{Name: "beta", Targets: []string{"beta"}, Bake: 10 * time.Minute},
			{Name: "wave-1", Targets: []string{"prod-1", "prod-2"}, Parallel: 2, OneBox: true, Bake: time.Hour, MinDatapoints: 3000, Production: true},
		}}
}

type alarmsNow []pipeline.Alarm

func (a alarmsNow) Firing(target string) []pipeline.Alarm {
	var out []pipeline.Alarm
	for _, x := range a {
		if x.Target == "" || x.Target == target {
			out = append(out, x)
		}
	}
	return out
}

type countsNow map[string]pipeline.DatapointCount

func (c countsNow) Datapoints(key string) (pipeline.DatapointCount, bool) {
	v, ok := c[key]
	if !ok && c["*"] != (pipeline.DatapointCount{}) {
		return c["*"], true
	}
	return v, ok
}

// health plans st from now until until with in, every deploy succeeding
// a minute after it starts, and returns the state and last result.
func health(t *testing.T, st pipeline.State, in pipeline.Inputs, now, until time.Time) (pipeline.State, pipeline.Result) {
	t.Helper()
	p := healthPipeline()
	pending := map[string]time.Time{}
	res := pipeline.Plan(p, st, in, now)
	for range 1000 {
		st = res.State
		for _, d := range res.Deploys {
			pending[d.Step.Key] = now.Add(time.Minute)
		}
		next := res.WakeAt
		for _, at := range pending {
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		if next.IsZero() || next.After(until) {
			return st, pipeline.Plan(p, st, in, until)
		}
		now = next
		for key, at := range pending {
			if at.Equal(now) {
				if _, err := pipeline.RecordOutcome(&st, key, pipeline.OutcomeSuccess, "", now); err != nil {
					t.Fatal(err)
				}
				delete(pending, key)
			}
		}
		res = pipeline.Plan(p, st, in, now)
	}
	t.Fatal("did not settle")
	return st, res
}

func TestAlarmReportsGolden(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	sha1, sha2 := "abc1234000000000000000000000000000000000", "def5678901234567890123456789012345678901"
	plenty := countsNow{"*": {Value: 5000, At: releaseStart}}
	errorRate := pipeline.Alarm{Origin: pipeline.AlarmAlertmanager, Name: "HighErrorRate", Target: "prod-1",
		Summary: "error rate 5% > 1% for 2m", Since: releaseStart.Add(5 * time.Minute)}
	render := func(t *testing.T, name string, st pipeline.State, res pipeline.Result, id int64, at time.Time) string {
		t.Helper()
		v, err := BuildReleaseView("acme/api", healthPipeline(), res.State, id, res.Held, at, Links{})
		if err != nil {
			t.Fatal(err)
		}
		body, err := r.ReleaseComment(v)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, name+".md", body)
		goldenSlack(t, r, name+".slack.json", v)
		return strings.ReplaceAll(body, `\`, "")
	}
	add := func(st *pipeline.State, id int64, sha string, at time.Time) {
		if err := pipeline.AddRelease(st, pipeline.Release{ID: id, SHA: sha, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("held by alarms", func(t *testing.T) {
		var st pipeline.State
		add(&st, 1, sha2, releaseStart)
		in := pipeline.Inputs{Datapoints: plenty, Alarms: alarmsNow{errorRate,
			{Origin: pipeline.AlarmAlertmanager, Name: "RegionDown", Target: "prod-1", Summary: "us-west-2 unreachable", Since: releaseStart.Add(-26 * time.Hour), Org: true}}}
		until := releaseStart.Add(30 * time.Minute)
		st, res := health(t, st, in, releaseStart, until)
		body := render(t, "release-alarm-held", st, res, 1, until)
		for _, want := range []string{
			"wave-1/prod-1: alarm HighErrorRate on prod-1: error rate 5% > 1% for 2m (since 09:05 UTC) → `/deploy override alarm --reason ...`",
			"wave-1/prod-1: organization alarm RegionDown on prod-1: us-west-2 unreachable (since 22 Nov 07:00 UTC) → `/deploy override alarm --reason ...`",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the comment does not say %q:\n%s", want, body)
			}
		}
	})

	t.Run("rolled back by an alarm", func(t *testing.T) {
		var st pipeline.State
		add(&st, 1, sha1, releaseStart)
		at := releaseStart.Add(5 * time.Hour)
		st, _ = health(t, st, pipeline.Inputs{Datapoints: plenty}, releaseStart, at)
		add(&st, 2, sha2, at)
		// Release 2 bakes its one-box on both targets from +12m; the alarm
		// fires on prod-1 at +30m.
		st, _ = health(t, st, pipeline.Inputs{Datapoints: plenty}, at, at.Add(30*time.Minute))
		fired := errorRate
		fired.Since = at.Add(29 * time.Minute)
		st, res := health(t, st, pipeline.Inputs{Datapoints: plenty, Alarms: alarmsNow{fired}}, at.Add(30*time.Minute), at.Add(31*time.Minute))
		body := render(t, "release-alarm-rolled-back", st, res, 2, at.Add(31*time.Minute))
		for _, want := range []string{
			"alarm HighErrorRate fired on prod-1 during the one-box bake: error rate 5% > 1% for 2m (since 14:29 UTC)",
			"| wave-1 | failed (alarm HighErrorRate fired on prod-1",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the comment does not say %q:\n%s", want, body)
			}
		}
	})

	t.Run("baking with data points", func(t *testing.T) {
		var st pipeline.State
		add(&st, 1, sha2, releaseStart)
		counts := countsNow{
			pipeline.StepKey(1, "beta", "beta", pipeline.VariantFull, pipeline.ActionDeploy):       {Value: 1, At: releaseStart},
			pipeline.StepKey(1, "wave-1", "prod-1", pipeline.VariantOnebox, pipeline.ActionDeploy): {Value: 1240, At: releaseStart.Add(75 * time.Minute)},
			pipeline.StepKey(1, "wave-1", "prod-2", pipeline.VariantOnebox, pipeline.ActionDeploy): {NoData: true, At: releaseStart.Add(75 * time.Minute)},
		}
		until := releaseStart.Add(50 * time.Minute)
		st, res := health(t, st, pipeline.Inputs{Datapoints: counts}, releaseStart, until)
		body := render(t, "release-datapoints-baking", st, res, 1, until)
		if want := "prod-1: one-box baking (22m left; 1,240 of 3,000 data points), prod-2: one-box baking (22m left; no data yet, 3,000 data points needed)"; !strings.Contains(body, want) {
			t.Errorf("the comment does not say %q:\n%s", want, body)
		}
		// Past the bake's time the count alone holds it; a query in error
		// keeps a bake whose data points are there going.
		qe := pipeline.Alarm{Origin: pipeline.AlarmQueryError, Name: "fault-rate", Target: "prod-2", Summary: "connection refused", Since: releaseStart.Add(79 * time.Minute)}
		counts[pipeline.StepKey(1, "wave-1", "prod-2", pipeline.VariantOnebox, pipeline.ActionDeploy)] = pipeline.DatapointCount{Value: 3000, At: releaseStart.Add(79 * time.Minute)}
		until = releaseStart.Add(80 * time.Minute)
		st, res = health(t, st, pipeline.Inputs{Datapoints: counts, Alarms: alarmsNow{qe}}, releaseStart.Add(50*time.Minute), until)
		body = render(t, "release-datapoints-waiting", st, res, 1, until)
		if want := "prod-1: one-box baking (1,240 of 3,000 data points), prod-2: one-box baking (3,000 of 3,000 data points; alarm query fault-rate cannot be evaluated on prod-2: connection refused (since 10:19 UTC); the bake ends once it answers)"; !strings.Contains(body, want) {
			t.Errorf("the comment does not say %q:\n%s", want, body)
		}
	})
}
