package demo

import (
	"fmt"
	"maps"
	"slices"

	"github.com/wavegate/wavegate/pipeline"
)

// stageOrder is the demo pipeline's stages, in order.
func stageOrder() []string {
	return []string{"alpha", "beta", "gamma", approvalName, "wave-1", "wave-2", "wave-3"}
}

// narrate tells what changed between two saved states of the demo
// pipeline, one line per event, for the console and the story page.
func narrate(prev, cur pipeline.State) []string {
	var out []string
	for _, r := range cur.Releases {
		before := prev.Release(r.ID)
		if before == nil {
			out = append(out, fmt.Sprintf("Release %d (%s) is created from PR %s", r.ID, shortSHA(r.SHA), pullList(r.Pulls)))
			before = &pipeline.Release{}
		}
		for _, name := range stageOrder() {
			out = append(out, narrateStage(r.ID, name, before.Stages[name], r.Stages[name])...)
		}
		if r.Status != before.Status && r.Status != pipeline.ReleaseActive && r.Status != "" {
			switch r.Status {
			case pipeline.ReleaseSucceeded:
				out = append(out, fmt.Sprintf("Release %d is released: every wave is done", r.ID))
			default:
				out = append(out, fmt.Sprintf("Release %d %s: %s", r.ID, r.Status, r.Reason))
			}
		}
	}
	for _, stage := range slices.Sorted(maps.Keys(cur.Holds)) {
		if prev.Holds[stage] == nil {
			out = append(out, fmt.Sprintf("%s is held for newer releases: %s", stage, cur.Holds[stage].Reason))
		}
	}
	for _, stage := range slices.Sorted(maps.Keys(prev.Holds)) {
		if cur.Holds[stage] == nil {
			out = append(out, fmt.Sprintf("%s is no longer held", stage))
		}
	}
	return out
}

func narrateStage(id int64, name string, before, now *pipeline.StageRun) []string {
	if now == nil {
		return nil
	}
	var out []string
	if before == nil {
		before = &pipeline.StageRun{}
		out = append(out, fmt.Sprintf("Release %d enters %s", id, name))
	}
	if now.Decision != nil && before.Decision == nil {
		verb := "approved"
		if !now.Decision.Approved {
			verb = "rejected"
		}
		out = append(out, fmt.Sprintf("Release %d is %s at %s by %s", id, verb, name, now.Decision.By))
	}
	for _, target := range slices.Sorted(maps.Keys(now.Targets)) {
		was, is := pipeline.Phase(""), now.Targets[target].Phase
		var counted int64
		if t := before.Targets[target]; t != nil {
			was, counted = t.Phase, t.Datapoints.Count
		}
		if dp := now.Targets[target].Datapoints; dp.Min > 0 && dp.Count >= int64(dp.Min) && counted < int64(dp.Min) {
			out = append(out, fmt.Sprintf("Release %d counted %d data points on %s, of the %d its bake waits for", id, dp.Count, target, dp.Min))
		}
		if was == is {
			continue
		}
		switch is {
		case pipeline.PhaseOneboxBaking:
			out = append(out, fmt.Sprintf("Release %d bakes on one box of %s", id, target))
		case pipeline.PhaseRollbackDeploying:
			out = append(out, fmt.Sprintf("Release %d is being rolled back on %s", id, target))
		case pipeline.PhaseRolledBack:
			out = append(out, fmt.Sprintf("Release %d is rolled back on %s", id, target))
		case pipeline.PhaseRollbackFailed, pipeline.PhaseNothingToRollBack:
			out = append(out, fmt.Sprintf("Release %d on %s: %s", id, target, is))
		}
	}
	if now.Status != before.Status && now.Status != pipeline.StageActive && now.Status != "" {
		switch now.Status {
		case pipeline.StageSucceeded:
			out = append(out, fmt.Sprintf("Release %d finished %s", id, name))
		default:
			out = append(out, fmt.Sprintf("Release %d %s in %s: %s", id, now.Status, name, now.Reason))
		}
	}
	return out
}

func pullList(pulls []int) string {
	if len(pulls) == 0 {
		return "(none)"
	}
	s := ""
	for i, n := range pulls {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("#%d", n)
	}
	return s
}
