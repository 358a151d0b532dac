package pipeline

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeAlarms is an alarm source the test sets: the alarms firing now.
type fakeAlarms struct{ firing []Alarm }

func (f *fakeAlarms) Firing(target string) []Alarm {
	var out []Alarm
	for _, a := range f.firing {
		if a.Target == "" || a.Target == target {
			out = append(out, a)
		}
	}
	return out
}

// fakeDatapoints is a data-point source by step key.
type fakeDatapoints map[string]DatapointCount

func (f fakeDatapoints) Datapoints(key string) (DatapointCount, bool) {
	c, ok := f[key]
	return c, ok
}

// alarmPipeline: beta (B, 10m bake), then wave-1 (P1, P2, one-box, 1h
// bakes). Every deploy takes a minute, so a release alone deploys B at
// +0m, P1 one-box at +11m (baked +12m..+72m), P1 full at +72m (baked
// +73m..+133m), P2 one-box at +133m, and is released at +255m.
func alarmPipeline() Pipeline {
	return simplePipeline(
		Stage{Name: "beta", Targets: []string{"B"}, Bake: 10 * time.Minute},
		Stage{Name: "wave-1", Targets: []string{"P1", "P2"}, OneBox: true, Bake: time.Hour, Production: true},
	)
}

func highErrorRate(target string, at time.Duration) Alarm {
	return Alarm{Origin: AlarmAlertmanager, Name: "HighErrorRate", Target: target, Summary: "error rate 5%",
		Labels: map[string]string{"alertname": "HighErrorRate"}, Since: simStart.Add(at)}
}

// released runs release 1 (s1) to the end and the clock to +300m, so that
// every target has a last good release to roll back to.
func released(s *sim) {
	s.t.Helper()
	s.push(1, "s1")
	s.run(300 * time.Minute)
	s.log = nil
}

func TestAlarmsInThePlan(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script func(t *testing.T, s *sim, src *fakeAlarms)
		want   []string
	}{
		{"alarm before start holds, and its clearing lets the deploy go", func(t *testing.T, s *sim, src *fakeAlarms) {
			src.firing = []Alarm{highErrorRate("P1", 5*time.Minute)}
			s.push(1, "s1")
			s.run(60 * time.Minute)
			wantHeld(t, s, "P1", BlockerAlarm, "alarm HighErrorRate on P1: error rate 5% (since 09:05 UTC)")
			if !s.last.WakeAt.IsZero() {
				t.Errorf("held by an alarm, it asks to wake at %v: the source wakes it", s.last.WakeAt)
			}
			src.firing = nil
			s.plan()
			s.run(75 * time.Minute)
		}, []string{"+0m deploy B full r1 s1", "+60m deploy P1 onebox r1 s1"}},

		{"alarm mid-bake rolls the stage back, and the rollback is not held", func(t *testing.T, s *sim, src *fakeAlarms) {
			released(s)
			s.push(2, "s2")
			s.run(400 * time.Minute) // P1 bakes its full deploy from +373m
			src.firing = []Alarm{highErrorRate("P1", 398*time.Minute)}
			s.plan()
			wantFailed(t, s, "alarm HighErrorRate fired on P1 during the full bake: error rate 5% (since 15:38 UTC)")
			s.run(500 * time.Minute)
		}, []string{
			"+300m deploy B full r2 s2", "+311m deploy P1 onebox r2 s2", "+372m deploy P1 full r2 s2",
			"+400m failed r2 wave-1", "+400m rollback P1 full r2 s1", "+461m rolled-back r2 wave-1/P1",
		}},

		{"alarm on a one-box step", func(t *testing.T, s *sim, src *fakeAlarms) {
			released(s)
			s.push(2, "s2")
			s.run(320 * time.Minute)
			src.firing = []Alarm{highErrorRate("P1", 319*time.Minute)}
			s.plan()
			wantFailed(t, s, "alarm HighErrorRate fired on P1 during the one-box bake: error rate 5% (since 14:19 UTC)")
		}, []string{"+300m deploy B full r2 s2", "+311m deploy P1 onebox r2 s2", "+320m failed r2 wave-1", "+320m rollback P1 full r2 s1"}},

		{"alarm mid-deploy: rolled back once the deploy reports", func(t *testing.T, s *sim, src *fakeAlarms) {
			released(s)
			s.push(2, "s2")
			s.run(311 * time.Minute) // P1's one-box deploy is in flight
			src.firing = []Alarm{highErrorRate("", 311*time.Minute)}
			s.plan()
			wantFailed(t, s, "alarm HighErrorRate fired on P1 during the one-box deploy: error rate 5% (since 14:11 UTC)")
			s.run(313 * time.Minute)
		}, []string{"+300m deploy B full r2 s2", "+311m deploy P1 onebox r2 s2", "+311m failed r2 wave-1", "+312m rollback P1 full r2 s1"}},

		{"an override lifts the alarm for one release only", func(t *testing.T, s *sim, src *fakeAlarms) {
			released(s)
			src.firing = []Alarm{highErrorRate("P1", 290*time.Minute)}
			s.push(2, "s2")
			s.run(320 * time.Minute)
			wantHeld(t, s, "P1", BlockerAlarm, "alarm HighErrorRate on P1: error rate 5% (since 13:50 UTC)")
			if err := AddOverride(&s.st, Override{ReleaseID: 2, Blocker: BlockerAlarm, By: "sre", Reason: "known noisy", At: s.now}); err != nil {
				t.Fatal(err)
			}
			s.plan()
			s.push(3, "s3")
			s.run(1000 * time.Minute)
			wantHeld(t, s, "P1", BlockerAlarm, "alarm HighErrorRate on P1: error rate 5% (since 13:50 UTC)")
			if s.last.Held[0].ReleaseID != 3 || s.st.Release(2).Status != ReleaseSucceeded {
				t.Errorf("held %+v, release 2 %s: the override is release 2's alone", s.last.Held, s.st.Release(2).Status)
			}
		}, []string{
			"+300m deploy B full r2 s2", "+320m deploy P1 onebox r2 s2", "+320m deploy B full r3 s3",
			"+381m deploy P1 full r2 s2", "+442m deploy P2 onebox r2 s2", "+503m deploy P2 full r2 s2", "+564m released r2 ",
		}},

		{"a query that cannot be evaluated holds and keeps the bake going, but rolls nothing back", func(t *testing.T, s *sim, src *fakeAlarms) {
			released(s)
			qe := Alarm{Origin: AlarmQueryError, Name: "fault-rate", Target: "P1", Summary: "Post \"http://prometheus:9090/api/v1/query\": connection refused", Since: simStart.Add(330 * time.Minute)}
			s.push(2, "s2")
			s.run(330 * time.Minute)
			src.firing = []Alarm{qe}
			s.plan()
			s.run(400 * time.Minute)
			tr := s.st.Release(2).Stages["wave-1"].Targets["P1"]
			want := "alarm query fault-rate cannot be evaluated on P1: Post \"http://prometheus:9090/api/v1/query\": connection refused (since 14:30 UTC); the bake ends once it answers"
			if tr.Phase != PhaseOneboxBaking || tr.Waiting != want || s.st.Release(2).Status != ReleaseActive {
				t.Fatalf("P1 is %s waiting %q, release %s; want the one-box bake going on past its time, waiting %q", tr.Phase, tr.Waiting, s.st.Release(2).Status, want)
			}
			if !s.last.WakeAt.IsZero() {
				t.Errorf("wakes at %v; the source wakes it", s.last.WakeAt)
			}
			src.firing = nil
			s.plan()
			// Before P2 starts, the query is down again: it holds P2.
			s.run(450 * time.Minute)
			qe.Target = "P2"
			src.firing = []Alarm{qe}
			s.run(600 * time.Minute)
			wantHeld(t, s, "P2", BlockerAlarm, "alarm query fault-rate cannot be evaluated on P2: Post \"http://prometheus:9090/api/v1/query\": connection refused (since 14:30 UTC)")
		}, []string{"+300m deploy B full r2 s2", "+311m deploy P1 onebox r2 s2", "+400m deploy P1 full r2 s2"}},

		{"an organization's alarm on every target holds the first deploy", func(t *testing.T, s *sim, src *fakeAlarms) {
			src.firing = []Alarm{{Origin: AlarmAlertmanager, Name: "RegionDown", Summary: "us-west-2 is down", Since: simStart.Add(-25 * time.Hour), Org: true}}
			s.push(1, "s1")
			wantHeld(t, s, "B", BlockerAlarm, "organization alarm RegionDown on every target: us-west-2 is down (since 22 Nov 08:00 UTC)")
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, alarmPipeline())
			src := &fakeAlarms{}
			s.in.Alarms = src
			tc.script(t, s, src)
			s.wantLog(tc.want...)
		})
	}
}

// An alarm of the organization holds the pipelines of two repositories,
// each planned with the same source.
func TestOrgAlarmHoldsTwoRepositories(t *testing.T) {
	src := &fakeAlarms{firing: []Alarm{{Origin: AlarmAlertmanager, Name: "Freeze", Target: "prod", Summary: "incident 7", Org: true}}}
	for _, p := range []Pipeline{
		simplePipeline(Stage{Name: "prod", Targets: []string{"prod"}, Bake: 0}),
		{Name: "infra", DeployTimeout: time.Hour, Stages: []Stage{{Name: "all", Targets: []string{"prod"}, Bake: 0}}},
	} {
		s := newSim(t, p)
		s.in.Alarms = src
		s.push(1, "s1")
		wantHeld(t, s, "prod", BlockerAlarm, "organization alarm Freeze on prod: incident 7")
		src2 := *src
		src2.firing = nil
		s.in.Alarms = &src2
		s.plan()
		s.wantLog("+0m deploy prod full r1 s1")
	}
}

func wantHeld(t *testing.T, s *sim, target string, kind BlockerKind, reason string) {
	t.Helper()
	if len(s.last.Held) != 1 || s.last.Held[0].Target != target || len(s.last.Held[0].Blockers) != 1 {
		t.Fatalf("held %+v; want %s held by one blocker", s.last.Held, target)
	}
	if b := s.last.Held[0].Blockers[0]; b.Kind != kind || b.Reason != reason || !b.Until.IsZero() {
		t.Fatalf("held by %+v; want %s %q", b, kind, reason)
	}
	if !slices.EqualFunc(s.st.Held, s.last.Held, func(a, b Held) bool { return a.Target == b.Target && a.ReleaseID == b.ReleaseID }) {
		t.Fatalf("state's Held %+v is not the result's", s.st.Held)
	}
}

func wantFailed(t *testing.T, s *sim, reason string) {
	t.Helper()
	r := s.st.Releases[len(s.st.Releases)-1]
	run := r.Stages["wave-1"]
	if r.Status != ReleaseFailed || r.Reason != reason || run.Reason != reason || s.st.Holds["wave-1"] == nil || s.st.Holds["wave-1"].Reason != reason {
		t.Fatalf("release %d: %s %q, stage %q, hold %+v; want failed: %q", r.ID, r.Status, r.Reason, run.Reason, s.st.Holds["wave-1"], reason)
	}
	if !slices.ContainsFunc(s.notices, func(n Notice) bool {
		return n.Kind == NoticeReleaseFailed && n.ReleaseID == r.ID && strings.HasSuffix(n.Text, reason)
	}) {
		t.Fatalf("no release-failed notice with the alarm: %+v", s.notices)
	}
}
