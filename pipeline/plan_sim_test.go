package pipeline

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/config"
)

var simStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// sim drives Plan the way the runner will: it performs each deploy effect
// with a scripted deployer, records results at their time, and moves the
// clock to the next result or wake-up. It never sleeps.
type sim struct {
	t       *testing.T
	p       Pipeline
	st      State
	now     time.Time
	in      Inputs
	log     []string
	pending []simResult
	// outcome scripts a step: its result and how long it takes; nil means
	// success after a minute. A zero duration result of "" never reports.
	outcome func(d DeployEffect) (string, time.Duration)
	last    Result
	// notices collects every notice Plan emitted.
	notices []Notice
}

type simResult struct {
	key, outcome string
	at           time.Time
}

func newSim(t *testing.T, p Pipeline) *sim {
	return &sim{t: t, p: p, now: simStart}
}

func (s *sim) at() string { return fmt.Sprintf("+%dm", int(s.now.Sub(simStart).Minutes())) }

func (s *sim) push(id int64, sha string, authors ...string) {
	s.t.Helper()
	if err := AddRelease(&s.st, Release{ID: id, SHA: sha, Authors: authors, CreatedAt: s.now}); err != nil {
		s.t.Fatal(err)
	}
	s.plan()
}

func (s *sim) plan() {
	s.t.Helper()
	before := cloneState(s.st)
	res := Plan(s.p, s.st, s.in, s.now)
	// Plan must not touch its input, and must be a fixed point.
	if fmt.Sprint(stateDigest(before)) != fmt.Sprint(stateDigest(s.st)) {
		s.t.Fatal("Plan modified the state it was given")
	}
	again := Plan(s.p, res.State, s.in, s.now)
	if len(again.Deploys) > 0 || len(again.Decisions) > 0 {
		s.t.Fatalf("Plan is not a fixed point at %s: %+v", s.at(), again.Decisions)
	}
	s.st, s.last = res.State, res
	s.notices = append(s.notices, res.Notices...)
	// Log in decision order; each decision that starts a deploy has its
	// effect, in the same order.
	deploys := res.Deploys
	for _, d := range res.Decisions {
		switch d.What {
		case string(PhaseOneboxDeploying), string(PhaseFullDeploying), string(PhaseRollbackDeploying):
			e := deploys[0]
			deploys = deploys[1:]
			s.log = append(s.log, fmt.Sprintf("%s %s %s %s r%d %s", s.at(), e.Step.Action, e.Target, e.Step.Variant, e.ReleaseID, e.Step.SHA))
			outcome, took := OutcomeSuccess, time.Minute
			if s.outcome != nil {
				outcome, took = s.outcome(e)
			}
			if outcome != "" {
				s.pending = append(s.pending, simResult{key: e.Step.Key, outcome: outcome, at: s.now.Add(took)})
			}
		case "superseded", "failed", "released", "rolled-back", string(PhaseNothingToRollBack), string(PhaseRollbackFailed):
			s.log = append(s.log, fmt.Sprintf("%s %s r%d %s%s", s.at(), d.What, d.ReleaseID, d.Stage, suffix(d.Target)))
		}
	}
	if len(deploys) != 0 {
		s.t.Fatalf("%d deploy effects without a decision", len(deploys))
	}
	s.checkOneReleasePerStage()
}

func suffix(target string) string {
	if target == "" {
		return ""
	}
	return "/" + target
}

// run moves time until nothing is pending and Plan asks to wake no more,
// or until the clock reaches until.
func (s *sim) run(until time.Duration) {
	s.t.Helper()
	for range 10000 {
		next := s.last.WakeAt
		for _, p := range s.pending {
			if next.IsZero() || p.at.Before(next) {
				next = p.at
			}
		}
		if next.IsZero() || next.After(simStart.Add(until)) {
			s.now = simStart.Add(until)
			return
		}
		s.now = next
		kept := s.pending[:0]
		for _, p := range s.pending {
			if p.at.Equal(s.now) {
				if _, err := RecordOutcome(&s.st, p.key, p.outcome, "scripted "+p.outcome, s.now); err != nil {
					s.t.Fatal(err)
				}
				continue
			}
			kept = append(kept, p)
		}
		s.pending = kept
		s.plan()
	}
	s.t.Fatal("the simulation did not settle")
}

func (s *sim) checkOneReleasePerStage() {
	for _, stage := range s.p.Stages {
		active := 0
		for _, r := range s.st.Releases {
			if run := r.Stages[stage.Name]; run != nil && run.Status == StageActive {
				active++
			}
		}
		if active > 1 {
			s.t.Fatalf("%s: %d releases active in %s at once", s.at(), active, stage.Name)
		}
	}
}

func (s *sim) wantLog(want ...string) {
	s.t.Helper()
	if got := strings.Join(s.log, "\n"); got != strings.Join(want, "\n") {
		s.t.Fatalf("log:\n%s\n\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	s.log = nil
}

// stateDigest renders a state for comparison.
func stateDigest(st State) []string {
	var out []string
	for _, r := range st.Releases {
		out = append(out, fmt.Sprintf("r%d %s %s", r.ID, r.Status, r.Reason))
		for name, run := range r.Stages {
			out = append(out, fmt.Sprintf(" r%d %s %s %v", r.ID, name, run.Status, run.Decision))
			for t, tr := range run.Targets {
				out = append(out, fmt.Sprintf("  r%d %s %s %s %+v", r.ID, name, t, tr.Phase, *tr.Step))
			}
		}
	}
	for t, inv := range st.Targets {
		out = append(out, fmt.Sprintf("inv %s %+v", t, *inv))
	}
	slices.Sort(out) // maps range in random order
	return out
}

func designPipeline(t *testing.T) Pipeline {
	t.Helper()
	data, err := os.ReadFile("testdata/design-example.yml")
	if err != nil {
		t.Fatal(err)
	}
	f, diags := config.Parse("design-example.yml", data)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ps, diags := Parse("design-example.yml", f.Pipelines)
	if diags.HasErrors() || len(ps) != 1 {
		t.Fatal(diags)
	}
	return ps[0]
}

func simplePipeline(stages ...Stage) Pipeline {
	return Pipeline{Name: "app", DeployTimeout: 30 * time.Minute, Stages: stages}
}

// plenty is a data-point source by which every bake has counted more than
// it needs.
type plenty struct{}

func (plenty) Datapoints(string) (DatapointCount, bool) {
	return DatapointCount{Value: 1e9, At: simStart}, true
}
