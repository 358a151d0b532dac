package demo

import (
	"slices"
	"testing"

	"github.com/wavegate/wavegate/pipeline"
)

func TestNarrate(t *testing.T) {
	rel := func(status pipeline.ReleaseStatus, stages map[string]*pipeline.StageRun) *pipeline.Release {
		return &pipeline.Release{ID: 3, SHA: "7e91980002b6", Pulls: []int{3}, Status: status, Reason: "alarm HighErrorRate", Stages: stages}
	}
	active := func(targets map[string]pipeline.Phase) *pipeline.StageRun {
		run := &pipeline.StageRun{Status: pipeline.StageActive, Targets: map[string]*pipeline.TargetRun{}}
		for name, ph := range targets {
			run.Targets[name] = &pipeline.TargetRun{Phase: ph}
		}
		return run
	}
	state := func(holds map[string]*pipeline.Hold, rs ...*pipeline.Release) pipeline.State {
		return pipeline.State{Releases: rs, Holds: holds}
	}
	approved := &pipeline.StageRun{Status: pipeline.StageSucceeded, Decision: &pipeline.ApprovalDecision{Approved: true, By: "you"}}
	failed := active(map[string]pipeline.Phase{alarmTarget: pipeline.PhaseRollbackDeploying})
	failed.Status, failed.Reason = pipeline.StageFailed, "alarm HighErrorRate"
	counting := func(n int64) *pipeline.StageRun {
		run := active(map[string]pipeline.Phase{alarmTarget: pipeline.PhaseFullBaking})
		run.Targets[alarmTarget].Datapoints = pipeline.DatapointProgress{Count: n, Min: 3000}
		return run
	}
	hold := map[string]*pipeline.Hold{alarmStage: {ReleaseID: 3, Reason: "alarm HighErrorRate"}}

	for _, tt := range []struct {
		name      string
		prev, cur pipeline.State
		want      []string
	}{
		{"nothing changed", state(nil, rel(pipeline.ReleaseActive, nil)), state(nil, rel(pipeline.ReleaseActive, nil)), nil},
		{"a new release enters its first stage",
			state(nil),
			state(nil, rel(pipeline.ReleaseActive, map[string]*pipeline.StageRun{"alpha": active(nil)})),
			[]string{"Release 3 (7e91980) is created from PR #3", "Release 3 enters alpha"}},
		{"approved on the page",
			state(nil, rel(pipeline.ReleaseActive, map[string]*pipeline.StageRun{approvalName: active(nil)})),
			state(nil, rel(pipeline.ReleaseActive, map[string]*pipeline.StageRun{approvalName: approved, "wave-1": active(nil)})),
			[]string{"Release 3 is approved at release-approval by you", "Release 3 finished release-approval", "Release 3 enters wave-1"}},
		{"one box bakes",
			state(nil, rel(pipeline.ReleaseActive, map[string]*pipeline.StageRun{"wave-1": active(map[string]pipeline.Phase{alarmTarget: pipeline.PhaseOneboxDeploying})})),
			state(nil, rel(pipeline.ReleaseActive, map[string]*pipeline.StageRun{"wave-1": active(map[string]pipeline.Phase{alarmTarget: pipeline.PhaseOneboxBaking})})),
			[]string{"Release 3 bakes on one box of prod-us-west-2a"}},
		{"an alarm fails the release and holds the stage",
			state(nil, rel(pipeline.ReleaseActive, map[string]*pipeline.StageRun{"wave-1": active(map[string]pipeline.Phase{alarmTarget: pipeline.PhaseOneboxBaking})})),
			state(hold, rel(pipeline.ReleaseFailed, map[string]*pipeline.StageRun{"wave-1": failed})),
			[]string{"Release 3 is being rolled back on prod-us-west-2a", "Release 3 failed in wave-1: alarm HighErrorRate",
				"Release 3 failed: alarm HighErrorRate", "wave-1 is held for newer releases: alarm HighErrorRate"}},
		{"resumed", state(hold), state(nil), []string{"wave-1 is no longer held"}},
		{"enough data points",
			state(nil, rel(pipeline.ReleaseActive, map[string]*pipeline.StageRun{"wave-1": counting(2999)})),
			state(nil, rel(pipeline.ReleaseActive, map[string]*pipeline.StageRun{"wave-1": counting(3120)})),
			[]string{"Release 3 counted 3120 data points on prod-us-west-2a, of the 3000 its bake waits for"}},
		{"more data points are no news",
			state(nil, rel(pipeline.ReleaseActive, map[string]*pipeline.StageRun{"wave-1": counting(3120)})),
			state(nil, rel(pipeline.ReleaseActive, map[string]*pipeline.StageRun{"wave-1": counting(3600)})), nil},
		{"released",
			state(nil, rel(pipeline.ReleaseActive, nil)), state(nil, rel(pipeline.ReleaseSucceeded, nil)),
			[]string{"Release 3 is released: every wave is done"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := narrate(tt.prev, tt.cur); !slices.Equal(got, tt.want) {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
