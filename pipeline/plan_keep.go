package pipeline

import "slices"

// What a state keeps: what is in flight and the few latest finished
// releases, so that a pipeline's state, and each wake-up's cost, stays
// bounded by what is in flight rather than growing with history.

// KeptFinished is how many finished releases a state keeps (newest first),
// for reports and commands that name a recent release; older ones are
// dropped, so a pipeline's state, and each wake-up's cost, stays bounded by
// what is in flight.
const KeptFinished = 5

// finished reports whether the planner has nothing left to do for r.
func finished(r *Release) bool {
	if r.RollbackRequest != nil {
		return false
	}
	switch r.Status {
	case ReleaseSucceeded, ReleaseSuperseded:
		return true
	case ReleaseFailed:
		for _, run := range r.Stages {
			for _, tr := range run.Targets {
				if rollbackUnderway(tr.Phase) {
					return false
				}
			}
		}
		return true
	}
	return false
}

func (pl *planner) dropFinished() {
	var kept []*Release
	n := 0
	for i := len(pl.st.Releases) - 1; i >= 0; i-- {
		r := pl.st.Releases[i]
		if finished(r) {
			if n++; n > KeptFinished {
				continue
			}
		}
		kept = append(kept, r)
	}
	slices.Reverse(kept)
	pl.st.Releases = kept
	pl.st.Overrides = slices.DeleteFunc(pl.st.Overrides, func(o Override) bool {
		return !slices.ContainsFunc(kept, func(r *Release) bool { return r.ID == o.ReleaseID })
	})
}

// dropUnusedConfigs forgets configurations no release refers to any more.
func (pl *planner) dropUnusedConfigs() {
	for hash := range pl.st.Configs {
		if !slices.ContainsFunc(pl.st.Releases, func(r *Release) bool { return r.Config == hash }) {
			delete(pl.st.Configs, hash)
		}
	}
}
