package alarms

import (
	"sync"

	"github.com/wavegate/wavegate/pipeline"
)

// WatchesOf lists the targets of one pipeline whose queries must be
// evaluated, given its state: each target that deploys or bakes (with its
// step), each target of an active stage yet to start, and each target of
// the stage a release enters next (so that an alarm there holds the
// deploy before it starts, and is seen to clear). A pipeline without
// queries, compare entries or counted data points has none.
func WatchesOf(key pipeline.Key, p pipeline.Pipeline, st pipeline.State) []Watch {
	if !Evaluates(p) {
		return nil
	}
	seen := map[string]bool{}
	var out []Watch
	add := func(w Watch) {
		if !seen[w.Target] {
			seen[w.Target] = true
			out = append(out, w)
		}
	}
	for _, r := range st.Releases {
		if r.Status != pipeline.ReleaseActive {
			continue
		}
		rp := st.PipelineOf(r, p)
		for i, stage := range rp.Stages {
			run := r.Stages[stage.Name]
			if run == nil {
				if entersNext(r, rp, i) {
					for _, t := range stage.Targets {
						add(watch(key, p, stage, t, r, nil))
					}
				}
				continue
			}
			if run.Status != pipeline.StageActive {
				continue
			}
			for _, t := range stage.Targets {
				tr := run.Targets[t]
				switch {
				case tr == nil:
					add(watch(key, p, stage, t, r, nil))
				case watched(tr.Phase) && tr.Step != nil:
					add(watch(key, p, stage, t, r, tr.Step))
				}
			}
		}
	}
	return out
}

// Evaluates says whether p has anything Prometheus answers.
func Evaluates(p pipeline.Pipeline) bool {
	if p.Alarms != nil && (len(p.Alarms.Queries) > 0 || len(p.Alarms.Compare) > 0) {
		return true
	}
	if p.Datapoints == "" {
		return false
	}
	for _, s := range p.Stages {
		if s.MinDatapoints > 0 {
			return true
		}
	}
	return false
}

// entersNext says whether stage i is the one r enters next: the stage
// before it (if any) is active or done, and r has not reached it.
func entersNext(r *pipeline.Release, p pipeline.Pipeline, i int) bool {
	if i == 0 {
		return true
	}
	prev := r.Stages[p.Stages[i-1].Name]
	return prev != nil && (prev.Status == pipeline.StageActive || prev.Status == pipeline.StageSucceeded)
}

func watched(ph pipeline.Phase) bool {
	switch ph {
	case pipeline.PhaseOneboxDeploying, pipeline.PhaseOneboxBaking, pipeline.PhaseFullDeploying, pipeline.PhaseFullBaking:
		return true
	}
	return false
}

func watch(key pipeline.Key, p pipeline.Pipeline, stage pipeline.Stage, target string, r *pipeline.Release, step *pipeline.Step) Watch {
	w := Watch{Key: key, Alarms: p.Alarms, Org: p.OrgAlarms, Stage: stage.Name, Target: target, SHA: r.SHA}
	if step != nil {
		w.Variant, w.StepKey, w.DeployStartedAt, w.SHA = step.Variant, step.Key, step.StartedAt, step.SHA
		if step.Outcome == pipeline.OutcomeSuccess {
			w.DeployFinishedAt = step.FinishedAt
		}
		if stage.MinDatapoints > 0 {
			w.Datapoints = p.Datapoints
		}
	}
	return w
}

// Watchlist keeps each pipeline's watches and hands the evaluator the
// union whenever one pipeline's change. Safe for concurrent use.
type Watchlist struct {
	mu       sync.Mutex
	by       map[pipeline.Key][]Watch
	versions map[pipeline.Key]int64
	eval     *Evaluator
}

// NewWatchlist keeps the watches of eval.
func NewWatchlist(eval *Evaluator) *Watchlist {
	return &Watchlist{by: map[pipeline.Key][]Watch{}, versions: map[pipeline.Key]int64{}, eval: eval}
}

// Set replaces key's watches with those of the state saved at version; an
// older version than one already seen changes nothing, since the hooks
// that call Set may run out of order.
func (l *Watchlist) Set(key pipeline.Key, ws []Watch, version int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if version < l.versions[key] {
		return
	}
	l.versions[key] = version
	if len(ws) == 0 && len(l.by[key]) == 0 {
		return
	}
	if len(ws) == 0 {
		delete(l.by, key)
	} else {
		l.by[key] = ws
	}
	var all []Watch
	for _, w := range l.by {
		all = append(all, w...)
	}
	l.eval.SetWatches(all)
}

// Watched reports whether key's target is watched now.
func (l *Watchlist) Watched(key pipeline.Key, target string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range l.by[key] {
		if w.Target == target {
			return true
		}
	}
	return false
}

// Get returns the watch of key's target, if watched.
func (l *Watchlist) Get(key pipeline.Key, target string) (Watch, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range l.by[key] {
		if w.Target == target {
			return w, true
		}
	}
	return Watch{}, false
}
