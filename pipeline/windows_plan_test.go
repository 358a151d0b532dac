package pipeline

import (
	"testing"
	"time"
)

// The planner and the pipeline's windows: simStart is Monday 2026-11-23
// 09:00 UTC, 01:00 in Los Angeles.

// utcWindows builds windows in UTC from allow entries and freezes
// (from, to, reason).
func utcWindows(t *testing.T, allow []string, freezes ...[3]string) *Windows {
	t.Helper()
	ws := &Windows{TimeZone: "UTC", loc: time.UTC}
	for _, s := range allow {
		w, err := ParseWindow(s)
		if err != nil {
			t.Fatal(err)
		}
		ws.Allow = append(ws.Allow, w)
	}
	for _, f := range freezes {
		from, err := ParseFreezeTime(f[0], time.UTC, false)
		if err != nil {
			t.Fatal(err)
		}
		to, err := ParseFreezeTime(f[1], time.UTC, true)
		if err != nil {
			t.Fatal(err)
		}
		ws.Freezes = append(ws.Freezes, Freeze{From: from, To: to, Reason: f[2]})
	}
	return ws
}

func prodPipeline(ws *Windows, targets ...string) Pipeline {
	p := simplePipeline(Stage{Name: "prod", Targets: targets, Bake: 0, Production: true})
	p.Windows = ws
	return p
}

// DESIGN.md's pipeline with its windows (Mon-Thu 09:00-17:00, Fri
// 09:00-12:00 Los Angeles): pre-production deploys at 01:00; the waves wait
// for 09:00 and start to the minute; a deploy started before 17:00
// finishes and bakes past it, and the next waits for the next morning.
func TestDesignWindowsHoldTheWaves(t *testing.T) {
	s := newSim(t, designPipeline(t))
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
	if err := Decide(s.p, &s.st, 1, "", true, "lead", "", false, s.now); err != nil {
		t.Fatal(err)
	}
	s.plan()
	opens := time.Date(2026, 11, 23, 9, 0, 0, 0, la)
	if len(s.last.Held) != 1 || s.last.Held[0].Target != "prod-us-west-2a" {
		t.Fatalf("held %+v, want prod-us-west-2a", s.last.Held)
	}
	b := s.last.Held[0].Blockers
	if len(b) != 1 || b[0].Kind != BlockerWindow || !b[0].Until.Equal(opens) ||
		b[0].Reason != "outside the deploy windows (Mon-Thu 09:00-17:00, Fri 09:00-12:00 America/Los_Angeles); opens Mon Nov 23 09:00 PST" {
		t.Fatalf("blockers %+v", b)
	}
	if !s.last.WakeAt.Equal(opens) {
		t.Fatalf("wakes at %v, want exactly when the window opens, %v", s.last.WakeAt, opens)
	}
	s.run(34 * time.Hour)
	s.wantLog(
		"+480m deploy prod-us-west-2a onebox r1 sha1",
		"+541m deploy prod-us-west-2a full r1 sha1",
		"+602m deploy prod-us-west-2b onebox r1 sha1",
		"+663m deploy prod-us-west-2b full r1 sha1",
		"+724m deploy prod-us-west-2c onebox r1 sha1",
		"+785m deploy prod-us-west-2c full r1 sha1",
		"+846m deploy prod-us-east-1a onebox r1 sha1",
		// 16:07: it bakes until 17:08, past the window's close.
		"+907m deploy prod-us-east-1a full r1 sha1",
		// Tuesday 09:00.
		"+1920m deploy prod-us-east-1b onebox r1 sha1",
		"+1981m deploy prod-us-east-1b full r1 sha1",
	)
	tr := s.st.Releases[0].Stages["wave-2"].Targets["prod-us-east-1a"]
	if closes := time.Date(2026, 11, 23, 17, 0, 0, 0, la); tr.Phase != PhaseDone || !tr.BakeUntil.After(closes) {
		t.Fatalf("prod-us-east-1a is %s, baked until %v: its bake must end past %v", tr.Phase, tr.BakeUntil, closes)
	}
}

// A freeze's end wakes the runner, to the minute, and the deploy starts.
func TestFreezeEndStartsTheDeploy(t *testing.T) {
	s := newSim(t, prodPipeline(utcWindows(t, nil, [3]string{"2026-11-23", "2026-11-23", "Launch day"}), "P"))
	s.push(1, "s1")
	end := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	if b := s.last.Held[0].Blockers; len(b) != 1 || b[0].Kind != BlockerFreeze || !b[0].Until.Equal(end) ||
		b[0].Reason != "Launch day, until Tue Nov 24 00:00 UTC" {
		t.Fatalf("held by %+v", b)
	}
	if !s.last.WakeAt.Equal(end) {
		t.Fatalf("wakes at %v, want %v", s.last.WakeAt, end)
	}
	s.run(24 * time.Hour)
	s.wantLog("+900m deploy P full r1 s1", "+901m released r1 ")
}

// A freeze starting while a deploy is in flight does not stop it: only the
// start of a deploy is held. The next target waits.
func TestFreezeStartingMidDeployLetsItFinish(t *testing.T) {
	ws := utcWindows(t, nil)
	ws.Freezes = []Freeze{{From: simStart.Add(30 * time.Second), To: simStart.Add(2 * time.Hour), Reason: "Incident"}}
	s := newSim(t, prodPipeline(ws, "P", "Q"))
	s.push(1, "s1")
	s.run(3 * time.Hour)
	s.wantLog("+0m deploy P full r1 s1", "+120m deploy Q full r1 s1", "+121m released r1 ")
}

// /deploy override window lifts the window for that release only.
func TestOverrideWindowLiftsOneRelease(t *testing.T) {
	s := newSim(t, prodPipeline(utcWindows(t, []string{"Sat"}), "P"))
	if err := AddRelease(&s.st, Release{ID: 1, SHA: "s1"}); err != nil {
		t.Fatal(err)
	}
	if err := AddOverride(&s.st, Override{ReleaseID: 1, Blocker: BlockerWindow, By: "lin", Reason: "hotfix", At: s.now}); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.run(10 * time.Minute)
	s.push(2, "s2")
	s.run(20 * time.Minute)
	s.wantLog("+0m deploy P full r1 s1", "+1m released r1 ")
	sat := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	if len(s.last.Held) != 1 || s.last.Held[0].ReleaseID != 2 || s.last.Held[0].Blockers[0].Kind != BlockerWindow || !s.last.WakeAt.Equal(sat) {
		t.Fatalf("held %+v, wake %v: release 2 must wait for Saturday", s.last.Held, s.last.WakeAt)
	}
}

// Overriding the freeze leaves the window, which then says when it
// opens, not when the freeze would have ended.
func TestOverrideFreezeLeavesTheWindow(t *testing.T) {
	s := newSim(t, prodPipeline(utcWindows(t, []string{"Mon-Fri 10:00-16:00"}, [3]string{"2026-11-23", "2026-11-27", "Freeze"}), "P"))
	if err := AddRelease(&s.st, Release{ID: 1, SHA: "s1"}); err != nil {
		t.Fatal(err)
	}
	if err := AddOverride(&s.st, Override{ReleaseID: 1, Blocker: BlockerFreeze, By: "lin", Reason: "security fix", At: s.now}); err != nil {
		t.Fatal(err)
	}
	s.plan()
	ten := simStart.Add(time.Hour)
	if b := s.last.Held[0].Blockers; len(b) != 1 || b[0].Kind != BlockerWindow || !b[0].Until.Equal(ten) {
		t.Fatalf("held by %+v, want the window until %v", b, ten)
	}
	s.run(2 * time.Hour)
	s.wantLog("+60m deploy P full r1 s1", "+61m released r1 ")
}

// A freeze added after a release was made holds it: the windows in force
// apply, not those the release travels with.
func TestFreezeInForceHoldsAnOlderRelease(t *testing.T) {
	old := prodPipeline(nil, "P")
	s := newSim(t, prodPipeline(utcWindows(t, nil, [3]string{"2026-11-23", "2026-11-24", "Freeze"}), "P"))
	if err := AddReleaseWithConfig(&s.st, Release{ID: 1, SHA: "s1"}, old); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.wantLog()
	if len(s.last.Held) != 1 || s.last.Held[0].Blockers[0].Kind != BlockerFreeze {
		t.Fatalf("held %+v, want the freeze", s.last.Held)
	}
}

// Windows hold the production stages by default; windows.stages names
// others, and a stage it does not name deploys at any time.
func TestWindowsApplyToTheirStages(t *testing.T) {
	closed := utcWindows(t, []string{"Sat"})
	p := simplePipeline(
		Stage{Name: "beta", Targets: []string{"B"}, Bake: 0},
		Stage{Name: "prod", Targets: []string{"P"}, Bake: 0, Production: true},
	)
	p.Windows = closed
	s := newSim(t, p)
	s.push(1, "s1")
	s.run(time.Hour)
	s.wantLog("+0m deploy B full r1 s1")

	named := *closed
	named.Stages = []string{"beta"}
	p.Windows = &named
	s = newSim(t, p)
	s.push(1, "s1")
	s.run(time.Hour)
	s.wantLog()
	if s.last.Held[0].Stage != "beta" {
		t.Fatalf("held %+v, want beta", s.last.Held)
	}
}

// A rollback is never held by a window: it undoes harm.
func TestRollbackIgnoresWindows(t *testing.T) {
	s := newSim(t, prodPipeline(utcWindows(t, []string{"Mon 09:00-09:10"}), "A", "B"))
	s.st.Targets = map[string]*Inventory{"A": {Running: "s0", LastGood: "s0"}, "B": {Running: "s0", LastGood: "s0"}}
	s.outcome = func(d DeployEffect) (string, time.Duration) {
		if d.Target == "B" && d.Step.Action == ActionDeploy {
			return OutcomeFailed, 20 * time.Minute
		}
		return OutcomeSuccess, time.Minute
	}
	s.push(1, "s1")
	s.run(2 * time.Hour)
	s.wantLog(
		"+0m deploy A full r1 s1",
		"+1m deploy B full r1 s1",
		"+21m failed r1 prod",
		"+21m rollback A full r1 s0",
		"+21m rollback B full r1 s0",
		"+22m rolled-back r1 prod/A",
		"+22m rolled-back r1 prod/B",
	)
}
