package effects

import (
	"strings"
	"testing"

	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
)

func TestDeployActions(t *testing.T) {
	running := func(phase pipeline.Phase) (pipeline.State, *pipeline.Release) {
		r := &pipeline.Release{ID: 1, SHA: "abc", Stages: map[string]*pipeline.StageRun{
			"alpha": {Targets: map[string]*pipeline.TargetRun{"alpha": {Phase: phase}}},
		}}
		return pipeline.State{Releases: []*pipeline.Release{r}, Targets: map[string]*pipeline.Inventory{"alpha": {Running: "abc"}}}, r
	}
	tests := []struct {
		name   string
		phase  pipeline.Phase
		paused string
		view   notify.ReleaseView
		want   string
	}{
		{"waiting for approval, not yet deployed", pipeline.PhaseRolledBack, "",
			notify.ReleaseView{Status: "in progress", Stages: []notify.StageView{{Name: "release-approval", Status: "approval"}}},
			"approve,pause"},
		{"baking", pipeline.PhaseFullBaking, "", notify.ReleaseView{Status: "in progress"}, "pause,rollback"},
		{"paused while baking", pipeline.PhaseFullBaking, "ada", notify.ReleaseView{Status: "in progress"}, "resume,rollback"},
		{"released and running", pipeline.PhaseDone, "", notify.ReleaseView{Status: "released"}, "rollback"},
		{"failed", pipeline.PhaseDone, "", notify.ReleaseView{Status: "failed"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, r := running(tt.phase)
			st.Paused = tt.paused
			var ids []string
			for _, a := range deployActions(st, r, tt.view) {
				ids = append(ids, a.Identifier)
			}
			if got := strings.Join(ids, ","); got != tt.want {
				t.Fatalf("buttons %q, want %q", got, tt.want)
			}
		})
	}
}
