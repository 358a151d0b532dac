package pipeline

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// A release through DESIGN.md's whole example pipeline: every deploy, in
// order, to the minute (each deploy takes a minute).
func TestReleaseThroughEveryWave(t *testing.T) {
	p := designPipeline(t)
	// Its windows (Mon-Thu 09:00-17:00 Los Angeles) would hold the waves
	// overnight: windows_plan_test.go shows that.
	p.Windows = nil
	s := newSim(t, p)
	// wave-1 waits for 3,000 data points; they are there by its bakes' end
	// (alarm_plan_test.go shows the waiting).
	s.in.Datapoints = plenty{}
	s.push(1, "sha1")
	s.run(100 * time.Minute)
	s.wantLog(
		"+0m deploy alpha full r1 sha1",
		"+11m deploy beta full r1 sha1",
		"+22m deploy gamma-us-east-1 onebox r1 sha1",
		"+22m deploy gamma-eu-west-1 onebox r1 sha1",
		"+53m deploy gamma-us-east-1 full r1 sha1",
		"+53m deploy gamma-eu-west-1 full r1 sha1",
	)
	if len(s.last.Held) != 1 || s.last.Held[0].Blockers[0].Kind != BlockerApproval {
		t.Fatalf("at +100m the release should wait for approval, held: %+v", s.last.Held)
	}
	if err := Decide(s.p, &s.st, 1, "", true, "lead", "", false, s.now); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.run(24 * time.Hour)
	s.wantLog(
		"+100m deploy prod-us-west-2a onebox r1 sha1",
		"+161m deploy prod-us-west-2a full r1 sha1",
		"+222m deploy prod-us-west-2b onebox r1 sha1",
		"+283m deploy prod-us-west-2b full r1 sha1",
		"+344m deploy prod-us-west-2c onebox r1 sha1",
		"+405m deploy prod-us-west-2c full r1 sha1",
		"+466m deploy prod-us-east-1a onebox r1 sha1",
		"+527m deploy prod-us-east-1a full r1 sha1",
		"+588m deploy prod-us-east-1b onebox r1 sha1",
		"+649m deploy prod-us-east-1b full r1 sha1",
		"+710m deploy prod-us-east-1c onebox r1 sha1",
		"+771m deploy prod-us-east-1c full r1 sha1",
		"+832m deploy prod-eu-west-1 full r1 sha1",
		"+832m deploy prod-ap-southeast-1 full r1 sha1",
		"+832m deploy prod-sa-east-1 full r1 sha1",
		"+863m released r1 ",
	)
	for _, target := range []string{"alpha", "gamma-eu-west-1", "prod-us-west-2c", "prod-sa-east-1"} {
		if inv := s.st.Targets[target]; inv.LastGood != "sha1" || inv.Running != "sha1" {
			t.Errorf("%s inventory %+v, want sha1 running and last good", target, *inv)
		}
	}
	if !s.last.WakeAt.IsZero() {
		t.Fatalf("a finished pipeline asks to wake at %v", s.last.WakeAt)
	}
}

func TestBakeZeroMovesOnAtOnce(t *testing.T) {
	s := newSim(t, simplePipeline(
		Stage{Name: "a", Targets: []string{"A"}, Bake: 0, OneBox: true},
		Stage{Name: "b", Targets: []string{"B"}, Bake: 0},
	))
	s.push(1, "s1")
	s.run(time.Hour)
	s.wantLog("+0m deploy A onebox r1 s1", "+1m deploy A full r1 s1", "+2m deploy B full r1 s1", "+3m released r1 ")
}

// Three quick pushes: each stage holds one release at a time, and the
// middle one is superseded where the newest overtakes it.
func TestPipeliningSupersedesTheMiddleRelease(t *testing.T) {
	s := newSim(t, simplePipeline(
		Stage{Name: "a", Targets: []string{"A"}, Bake: 10 * time.Minute},
		Stage{Name: "b", Targets: []string{"B"}, Bake: 10 * time.Minute},
		Stage{Name: "c", Targets: []string{"C"}, Bake: 10 * time.Minute},
	))
	s.push(1, "s1")
	s.now = s.now.Add(time.Minute / 2)
	s.push(2, "s2")
	s.now = s.now.Add(time.Minute / 4)
	s.push(3, "s3")
	s.run(4 * time.Hour)
	// Within one minute the planner works stage by stage, in order.
	s.wantLog(
		"+0m deploy A full r1 s1",
		"+11m superseded r2 a",
		"+11m deploy B full r1 s1",
		"+11m deploy A full r3 s3",
		"+22m deploy C full r1 s1",
		"+22m deploy B full r3 s3",
		"+33m released r1 ",
		"+33m deploy C full r3 s3",
		"+44m released r3 ",
	)
	if r2 := s.st.Releases[1]; r2.Status != ReleaseSuperseded || !strings.Contains(r2.Reason, "superseded by release 3") {
		t.Fatalf("r2: %s %q", r2.Status, r2.Reason)
	}
}

// twoWaves is w1 with one target and w2 with three, two at a time.
func twoWaves() Pipeline {
	return simplePipeline(
		Stage{Name: "w1", Targets: []string{"t1"}, Bake: 10 * time.Minute},
		Stage{Name: "w2", Targets: []string{"t2a", "t2b", "t2c"}, Parallel: 2, Bake: 10 * time.Minute},
	)
}

func TestFailedDeployRollsBackWhatReceivedItAndHolds(t *testing.T) {
	s := afterAGoodRelease(t, func(d DeployEffect) (string, time.Duration) {
		if d.Target == "t2b" && d.Step.SHA == "bad" {
			return OutcomeFailed, 2 * time.Minute
		}
		return OutcomeSuccess, time.Minute
	})
	s.push(2, "bad")
	s.run(4 * time.Hour)
	s.wantLog(
		"+120m deploy t1 full r2 bad",
		"+131m deploy t2a full r2 bad",
		"+131m deploy t2b full r2 bad",
		"+133m failed r2 w2",
		"+133m rollback t2a full r2 good",
		"+133m rollback t2b full r2 good",
		"+144m rolled-back r2 w2/t2a",
		"+144m rolled-back r2 w2/t2b",
	)
	if tr := s.st.Releases[1].Stages["w2"].Targets["t2c"]; tr != nil {
		t.Fatalf("t2c never received release 2 but has a run %+v", *tr)
	}
	if inv := s.st.Targets["t2c"]; inv.Running != "good" {
		t.Fatalf("t2c runs %q, want release 1's sha untouched", inv.Running)
	}
	for _, target := range []string{"t2a", "t2b"} {
		if inv := s.st.Targets[target]; inv.Running != "good" || inv.LastGood != "good" {
			t.Fatalf("%s after rollback: %+v", target, *inv)
		}
	}
	// A newer release passes w1 and is held at w2 until resumed.
	s.outcome = nil
	s.push(3, "fix")
	s.run(6 * time.Hour)
	s.wantLog("+240m deploy t1 full r3 fix")
	if len(s.last.Held) != 1 || s.last.Held[0].Stage != "w2" || s.last.Held[0].Blockers[0].Kind != BlockerRollback {
		t.Fatalf("held %+v, want r3 held at w2 by the rollback", s.last.Held)
	}
	Resume(&s.st, "w2")
	s.plan()
	s.run(8 * time.Hour)
	s.wantLog(
		"+360m deploy t2a full r3 fix",
		"+360m deploy t2b full r3 fix",
		"+371m deploy t2c full r3 fix",
		"+382m released r3 ",
	)
}

func TestInFlightDeployIsRolledBackOnceItReports(t *testing.T) {
	s := afterAGoodRelease(t, func(d DeployEffect) (string, time.Duration) {
		switch {
		case d.Target == "t2b" && d.Step.SHA == "bad":
			return OutcomeFailed, time.Minute
		case d.Target == "t2a" && d.Step.SHA == "bad":
			return OutcomeSuccess, 5 * time.Minute // still deploying when t2b fails
		}
		return OutcomeSuccess, time.Minute
	})
	s.push(2, "bad")
	s.run(4 * time.Hour)
	s.wantLog(
		"+120m deploy t1 full r2 bad",
		"+131m deploy t2a full r2 bad",
		"+131m deploy t2b full r2 bad",
		"+132m failed r2 w2",
		"+132m rollback t2b full r2 good",
		"+136m rollback t2a full r2 good",
		"+143m rolled-back r2 w2/t2b",
		"+147m rolled-back r2 w2/t2a",
	)
}

func TestDeployTimeoutFailsLikeAFailure(t *testing.T) {
	s := afterAGoodRelease(t, func(d DeployEffect) (string, time.Duration) {
		if d.Target == "t2a" && d.Step.SHA == "silent" {
			return "", 0 // never reports
		}
		return OutcomeSuccess, time.Minute
	})
	s.push(2, "silent")
	s.run(4 * time.Hour)
	// t2b finished its bake and t2c started before t2a timed out: all three
	// received the release, and all three go back to "good", t2b too,
	// although it had recorded "silent" as good when its own bake ended.
	s.wantLog(
		"+120m deploy t1 full r2 silent",
		"+131m deploy t2a full r2 silent",
		"+131m deploy t2b full r2 silent",
		"+142m deploy t2c full r2 silent",
		"+161m failed r2 w2",
		"+161m rollback t2a full r2 good",
		"+161m rollback t2b full r2 good",
		"+161m rollback t2c full r2 good",
		"+172m rolled-back r2 w2/t2a",
		"+172m rolled-back r2 w2/t2b",
		"+172m rolled-back r2 w2/t2c",
	)
	for _, target := range []string{"t2a", "t2b", "t2c"} {
		if inv := s.st.Targets[target]; inv.Running != "good" || inv.LastGood != "good" {
			t.Errorf("%s after the rollback: %+v, want good running and last good", target, *inv)
		}
	}
	if !strings.Contains(s.st.Releases[1].Reason, "reported nothing within 30m0s") {
		t.Fatalf("reason %q", s.st.Releases[1].Reason)
	}
}

func TestFirstReleaseHasNothingToRollBackTo(t *testing.T) {
	s := newSim(t, simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: time.Minute}))
	s.outcome = func(DeployEffect) (string, time.Duration) { return OutcomeFailed, time.Minute }
	s.push(1, "first")
	s.run(time.Hour)
	s.wantLog("+0m deploy A full r1 first", "+1m failed r1 a", "+1m nothing-to-roll-back r1 a/A")
	if s.st.Holds["a"] == nil {
		t.Fatal("stage a not held")
	}
}

func TestFailedRollbackPausesThePipeline(t *testing.T) {
	s := afterAGoodRelease(t, func(d DeployEffect) (string, time.Duration) {
		if d.Target == "t2a" {
			return OutcomeFailed, time.Minute
		}
		return OutcomeSuccess, time.Minute
	})
	s.push(2, "bad")
	s.run(4 * time.Hour)
	if !slices.ContainsFunc(s.notices, func(n Notice) bool { return n.Kind == NoticeRollbackFailed && n.Target == "t2a" }) {
		t.Fatal("a failed rollback was not reported")
	}
	if !strings.Contains(s.st.Paused, "rollback of t2a") {
		t.Fatalf("paused %q, want the failed rollback", s.st.Paused)
	}
	s.push(3, "next")
	if len(s.last.Deploys) != 0 || len(s.last.Held) == 0 || s.last.Held[0].Blockers[0].Kind != BlockerPaused {
		t.Fatalf("a paused pipeline started %+v, held %+v", s.last.Deploys, s.last.Held)
	}
}

func TestApprovalStage(t *testing.T) {
	p := simplePipeline(
		Stage{Name: "pre", Targets: []string{"P"}, Bake: 0},
		Stage{Name: "ok", Approval: &Approval{Timeout: time.Hour}},
		Stage{Name: "prod", Targets: []string{"Q"}, Bake: 0},
	)
	tests := []struct {
		name   string
		decide func(s *sim) error
		want   []string
	}{
		{"approved", func(s *sim) error { return Decide(s.p, &s.st, 1, "ok", true, "lead", "", false, s.now) },
			[]string{"+0m deploy P full r1 s1", "+10m deploy Q full r1 s1", "+11m released r1 "}},
		{"rejected", func(s *sim) error { return Decide(s.p, &s.st, 1, "ok", false, "lead", "not today", false, s.now) },
			[]string{"+0m deploy P full r1 s1", "+10m failed r1 ok"}},
		{"timed out", func(s *sim) error { return nil },
			[]string{"+0m deploy P full r1 s1", "+61m failed r1 ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, p)
			s.push(1, "s1", "author")
			s.run(10 * time.Minute)
			if err := Decide(s.p, &s.st, 1, "ok", true, "Author", "", false, s.now); err == nil {
				t.Fatal("the release's author approved it")
			}
			if err := tc.decide(s); err != nil {
				t.Fatal(err)
			}
			s.plan()
			s.run(3 * time.Hour)
			s.wantLog(tc.want...)
		})
	}
}

func TestUnreviewedReleaseHeldUntilOverridden(t *testing.T) {
	s := newSim(t, simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: 0}))
	if err := AddRelease(&s.st, Release{ID: 1, SHA: "s1", Unreviewed: []string{"d1 reached main without a merged pull request"}}); err != nil {
		t.Fatal(err)
	}
	s.plan()
	if len(s.last.Deploys) != 0 || len(s.last.Held) != 1 || s.last.Held[0].Blockers[0].Kind != BlockerUnreviewed {
		t.Fatalf("deploys %+v held %+v, want held as unreviewed", s.last.Deploys, s.last.Held)
	}
	if err := AddOverride(&s.st, Override{ReleaseID: 1, Blocker: BlockerUnreviewed, By: "lead", Reason: "hotfix reviewed in person"}); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.run(time.Hour)
	s.wantLog("+0m deploy A full r1 s1", "+1m released r1 ")
}

type windowClosed struct{ until time.Time }

func (w windowClosed) Blockers(_ *Release, _ Stage, _ string, now time.Time) []Blocker {
	if now.Before(w.until) {
		return []Blocker{{Kind: BlockerWindow, Reason: "outside the deploy window", Until: w.until}}
	}
	return nil
}

// A blocker from outside (a time window) holds the deploy and wakes the
// planner when it lifts, so the release moves on by itself.
func TestBlockerSourceHoldsAndLifts(t *testing.T) {
	s := newSim(t, simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: 0}))
	s.in.Blockers = windowClosed{until: simStart.Add(3 * time.Hour)}
	s.push(1, "s1")
	if !s.last.WakeAt.Equal(simStart.Add(3 * time.Hour)) {
		t.Fatalf("wake at %v, want when the window opens", s.last.WakeAt)
	}
	s.run(5 * time.Hour)
	s.wantLog("+180m deploy A full r1 s1", "+181m released r1 ")
}

func TestRecordOutcome(t *testing.T) {
	s := newSim(t, simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: 0}))
	s.push(1, "s1")
	key := s.last.Deploys[0].Step.Key
	if key != "r1/a/A/full/deploy" {
		t.Fatalf("step key %q", key)
	}
	if ok, err := RecordOutcome(&s.st, key, OutcomeSuccess, "", s.now); !ok || err != nil {
		t.Fatalf("first result: %v %v", ok, err)
	}
	if ok, err := RecordOutcome(&s.st, key, OutcomeFailed, "", s.now); ok || err != nil {
		t.Fatalf("a second result for the same step must change nothing: %v %v", ok, err)
	}
	if _, err := RecordOutcome(&s.st, "r9/x/y/full/deploy", OutcomeSuccess, "", s.now); err == nil {
		t.Fatal("a result for an unknown step was accepted")
	}
}

func TestPauseHoldsNewDeploysAndResumeLifts(t *testing.T) {
	s := newSim(t, simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: 0}))
	if err := Pause(&s.st, "lead", ""); err == nil {
		t.Fatal("a pause without a reason was accepted")
	}
	if err := Pause(&s.st, "lead", "incident 42"); err != nil {
		t.Fatal(err)
	}
	s.push(1, "s1")
	if len(s.last.Deploys) != 0 || len(s.last.Held) != 1 || s.last.Held[0].Blockers[0].Reason != "paused by @lead: incident 42" {
		t.Fatalf("deploys %+v held %+v, want held by the pause", s.last.Deploys, s.last.Held)
	}
	Resume(&s.st, "")
	s.plan()
	s.run(time.Hour)
	s.wantLog("+0m deploy A full r1 s1", "+1m released r1 ")
}

// A pipeline change travels with the commit that made it: a release keeps
// the configuration of its own commit while a newer one, made after the
// change, follows the new one, a stage added and a bake lengthened.
func TestEachReleaseTravelsWithItsOwnPipeline(t *testing.T) {
	v1 := simplePipeline(
		Stage{Name: "a", Targets: []string{"A"}, Bake: 10 * time.Minute},
		Stage{Name: "b", Targets: []string{"B"}, Bake: 10 * time.Minute},
	)
	v2 := simplePipeline(
		Stage{Name: "a", Targets: []string{"A"}, Bake: 30 * time.Minute},
		Stage{Name: "b", Targets: []string{"B"}, Bake: 10 * time.Minute},
		Stage{Name: "c", Targets: []string{"C"}, Bake: 10 * time.Minute},
	)
	s := newSim(t, v1)
	if err := AddReleaseWithConfig(&s.st, Release{ID: 1, SHA: "old", CreatedAt: s.now}, v1); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.now = s.now.Add(5 * time.Minute)
	// The commit that changes the pipeline: the planner now runs with v2.
	s.p = v2
	if err := AddReleaseWithConfig(&s.st, Release{ID: 2, SHA: "new", CreatedAt: s.now}, v2); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.run(5 * time.Hour)
	s.wantLog(
		"+0m deploy A full r1 old",
		"+11m deploy B full r1 old", // r1 baked 10m in a, as its own pipeline says
		"+11m deploy A full r2 new",
		"+22m released r1 ",         // r1's pipeline has no stage c
		"+42m deploy B full r2 new", // r2 baked 30m in a
		"+53m deploy C full r2 new",
		"+64m released r2 ",
	)
	if len(s.st.Configs) != 2 {
		t.Fatalf("%d configurations kept, want the two the kept releases use", len(s.st.Configs))
	}
}

// Finished releases beyond the most recent few are dropped, with their
// configurations: a state holds what is in flight, not all history.
func TestFinishedReleasesAreDropped(t *testing.T) {
	p := simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: 0})
	s := newSim(t, p)
	for id := int64(1); id <= KeptFinished+3; id++ {
		if err := AddReleaseWithConfig(&s.st, Release{ID: id, SHA: fmt.Sprint("s", id), CreatedAt: s.now},
			simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: time.Duration(id)})); err != nil {
			t.Fatal(err)
		}
		s.plan()
		s.run(s.now.Sub(simStart) + time.Hour)
	}
	if n := len(s.st.Releases); n != KeptFinished || s.st.Releases[0].ID != 4 {
		t.Fatalf("kept %d releases from %d, want the newest %d", n, s.st.Releases[0].ID, KeptFinished)
	}
	if n := len(s.st.Configs); n != KeptFinished {
		t.Fatalf("kept %d configurations, want %d", n, KeptFinished)
	}
}

// afterAGoodRelease is a twoWaves sim where release 1 ("good") went
// everywhere; from +120m on, deploys go as outcome says.
func afterAGoodRelease(t *testing.T, outcome func(DeployEffect) (string, time.Duration)) *sim {
	t.Helper()
	s := newSim(t, twoWaves())
	s.push(1, "good")
	s.run(2 * time.Hour)
	s.log, s.outcome = nil, outcome
	s.now = simStart.Add(2 * time.Hour)
	return s
}
