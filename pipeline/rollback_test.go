package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// A manual rollback of a release still deploying: it stops, every target
// that has it goes back, the one whose deploy is still in flight once it
// reports, and both stages it reached are held.
func TestManualRollbackOfAnActiveRelease(t *testing.T) {
	s := afterAGoodRelease(t, func(d DeployEffect) (string, time.Duration) {
		if d.Target == "t2b" && d.Step.Action == ActionDeploy {
			return OutcomeSuccess, 20 * time.Minute
		}
		return OutcomeSuccess, time.Minute
	})
	s.push(2, "new")
	s.run(145 * time.Minute)
	s.wantLog(
		"+120m deploy t1 full r2 new",
		"+131m deploy t2a full r2 new",
		"+131m deploy t2b full r2 new",
		"+142m deploy t2c full r2 new",
	)
	w2 := s.st.Releases[1].Stages["w2"]
	if w2.Targets["t2a"].Phase != PhaseDone || w2.Targets["t2b"].Phase != PhaseFullDeploying || w2.Targets["t2c"].Phase != PhaseFullBaking {
		t.Fatalf("before the rollback: t2a %s, t2b %s, t2c %s", w2.Targets["t2a"].Phase, w2.Targets["t2b"].Phase, w2.Targets["t2c"].Phase)
	}

	if err := Rollback(s.p, &s.st, 2, "", "", "lead", "error rate up", s.now); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.wantLog(
		"+145m failed r2 w1",
		"+145m rollback t1 full r2 good",
		"+145m failed r2 w2",
		"+145m rollback t2a full r2 good",
		"+145m rollback t2c full r2 good",
	)
	r2 := s.st.Releases[1]
	if r2.Status != ReleaseFailed || r2.Reason != "rolled back by @lead: error rate up" {
		t.Fatalf("release 2: %s %q", r2.Status, r2.Reason)
	}
	if r2.RollbackRequest != nil {
		t.Fatal("the request is still pending after Plan acted on it")
	}
	if tr := r2.Stages["w2"].Targets["t2b"]; tr.Phase != PhaseRollbackPending {
		t.Fatalf("t2b, deploying when rolled back, is %s", tr.Phase)
	}
	for _, stage := range []string{"w1", "w2"} {
		if h := s.st.Holds[stage]; h == nil || h.ReleaseID != 2 || !strings.Contains(h.Reason, "@lead") {
			t.Errorf("hold of %s: %+v", stage, h)
		}
	}
	if !slices.ContainsFunc(s.last.Notices, func(n Notice) bool {
		return n.Kind == NoticeReleaseFailed && n.ReleaseID == 2 &&
			strings.Contains(n.Text, "rolled back in w1, w2 by @lead: error rate up")
	}) {
		t.Fatalf("notices %+v, want release 2's saying who rolled it back and why", s.last.Notices)
	}

	s.run(4 * time.Hour)
	s.wantLog(
		"+151m rollback t2b full r2 good",
		"+156m rolled-back r2 w1/t1",
		"+156m rolled-back r2 w2/t2a",
		"+156m rolled-back r2 w2/t2c",
		"+162m rolled-back r2 w2/t2b",
	)
	for _, target := range []string{"t1", "t2a", "t2b", "t2c"} {
		if inv := s.st.Targets[target]; inv.Running != "good" || inv.LastGood != "good" {
			t.Errorf("%s after the rollback: %+v", target, *inv)
		}
	}
	if !s.last.WakeAt.IsZero() {
		t.Fatalf("nothing is left to do, but Plan asks to wake at %v", s.last.WakeAt)
	}
}

// stageClosed holds every deploy of one release in one stage, as a closed
// window would.
type stageClosed struct {
	release int64
	stage   string
}

func (c stageClosed) Blockers(r *Release, stage Stage, _ string, _ time.Time) []Blocker {
	if r.ID == c.release && stage.Name == c.stage {
		return []Blocker{{Kind: BlockerWindow, Reason: "outside the deploy window"}}
	}
	return nil
}

// afterTwoReleases is twoWaves where release 1 ("good") and then release 2
// ("two") went everywhere; the clock is at +240m.
func afterTwoReleases(t *testing.T, outcome func(DeployEffect) (string, time.Duration)) *sim {
	t.Helper()
	s := afterAGoodRelease(t, nil)
	s.push(2, "two")
	s.run(4 * time.Hour)
	if r2 := s.st.Releases[1]; r2.Status != ReleaseSucceeded {
		t.Fatalf("release 2 is %s, want it released", r2.Status)
	}
	s.log, s.outcome = nil, outcome
	return s
}

// A release that went everywhere is rolled back after a newer one reached
// the first wave: the first wave runs the newer release and is left alone;
// the second goes back, and the newer release waits there until resumed.
func TestManualRollbackOfAReleasedReleaseLeavesNewerOnesAlone(t *testing.T) {
	s := afterTwoReleases(t, nil)
	s.in.Blockers = stageClosed{release: 3, stage: "w2"}
	s.push(3, "three")
	s.run(5 * time.Hour)
	s.wantLog("+240m deploy t1 full r3 three")

	if err := Rollback(s.p, &s.st, 2, "", "", "lead", "corrupts carts", s.now); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.wantLog(
		"+300m failed r2 w2",
		"+300m rollback t2a full r2 good",
		"+300m rollback t2b full r2 good",
		"+300m rollback t2c full r2 good",
	)
	skipped := slices.IndexFunc(s.last.Decisions, func(d Decision) bool { return d.What == "rollback-skipped" })
	if skipped < 0 || s.last.Decisions[skipped].Target != "t1" ||
		s.last.Decisions[skipped].Reason != "release 3 (three) has since deployed to t1; rolling back would undo it" {
		t.Fatalf("decisions %+v, want t1 skipped because release 3 runs there", s.last.Decisions)
	}
	for i, target := range []string{"t2a", "t2b", "t2c"} {
		want := DeployEffect{ReleaseID: 2, Pipeline: "app", Stage: "w2", Target: target, Timeout: 30 * time.Minute, Step: Step{
			Key:    StepKey(2, "w2", target, VariantFull, ActionRollback),
			Action: ActionRollback, Variant: VariantFull, SHA: "good", PreviousSHA: "two", StartedAt: s.now,
		}}
		if got := s.last.Deploys[i]; got != want {
			t.Errorf("rollback effect:\n got %+v\nwant %+v", got, want)
		}
	}
	r2 := s.st.Releases[1]
	if r2.Status != ReleaseFailed || r2.Reason != "rolled back by @lead: corrupts carts" {
		t.Fatalf("release 2: %s %q", r2.Status, r2.Reason)
	}
	if run := r2.Stages["w1"]; run.Status != StageSucceeded || run.Targets["t1"].Phase != PhaseDone || s.st.Holds["w1"] != nil {
		t.Fatalf("w1 was not to be touched: %s, t1 %s, hold %+v", run.Status, run.Targets["t1"].Phase, s.st.Holds["w1"])
	}
	if inv := s.st.Targets["t1"]; inv.Running != "three" {
		t.Fatalf("t1 runs %q, want release 3 left in place", inv.Running)
	}
	if !slices.ContainsFunc(s.last.Notices, func(n Notice) bool {
		return n.Kind == NoticeReleaseFailed && strings.Contains(n.Text, "Left as they are: release 3 (three) has since deployed to t1")
	}) {
		t.Fatalf("notices %+v, want the skipped target reported", s.last.Notices)
	}

	s.run(6 * time.Hour)
	s.wantLog(
		"+311m rolled-back r2 w2/t2a",
		"+311m rolled-back r2 w2/t2b",
		"+311m rolled-back r2 w2/t2c",
	)
	// Release 3 was already in w2: its window opening does not let it
	// deploy over the rollback; only resuming does.
	s.in.Blockers = nil
	s.plan()
	if len(s.last.Deploys) != 0 || len(s.last.Held) != 1 || s.last.Held[0].ReleaseID != 3 || s.last.Held[0].Blockers[0].Kind != BlockerRollback {
		t.Fatalf("deploys %+v held %+v, want release 3 held by the rollback", s.last.Deploys, s.last.Held)
	}
	Resume(&s.st, "w2")
	s.plan()
	s.run(8 * time.Hour)
	s.wantLog(
		"+360m deploy t2a full r3 three",
		"+360m deploy t2b full r3 three",
		"+371m deploy t2c full r3 three",
		"+382m released r3 ",
	)
}

// One target of a released release goes back; its stage fails and is held,
// the other targets keep it.
func TestManualRollbackOfOneTarget(t *testing.T) {
	for _, stage := range []string{"", "w2"} {
		t.Run("stage "+stage, func(t *testing.T) {
			s := afterTwoReleases(t, nil)
			if err := Rollback(s.p, &s.st, 2, stage, "t2b", "lead", "t2b misbehaves", s.now); err != nil {
				t.Fatal(err)
			}
			s.plan()
			s.run(5 * time.Hour)
			s.wantLog("+240m failed r2 w2", "+240m rollback t2b full r2 good", "+251m rolled-back r2 w2/t2b")
			for target, want := range map[string]string{"t1": "two", "t2a": "two", "t2b": "good", "t2c": "two"} {
				if got := s.st.Targets[target].Running; got != want {
					t.Errorf("%s runs %q, want %q", target, got, want)
				}
			}
			r2 := s.st.Releases[1]
			if r2.Status != ReleaseFailed || r2.Stages["w2"].Status != StageFailed || r2.Stages["w1"].Status != StageSucceeded {
				t.Fatalf("release 2 %s, w1 %s, w2 %s", r2.Status, r2.Stages["w1"].Status, r2.Stages["w2"].Status)
			}
			if s.st.Holds["w2"] == nil || s.st.Holds["w1"] != nil {
				t.Fatalf("holds %v, want w2 only", s.st.Holds)
			}
			// The stage's other targets still run the release: a later
			// request can take them back too.
			if err := Rollback(s.p, &s.st, 2, "w2", "", "lead", "all of it", s.now); err != nil {
				t.Fatal(err)
			}
			s.plan()
			s.wantLog("+300m failed r2 w2", "+300m rollback t2a full r2 good", "+300m rollback t2c full r2 good")
		})
	}
}

// A release still deploying, rolled back in an earlier stage only: that
// stage goes back, and the stage it is in stops where it is.
func TestManualRollbackOfAnEarlierStageStopsTheRelease(t *testing.T) {
	s := afterAGoodRelease(t, nil)
	s.push(2, "new")
	s.run(131 * time.Minute)
	s.wantLog("+120m deploy t1 full r2 new", "+131m deploy t2a full r2 new", "+131m deploy t2b full r2 new")
	if err := Rollback(s.p, &s.st, 2, "w1", "", "lead", "bad migration", s.now); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.wantLog("+131m failed r2 w1", "+131m rollback t1 full r2 good")
	if !slices.ContainsFunc(s.last.Decisions, func(d Decision) bool { return d.What == "stopped" && d.Stage == "w2" }) {
		t.Fatalf("decisions %+v, want w2 stopped", s.last.Decisions)
	}
	s.run(4 * time.Hour)
	s.wantLog("+142m rolled-back r2 w1/t1")
	if tr := s.st.Releases[1].Stages["w2"].Targets["t2c"]; tr != nil {
		t.Fatalf("t2c started after the release was rolled back: %+v", *tr)
	}
	if s.st.Holds["w2"] != nil {
		t.Fatal("w2 is held, but nothing was rolled back there")
	}
}

// A release waiting for approval is rolled back where it went, and can no
// longer be approved.
func TestManualRollbackOfAReleaseWaitingForApproval(t *testing.T) {
	s := newSim(t, simplePipeline(
		Stage{Name: "pre", Targets: []string{"P"}, Bake: 0},
		Stage{Name: "ok", Approval: &Approval{Timeout: time.Hour}},
		Stage{Name: "prod", Targets: []string{"Q"}, Bake: 0},
	))
	s.push(1, "s1")
	s.run(10 * time.Minute)
	if err := Decide(s.p, &s.st, 1, "ok", true, "lead", "", false, s.now); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.run(20 * time.Minute)
	s.push(2, "s2")
	s.run(30 * time.Minute)
	s.wantLog("+0m deploy P full r1 s1", "+10m deploy Q full r1 s1", "+11m released r1 ", "+20m deploy P full r2 s2")
	if err := Rollback(s.p, &s.st, 2, "ok", "", "lead", "wrong", s.now); err == nil ||
		err.Error() != "release 2 has nothing to roll back in ok: it is an approval stage, where nothing is deployed" {
		t.Fatalf("rollback of an approval stage: %v", err)
	}
	if err := Rollback(s.p, &s.st, 2, "", "", "lead", "wrong", s.now); err != nil {
		t.Fatal(err)
	}
	s.plan()
	if !slices.ContainsFunc(s.last.Decisions, func(d Decision) bool { return d.What == "stopped" && d.Stage == "ok" }) {
		t.Fatalf("decisions %+v, want the approval stopped", s.last.Decisions)
	}
	s.run(time.Hour)
	s.wantLog("+30m failed r2 pre", "+30m rollback P full r2 s1", "+31m rolled-back r2 pre/P")
	if err := Decide(s.p, &s.st, 2, "ok", true, "lead", "", false, s.now); err == nil {
		t.Fatal("a rolled-back release was approved")
	}
}

func TestManualRollbackRefusals(t *testing.T) {
	tests := []struct {
		name           string
		setup          func(t *testing.T) *sim
		stage, target  string
		reason         string
		want           string
		wantIsNotFound bool
	}{
		{name: "no reason", setup: releaseInW1, reason: " ", want: "a rollback needs --reason"},
		{name: "unknown stage", setup: releaseInW1, stage: "w9", reason: "x",
			want: `stage "w9" is not in pipeline app: not found`, wantIsNotFound: true},
		{name: "unknown target", setup: releaseInW1, target: "t9", reason: "x",
			want: `target "t9" is not in pipeline app: not found`, wantIsNotFound: true},
		{name: "target of another stage", setup: releaseInW1, stage: "w1", target: "t2a", reason: "x",
			want: `target "t2a" is not in stage w1: not found`, wantIsNotFound: true},
		{name: "stage never reached", setup: releaseInW1, stage: "w2", reason: "x",
			want: "release 2 has nothing to roll back in w2: it never reached w2"},
		{name: "target never reached", setup: releaseInW1, target: "t2c", reason: "x",
			want: "release 2 has nothing to roll back on t2c: it never reached t2c"},
		{name: "nothing deployed yet", setup: releaseNotYetDeployed, reason: "x",
			want: "release 2 has nothing to roll back in app: it has not deployed anywhere yet"},
		{name: "newer release everywhere", setup: newerEverywhere, reason: "x",
			want: "release 2 has nothing to roll back in app: a newer release runs on every target"},
		{name: "newer release on the stage", setup: newerEverywhere, stage: "w1", reason: "x",
			want: "release 2 has nothing to roll back in w1: release 3 (three) has since deployed to t1; rolling back would undo it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.setup(t)
			before := mustJSON(t, s.st)
			err := Rollback(s.p, &s.st, 2, tc.stage, tc.target, "lead", tc.reason, s.now)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if errors.Is(err, ErrNotFound) != tc.wantIsNotFound {
				t.Fatalf("errors.Is(%v, ErrNotFound) = %v", err, !tc.wantIsNotFound)
			}
			if after := mustJSON(t, s.st); after != before {
				t.Fatalf("a refused rollback changed the state:\n%s\n%s", before, after)
			}
		})
	}
	s := releaseInW1(t)
	if err := Rollback(s.p, &s.st, 9, "", "", "lead", "x", s.now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rollback of an unknown release: %v", err)
	}
}

// releaseInW1 is release 2 baking in w1, after release 1 went everywhere.
func releaseInW1(t *testing.T) *sim {
	s := afterAGoodRelease(t, nil)
	s.push(2, "two")
	s.run(125 * time.Minute)
	return s
}

// releaseNotYetDeployed is release 2 held by a window in w1.
func releaseNotYetDeployed(t *testing.T) *sim {
	s := afterAGoodRelease(t, nil)
	s.in.Blockers = stageClosed{release: 2, stage: "w1"}
	s.push(2, "two")
	return s
}

// newerEverywhere is release 2 released, then release 3 released too.
func newerEverywhere(t *testing.T) *sim {
	s := afterTwoReleases(t, nil)
	s.push(3, "three")
	s.run(6 * time.Hour)
	return s
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Asking twice makes one rollback: each target has one rollback step.
func TestManualRollbackIsIdempotent(t *testing.T) {
	keys := map[string]bool{}
	s := afterTwoReleases(t, func(d DeployEffect) (string, time.Duration) {
		if keys[d.Step.Key] {
			t.Errorf("step %s deployed twice", d.Step.Key)
		}
		keys[d.Step.Key] = true
		return OutcomeSuccess, time.Minute
	})
	if err := Rollback(s.p, &s.st, 2, "w2", "", "lead", "slow", s.now); err != nil {
		t.Fatal(err)
	}
	before := mustJSON(t, s.st)
	if err := Rollback(s.p, &s.st, 2, "w2", "", "lead", "slow", s.now); err == nil || err.Error() != "release 2 is already being rolled back" {
		t.Fatalf("a second request before Plan: %v", err)
	}
	if mustJSON(t, s.st) != before {
		t.Fatal("the second request changed the state")
	}
	s.plan()
	s.now = s.now.Add(time.Minute / 2)
	if err := Rollback(s.p, &s.st, 2, "w2", "", "lead", "slow", s.now); err == nil || err.Error() != "release 2 is already being rolled back" {
		t.Fatalf("a second request while rolling back: %v", err)
	}
	s.run(5 * time.Hour)
	s.wantLog(
		"+240m failed r2 w2",
		"+240m rollback t2a full r2 good",
		"+240m rollback t2b full r2 good",
		"+240m rollback t2c full r2 good",
		"+251m rolled-back r2 w2/t2a",
		"+251m rolled-back r2 w2/t2b",
		"+251m rolled-back r2 w2/t2c",
	)
	if err := Rollback(s.p, &s.st, 2, "w2", "", "lead", "slow", s.now); err == nil ||
		err.Error() != "release 2 has nothing to roll back in w2: it is already rolled back" {
		t.Fatalf("a second request once rolled back: %v", err)
	}
	// The release went to w1 too: asking for everything now takes back
	// only what is left.
	if err := Rollback(s.p, &s.st, 2, "", "", "lead", "slow", s.now); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.wantLog("+300m failed r2 w1", "+300m rollback t1 full r2 good")
}

func TestFailedManualRollbackPausesThePipeline(t *testing.T) {
	s := afterTwoReleases(t, func(d DeployEffect) (string, time.Duration) {
		if d.Target == "t2a" && d.Step.Action == ActionRollback {
			return OutcomeFailed, time.Minute
		}
		return OutcomeSuccess, time.Minute
	})
	if err := Rollback(s.p, &s.st, 2, "w2", "", "lead", "slow", s.now); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.run(5 * time.Hour)
	s.wantLog(
		"+240m failed r2 w2",
		"+240m rollback t2a full r2 good",
		"+240m rollback t2b full r2 good",
		"+240m rollback t2c full r2 good",
		"+241m rollback-failed r2 w2/t2a",
		"+251m rolled-back r2 w2/t2b",
		"+251m rolled-back r2 w2/t2c",
	)
	if !slices.ContainsFunc(s.notices, func(n Notice) bool { return n.Kind == NoticeRollbackFailed && n.Target == "t2a" }) {
		t.Fatal("the failed rollback was not reported")
	}
	if !strings.Contains(s.st.Paused, "rollback of t2a") {
		t.Fatalf("paused %q, want the failed rollback", s.st.Paused)
	}
	s.push(3, "next")
	if len(s.last.Deploys) != 0 || len(s.last.Held) == 0 || s.last.Held[0].Blockers[0].Kind != BlockerPaused {
		t.Fatalf("a paused pipeline started %+v, held %+v", s.last.Deploys, s.last.Held)
	}
}

// A release whose rollback is in flight is kept, however many releases
// finish after it; once rolled back it is dropped like any other.
func TestReleaseBeingRolledBackIsNotDropped(t *testing.T) {
	s := afterTwoReleases(t, func(d DeployEffect) (string, time.Duration) {
		if d.Step.Action == ActionRollback {
			return OutcomeSuccess, 30 * time.Minute
		}
		return OutcomeSuccess, time.Minute
	})
	if err := Rollback(s.p, &s.st, 2, "", "", "lead", "slow", s.now); err != nil {
		t.Fatal(err)
	}
	s.plan()
	// w1 is held: each push supersedes the one before, which finishes it.
	for id := int64(3); id <= 4+KeptFinished; id++ {
		s.push(id, fmt.Sprint("s", id))
	}
	if n := len(s.st.Releases); s.st.Releases[0].ID != 2 || n != 1+KeptFinished+1 {
		t.Fatalf("releases from %d, %d kept; want release 2 kept while rolling back", s.st.Releases[0].ID, n)
	}
	s.run(6 * time.Hour)
	s.wantLog(
		"+240m failed r2 w1",
		"+240m rollback t1 full r2 good",
		"+240m failed r2 w2",
		"+240m rollback t2a full r2 good",
		"+240m rollback t2b full r2 good",
		"+240m rollback t2c full r2 good",
		"+240m superseded r3 w1",
		"+240m superseded r4 w1",
		"+240m superseded r5 w1",
		"+240m superseded r6 w1",
		"+240m superseded r7 w1",
		"+240m superseded r8 w1",
		"+280m rolled-back r2 w1/t1",
		"+280m rolled-back r2 w2/t2a",
		"+280m rolled-back r2 w2/t2b",
		"+280m rolled-back r2 w2/t2c",
	)
	if slices.ContainsFunc(s.st.Releases, func(r *Release) bool { return r.ID == 2 }) {
		t.Fatal("release 2 kept after its rollback, behind more than KeptFinished finished releases")
	}
}

// The state is stored as JSON between the command and the next Plan: a
// request must survive it.
func TestRollbackRequestSurvivesJSON(t *testing.T) {
	s := afterTwoReleases(t, nil)
	if err := Rollback(s.p, &s.st, 2, "w2", "t2a", "lead", "slow", s.now); err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal([]byte(mustJSON(t, s.st)), &st); err != nil {
		t.Fatal(err)
	}
	want := RollbackRequest{Stage: "w2", Target: "t2a", By: "lead", Reason: "slow", At: s.now}
	if got := st.Releases[1].RollbackRequest; got == nil || *got != want {
		t.Fatalf("request after JSON %+v, want %+v", got, want)
	}
	s.st = st
	s.plan()
	s.wantLog("+240m failed r2 w2", "+240m rollback t2a full r2 good")
}

// A newer release's own rollback is putting this release back on a target:
// rolling it back there at the same time would race that step, so it waits
// to be asked again.
func TestManualRollbackWaitsForAnotherReleasesStep(t *testing.T) {
	s := afterTwoReleases(t, func(d DeployEffect) (string, time.Duration) {
		switch {
		case d.Step.SHA == "three":
			return OutcomeFailed, time.Minute
		case d.Step.Action == ActionRollback && d.ReleaseID == 3:
			return OutcomeSuccess, 20 * time.Minute
		}
		return OutcomeSuccess, time.Minute
	})
	s.push(3, "three")
	s.run(245 * time.Minute)
	s.wantLog("+240m deploy t1 full r3 three", "+241m failed r3 w1", "+241m rollback t1 full r3 two")
	want := "release 2 has nothing to roll back in w1: release 3 has a rollback in flight on t1; ask again once it finishes"
	if err := Rollback(s.p, &s.st, 2, "w1", "", "lead", "x", s.now); err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	s.run(5 * time.Hour)
	s.wantLog("+271m rolled-back r3 w1/t1")
	if err := Rollback(s.p, &s.st, 2, "w1", "", "lead", "x", s.now); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.run(6 * time.Hour)
	s.wantLog("+300m failed r2 w1", "+300m rollback t1 full r2 good", "+311m rolled-back r2 w1/t1")
}

// A request the state no longer allows when Plan comes to it is dropped
// with its reason, not retried at every wake-up.
func TestRollbackRequestNoLongerPossibleIsDropped(t *testing.T) {
	s := afterTwoReleases(t, nil)
	s.st.Releases[1].RollbackRequest = &RollbackRequest{Stage: "w9", By: "lead", Reason: "x", At: s.now}
	s.plan()
	if len(s.last.Deploys) != 0 || len(s.last.Decisions) != 1 || s.last.Decisions[0].What != "rollback-refused" ||
		s.last.Decisions[0].Reason != `stage "w9" is not in pipeline app: not found` {
		t.Fatalf("deploys %+v decisions %+v, want the request refused", s.last.Deploys, s.last.Decisions)
	}
	if r2 := s.st.Releases[1]; r2.RollbackRequest != nil || r2.Status != ReleaseSucceeded {
		t.Fatalf("release 2 after a refused request: %s, request %+v", r2.Status, r2.RollbackRequest)
	}
}
