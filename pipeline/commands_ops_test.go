package pipeline

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	shaA = "abc1234def5678901234567890123456789abcde"
	shaB = "bbb2222def5678901234567890123456789abcde"
	shaC = "ccc3333def5678901234567890123456789abcde"
)

// threeReleases is a state with releases 3, 5 and 7; release 5 brought
// shaA besides its own head, release 7 is shaC.
func threeReleases(t *testing.T) State {
	t.Helper()
	var st State
	for _, r := range []Release{
		{ID: 3, SHA: "0003000000000000000000000000000000000000"},
		{ID: 5, SHA: "0005000000000000000000000000000000000000", Commits: []string{shaB, shaA}},
		{ID: 7, SHA: shaC},
	} {
		if err := AddRelease(&st, r); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestBlock(t *testing.T) {
	tests := []struct {
		name, sha, reason string
		prior             []CommitBlock
		wantErr           string
		wantFrom          int64
	}{
		{name: "a commit a release brought", sha: shaA[:7], reason: "leaks memory", wantFrom: 5},
		{name: "the full sha, upper case", sha: strings.ToUpper(shaA), reason: "leaks memory", wantFrom: 5},
		{name: "a release's own head", sha: shaC[:10], reason: "r", wantFrom: 7},
		{name: "the lowest release that has it", sha: "000", reason: "r", wantErr: "not a commit sha"},
		{name: "in no release yet", sha: "fedcba9", reason: "r", wantFrom: 0},
		{name: "too short", sha: "abc123", reason: "r", wantErr: `"abc123" is not a commit sha: give at least 7 hexadecimal characters`},
		{name: "not hex", sha: "abc123z", reason: "r", wantErr: "not a commit sha"},
		{name: "no reason", sha: shaA[:7], reason: "  ", wantErr: "blocking a commit needs --reason"},
		{name: "already blocked, shorter", sha: shaA[:8], reason: "r",
			prior:   []CommitBlock{{SHA: shaA, By: "ada", Reason: "bad migration"}},
			wantErr: "commit abc1234 is already blocked by @ada (bad migration); /deploy unblock abc1234 lifts it"},
		{name: "already blocked, longer", sha: shaA, reason: "r",
			prior:   []CommitBlock{{SHA: shaA[:7], By: "ada", Reason: "x"}},
			wantErr: "already blocked by @ada"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := threeReleases(t)
			st.Blocked = tc.prior
			err := Block(&st, tc.sha, "lin", tc.reason, simStart)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if len(st.Blocked) != len(tc.prior) {
					t.Fatalf("a refused block changed the state: %+v", st.Blocked)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := CommitBlock{SHA: strings.ToLower(tc.sha), By: "lin", Reason: tc.reason, At: simStart, FromRelease: tc.wantFrom}
			if got := st.Blocked[len(st.Blocked)-1]; got != want {
				t.Fatalf("block %+v, want %+v", got, want)
			}
		})
	}
}

func TestBlockKeepsAtMostMaxBlocked(t *testing.T) {
	var st State
	for i := range MaxBlocked {
		if err := Block(&st, fmt.Sprintf("%07x", i+1), "lin", "r", simStart); err != nil {
			t.Fatal(err)
		}
	}
	if err := Block(&st, "fffffff", "lin", "r", simStart); err == nil || !strings.Contains(err.Error(), "unblock some first") {
		t.Fatalf("block %d: %v", MaxBlocked+1, err)
	}
}

func TestUnblock(t *testing.T) {
	tests := []struct {
		name, sha string
		want      bool
		left      int
	}{
		{"the sha as blocked", shaA[:9], true, 1},
		{"a longer sha", shaA, true, 1},
		{"a shorter prefix", shaA[:7], true, 1},
		{"upper case", strings.ToUpper(shaA[:9]), true, 1},
		{"another commit", "abc1235", false, 2},
		{"not a sha", "abc", false, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := State{Blocked: []CommitBlock{{SHA: shaA[:9]}, {SHA: shaB}}}
			if got := Unblock(&st, tc.sha); got != tc.want || len(st.Blocked) != tc.left {
				t.Fatalf("Unblock = %v leaving %d, want %v leaving %d", got, len(st.Blocked), tc.want, tc.left)
			}
		})
	}
}

// A block waiting for a release that contains its commit starts at the
// first one added, and holds it and every later one.
func TestAddReleaseStartsAWaitingBlock(t *testing.T) {
	var st State
	if err := Block(&st, shaA[:7], "lin", "leaks memory", simStart); err != nil {
		t.Fatal(err)
	}
	if err := AddRelease(&st, Release{ID: 1, SHA: shaB}); err != nil {
		t.Fatal(err)
	}
	if st.Blocked[0].FromRelease != 0 {
		t.Fatalf("a release without the commit started the block: %+v", st.Blocked[0])
	}
	if err := AddRelease(&st, Release{ID: 2, SHA: shaC, Commits: []string{shaA}}); err != nil {
		t.Fatal(err)
	}
	if err := AddRelease(&st, Release{ID: 3, SHA: "ddd4444"}); err != nil {
		t.Fatal(err)
	}
	if st.Blocked[0].FromRelease != 2 {
		t.Fatalf("block %+v, want it from release 2", st.Blocked[0])
	}
	for _, tc := range []struct {
		id   int64
		held bool
	}{{1, false}, {2, true}, {3, true}} {
		bs := blockedCommits(&st, st.Release(tc.id))
		if got := len(bs) == 1; got != tc.held {
			t.Errorf("release %d held = %v, want %v", tc.id, got, tc.held)
		}
		if tc.held && bs[0].Reason != "commit abc1234 is blocked by @lin: leaks memory" {
			t.Errorf("reason %q", bs[0].Reason)
		}
	}
}

func TestAddReleaseKeepsTheNewestCommits(t *testing.T) {
	var st State
	commits := make([]string, MaxReleaseCommits+10)
	for i := range commits {
		commits[i] = fmt.Sprintf("%040x", i)
	}
	if err := AddRelease(&st, Release{ID: 1, SHA: shaA, Commits: commits}); err != nil {
		t.Fatal(err)
	}
	if got := st.Releases[0].Commits; len(got) != MaxReleaseCommits || got[0] != commits[10] {
		t.Fatalf("kept %d commits from %s", len(got), got[0])
	}
}

// A blocked commit holds a release already moving before its next deploy,
// and every later release; an override of blocked-commit for a later one
// (the fix-forward revert) lets that one go, taking the stage the blocked
// one waits in.
func TestBlockedCommitHoldsTheNextDeploy(t *testing.T) {
	s := newSim(t, simplePipeline(
		Stage{Name: "a", Targets: []string{"A"}, Bake: 10 * time.Minute},
		Stage{Name: "b", Targets: []string{"B"}, Bake: 0},
	))
	s.push(1, shaA)
	s.run(5 * time.Minute)
	if err := Block(&s.st, shaA[:7], "lin", "leaks memory", s.now); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.run(2 * time.Hour)
	s.wantLog("+0m deploy A full r1 " + shaA)
	want := []Held{{ReleaseID: 1, Stage: "b", Target: "B", Blockers: []Blocker{
		{Kind: BlockerBlockedCommit, Reason: "commit abc1234 is blocked by @lin: leaks memory"}}}}
	if !reflect.DeepEqual(s.st.Held, want) {
		t.Fatalf("held %+v, want %+v", s.st.Held, want)
	}
	// A later release still has the commit: held too, before its first deploy.
	if err := AddRelease(&s.st, Release{ID: 2, SHA: shaB, CreatedAt: s.now}); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.run(3 * time.Hour)
	s.wantLog()
	// Release 2 reverts it: overridden for release 2 alone.
	if err := AddOverride(&s.st, Override{ReleaseID: 2, Blocker: BlockerBlockedCommit, By: "lin", Reason: "reverts abc1234", At: s.now}); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.run(4 * time.Hour)
	// Release 1 holds stage b until release 2 is ready to take it.
	s.wantLog("+180m deploy A full r2 "+shaB, "+191m superseded r1 b", "+191m deploy B full r2 "+shaB, "+192m released r2 ")
	if r := s.st.Release(1); r.Reason != "superseded by release 2 in b, where commit abc1234 is blocked by @lin: leaks memory" {
		t.Fatalf("release 1: %s", r.Reason)
	}
}

func TestUnblockLetsTheReleaseGo(t *testing.T) {
	s := newSim(t, simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: 0}))
	if err := Block(&s.st, shaA[:7], "lin", "leaks memory", s.now); err != nil {
		t.Fatal(err)
	}
	s.push(1, shaA)
	if len(s.last.Deploys) != 0 || len(s.st.Held) != 1 {
		t.Fatalf("deploys %+v held %+v", s.last.Deploys, s.st.Held)
	}
	if !Unblock(&s.st, shaA) {
		t.Fatal("nothing unblocked")
	}
	s.plan()
	s.run(time.Hour)
	s.wantLog("+0m deploy A full r1 "+shaA, "+1m released r1 ")
}

func TestOverridden(t *testing.T) {
	at := simStart
	until := at.Add(time.Hour)
	o := Override{ReleaseID: 2, Blocker: BlockerAlarm, Stage: "b", At: at}
	tests := []struct {
		name      string
		o         Override
		release   int64
		kind      BlockerKind
		stage     string
		now       time.Time
		lifted    bool
		wantLapse time.Time
	}{
		{"for the release", o, 2, BlockerAlarm, "b", at, true, time.Time{}},
		{"another release", o, 3, BlockerAlarm, "b", at, false, time.Time{}},
		{"another blocker", o, 2, BlockerWindow, "b", at, false, time.Time{}},
		{"another stage", o, 2, BlockerAlarm, "c", at, false, time.Time{}},
		{"with a ttl, before it lapses", withUntil(o, until), 2, BlockerAlarm, "b", until.Add(-time.Second), true, until},
		{"with a ttl, when it lapses", withUntil(o, until), 2, BlockerAlarm, "b", until, false, time.Time{}},
		{"with a ttl, after", withUntil(o, until), 2, BlockerAlarm, "b", until.Add(time.Hour), false, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := State{Overrides: []Override{tc.o}}
			lifted, lapse := overridden(&st, tc.release, tc.kind, tc.stage, "t", tc.now)
			if lifted != tc.lifted || !lapse.Equal(tc.wantLapse) {
				t.Fatalf("overridden = %v, lapse %v; want %v, %v", lifted, lapse, tc.lifted, tc.wantLapse)
			}
		})
	}
	// A lasting override beside a lapsing one: nothing to wake for.
	st := State{Overrides: []Override{withUntil(o, until), o}}
	if lifted, lapse := overridden(&st, 2, BlockerAlarm, "b", "t", at); !lifted || !lapse.IsZero() {
		t.Fatalf("with a lasting override too: %v, %v", lifted, lapse)
	}
}

func withUntil(o Override, until time.Time) Override {
	o.Until = until
	return o
}

type alarmFiring struct{}

func (alarmFiring) Blockers(*Release, Stage, string, time.Time) []Blocker {
	return []Blocker{{Kind: BlockerAlarm, Reason: "fault-rate fires"}}
}

// An override with a ttl lifts its blocker until it lapses; the planner
// wakes then, so a deploy still held by another blocker says it is held by
// this one again, and one not yet started stays held.
func TestOverrideTTLLapses(t *testing.T) {
	s := newSim(t, simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: 0}))
	s.in.Blockers = alarmFiring{}
	if err := AddRelease(&s.st, Release{ID: 1, SHA: "s1", Unreviewed: []string{"d1 was pushed without review"}}); err != nil {
		t.Fatal(err)
	}
	until := s.now.Add(30 * time.Minute)
	if err := AddOverride(&s.st, Override{ReleaseID: 1, Blocker: BlockerAlarm, By: "lin", Reason: "flaky alarm", At: s.now, Until: until}); err != nil {
		t.Fatal(err)
	}
	s.plan()
	if got := s.st.Held[0].Blockers; len(got) != 1 || got[0].Kind != BlockerUnreviewed {
		t.Fatalf("held by %+v, want unreviewed alone while the alarm is overridden", got)
	}
	if !s.last.WakeAt.Equal(until) {
		t.Fatalf("wake at %v, want when the override lapses, %v", s.last.WakeAt, until)
	}
	s.run(time.Hour)
	if got := s.st.Held[0].Blockers; len(got) != 2 || got[1].Kind != BlockerAlarm {
		t.Fatalf("held by %+v after the override lapsed, want the alarm back", got)
	}
	// The unreviewed blocker overridden too: the alarm, no longer
	// overridden, still holds.
	if err := AddOverride(&s.st, Override{ReleaseID: 1, Blocker: BlockerUnreviewed, By: "lin", Reason: "reviewed in person", At: s.now}); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.run(2 * time.Hour)
	s.wantLog()
	if len(s.st.Held) != 1 || s.st.Held[0].Blockers[0].Kind != BlockerAlarm {
		t.Fatalf("held %+v, want the alarm", s.st.Held)
	}
}

func TestOverrideTTLLiftsARollbackHoldUntilItLapses(t *testing.T) {
	p := simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: 0})
	s := newSim(t, p)
	s.st.Holds = map[string]*Hold{"a": {ReleaseID: 1, Reason: "the deploy failed"}}
	if err := AddRelease(&s.st, Release{ID: 2, SHA: "s2"}); err != nil {
		t.Fatal(err)
	}
	if err := AddRelease(&s.st, Release{ID: 3, SHA: "s3"}); err != nil {
		t.Fatal(err)
	}
	// Release 3's override lapses before anything lets it in: it stays out.
	if err := AddOverride(&s.st, Override{ReleaseID: 3, Blocker: BlockerRollback, By: "lin", Reason: "fixed", At: s.now, Until: s.now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	s.now = s.now.Add(2 * time.Minute)
	s.plan()
	if len(s.last.Deploys) != 0 || len(s.st.Held) != 1 || s.st.Held[0].Blockers[0].Kind != BlockerRollback {
		t.Fatalf("deploys %+v held %+v, want held by the rollback", s.last.Deploys, s.st.Held)
	}
}

func TestAddOverrideTTL(t *testing.T) {
	st := State{Releases: []*Release{{ID: 1}}}
	o := Override{ReleaseID: 1, Blocker: BlockerAlarm, By: "lin", Reason: "r", At: simStart}
	if err := AddOverride(&st, withUntil(o, simStart)); err == nil || !strings.Contains(err.Error(), "positive --ttl") {
		t.Fatalf("an override lapsing when made: %v", err)
	}
	if err := AddOverride(&st, withUntil(o, simStart.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
}

// The organization's pause holds every deploy; only ResumeOrg lifts it,
// not a plain resume, and not the other way round.
func TestOrganizationPause(t *testing.T) {
	s := newSim(t, simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: 0}))
	if err := PauseOrg(&s.st, "owner", " "); err == nil {
		t.Fatal("an organization pause without a reason was accepted")
	}
	if err := PauseOrg(&s.st, "owner", "incident 7"); err != nil {
		t.Fatal(err)
	}
	if err := Pause(&s.st, "lead", "deploy freeze"); err != nil {
		t.Fatal(err)
	}
	s.push(1, "s1")
	want := []Blocker{
		{Kind: BlockerPaused, Reason: "paused for every repository of the organization by @owner: incident 7"},
		{Kind: BlockerPaused, Reason: "paused by @lead: deploy freeze"},
	}
	if len(s.st.Held) != 1 || !reflect.DeepEqual(s.st.Held[0].Blockers, want) {
		t.Fatalf("held %+v, want %+v", s.st.Held, want)
	}
	Resume(&s.st, "")
	s.plan()
	if len(s.last.Deploys) != 0 || len(s.st.Held) != 1 || !reflect.DeepEqual(s.st.Held[0].Blockers, want[:1]) {
		t.Fatalf("after a plain resume: deploys %+v held %+v, want held by the organization", s.last.Deploys, s.st.Held)
	}
	ResumeOrg(&s.st)
	s.plan()
	s.run(time.Hour)
	s.wantLog("+0m deploy A full r1 s1", "+1m released r1 ")
}

func TestAppliedRemembersTheLatestCommands(t *testing.T) {
	var st State
	if Applied(&st, "d1/0") {
		t.Fatal("an empty state has applied a command")
	}
	MarkApplied(&st, "d1/0")
	MarkApplied(&st, "d1/0")
	if !Applied(&st, "d1/0") || len(st.Applied) != 1 {
		t.Fatalf("applied %q", st.Applied)
	}
	for i := 1; i <= MaxApplied; i++ {
		MarkApplied(&st, fmt.Sprintf("d%d/0", i+1))
	}
	if len(st.Applied) != MaxApplied || Applied(&st, "d1/0") || !Applied(&st, "d2/0") || !Applied(&st, fmt.Sprintf("d%d/0", MaxApplied+1)) {
		t.Fatalf("kept %d, first %q", len(st.Applied), st.Applied[0])
	}
}

// Plan works on a copy: every field the commands set must survive it and
// a save as JSON, or a command would be forgotten (and applied again).
func TestCommandStateSurvivesPlanAndJSON(t *testing.T) {
	s := newSim(t, simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: 0}))
	if err := AddRelease(&s.st, Release{ID: 1, SHA: shaA, Commits: []string{shaB}}); err != nil {
		t.Fatal(err)
	}
	if err := Block(&s.st, shaB[:7], "lin", "r", s.now); err != nil {
		t.Fatal(err)
	}
	if err := PauseOrg(&s.st, "owner", "incident"); err != nil {
		t.Fatal(err)
	}
	if err := AddOverride(&s.st, Override{ReleaseID: 1, Blocker: BlockerAlarm, By: "lin", Reason: "r", At: s.now, Until: s.now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	MarkApplied(&s.st, "d1/0")
	s.plan()
	var back State
	if err := json.Unmarshal([]byte(mustJSON(t, s.st)), &back); err != nil {
		t.Fatal(err)
	}
	for _, st := range []State{s.st, back} {
		if !Applied(&st, "d1/0") || st.OrgPaused == "" || len(st.Blocked) != 1 || st.Blocked[0].FromRelease != 1 ||
			len(st.Overrides) != 1 || !st.Overrides[0].Until.Equal(s.now.Add(time.Hour)) ||
			len(st.Releases) != 1 || len(st.Releases[0].Commits) != 1 {
			t.Fatalf("state lost what commands set: %+v", st)
		}
	}
	// Plan's copy is deep: changing it leaves the given state alone.
	c := cloneState(s.st)
	c.Blocked[0].By, c.Applied[0], c.Releases[0].Commits[0] = "x", "x", "x"
	if s.st.Blocked[0].By != "lin" || s.st.Applied[0] != "d1/0" || s.st.Releases[0].Commits[0] != shaB {
		t.Fatal("cloneState shares the commands' slices")
	}
}

func TestApprovalAllowAuthors(t *testing.T) {
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprint("allow_authors ", allow), func(t *testing.T) {
			s := newSim(t, simplePipeline(
				Stage{Name: "ok", Approval: &Approval{Timeout: time.Hour, AllowAuthors: allow}},
				Stage{Name: "prod", Targets: []string{"Q"}, Bake: 0},
			))
			s.push(1, "s1", "author")
			err := Decide(s.p, &s.st, 1, "ok", true, "Author", "", false, s.now)
			if allow != (err == nil) {
				t.Fatalf("the author's approval: %v", err)
			}
			if err != nil && err.Error() != "@Author wrote part of release 1 and cannot approve it" {
				t.Fatalf("refusal %q", err)
			}
		})
	}
}

// A release that deployed in its stage before its commit was blocked keeps
// the stage: a newer one never deploys over half of it. Rolling it back or
// overriding the block for it is for people to choose.
func TestBlockedReleaseThatDeployedInItsStageKeepsIt(t *testing.T) {
	s := newSim(t, simplePipeline(Stage{Name: "a", Targets: []string{"A", "B"}, Bake: 10 * time.Minute}))
	s.push(1, shaA)
	s.run(5 * time.Minute)
	if err := Block(&s.st, shaA, "lin", "leaks memory", s.now); err != nil {
		t.Fatal(err)
	}
	if err := AddRelease(&s.st, Release{ID: 2, SHA: shaB, CreatedAt: s.now}); err != nil {
		t.Fatal(err)
	}
	if err := AddOverride(&s.st, Override{ReleaseID: 2, Blocker: BlockerBlockedCommit, By: "lin", Reason: "reverts it", At: s.now}); err != nil {
		t.Fatal(err)
	}
	s.plan()
	s.run(3 * time.Hour)
	s.wantLog("+0m deploy A full r1 " + shaA)
	if r := s.st.Release(1); r.Status != ReleaseActive || len(s.st.Held) != 1 || s.st.Held[0].Target != "B" {
		t.Fatalf("release 1 %s, held %+v; want it held before B", r.Status, s.st.Held)
	}
}

func TestPlannerReasonsNameTheCommand(t *testing.T) {
	if got := heldAfterRollback("b", &Hold{ReleaseID: 1, Reason: "x"}); !strings.HasSuffix(got, "; /deploy resume lifts it") {
		t.Fatalf("rollback hold: %q", got)
	}
}
