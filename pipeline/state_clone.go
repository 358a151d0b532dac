package pipeline

import (
	"maps"
	"slices"
)

// cloneState deep-copies st, so Plan never changes what it was given. It
// leaves out Held, which Plan computes anew.
func cloneState(st State) State {
	out := State{Paused: st.Paused, OrgPaused: st.OrgPaused, Overrides: slices.Clone(st.Overrides),
		Blocked: slices.Clone(st.Blocked), Applied: slices.Clone(st.Applied),
		Targets: make(map[string]*Inventory, len(st.Targets)), Holds: make(map[string]*Hold, len(st.Holds)),
		Configs: maps.Clone(st.Configs)}
	for k, v := range st.Targets {
		c := *v
		out.Targets[k] = &c
	}
	for k, v := range st.Holds {
		c := *v
		out.Holds[k] = &c
	}
	for _, r := range st.Releases {
		c := *r
		c.Authors, c.Pulls, c.Unreviewed = slices.Clone(r.Authors), slices.Clone(r.Pulls), slices.Clone(r.Unreviewed)
		c.Commits = slices.Clone(r.Commits)
		if r.RollbackRequest != nil {
			q := *r.RollbackRequest
			c.RollbackRequest = &q
		}
		c.Stages = make(map[string]*StageRun, len(r.Stages))
		for name, run := range r.Stages {
			rc := *run
			if run.Decision != nil {
				d := *run.Decision
				rc.Decision = &d
			}
			rc.Targets = make(map[string]*TargetRun, len(run.Targets))
			for t, tr := range run.Targets {
				tc := *tr
				tc.Step, tc.Undone = cloneStep(tr.Step), cloneStep(tr.Undone)
				rc.Targets[t] = &tc
			}
			c.Stages[name] = &rc
		}
		out.Releases = append(out.Releases, &c)
	}
	return out
}

func cloneStep(s *Step) *Step {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}
