package effects

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/deploy"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// stepState is a state whose one target waits for the result of step key.
func stepState(key string) *pipeline.State {
	return &pipeline.State{Releases: []*pipeline.Release{{ID: 1, Stages: map[string]*pipeline.StageRun{
		"alpha": {Targets: map[string]*pipeline.TargetRun{"alpha": {Step: &pipeline.Step{Key: key}}}},
	}}}}
}

// fakeRunner applies operations to one state, recording the order of calls.
type fakeRunner struct {
	st    *pipeline.State
	calls *[]string
}

func (f fakeRunner) Apply(_ context.Context, _ pipeline.Key, op func(pipeline.Pipeline, *pipeline.State) error) (pipeline.Result, error) {
	*f.calls = append(*f.calls, "apply")
	return pipeline.Result{}, op(pipeline.Pipeline{}, f.st)
}

type fakeResults struct{ calls *[]string }

func (f fakeResults) SetEffectResult(context.Context, int64, []byte) error {
	*f.calls = append(*f.calls, "set-result")
	return nil
}

func noGitHub(t *testing.T) GitHubSource {
	return func(context.Context, string) (*github.Client, error) {
		t.Error("a deploy that needs no GitHub asked for a client")
		return nil, errors.New("no GitHub in this test")
	}
}

func deployEffect(t *testing.T, d pipeline.Deployer, result []byte) store.Effect {
	t.Helper()
	payload, err := json.Marshal(deployPayload{Repository: "acme/api", Deployer: d, Effect: pipeline.DeployEffect{
		ReleaseID: 1, Pipeline: "app", Stage: "alpha", Target: "alpha",
		Step: pipeline.Step{Key: "step-1", Action: pipeline.ActionDeploy, Variant: pipeline.VariantFull, SHA: "abc"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return store.Effect{Seq: 7, Key: "acme/api/app/step-1", Kind: KindDeploy, Payload: payload, Result: result, Attempts: 1}
}

// A step whose deployer cannot run fails with a reason that says what to
// do, recorded before it is applied, like any command result.
func TestDeployThatCannotRunFailsWithItsReason(t *testing.T) {
	tests := []struct {
		name     string
		deployer pipeline.Deployer
		want     string
		recorded bool
	}{
		{"argv from the repository", pipeline.Deployer{Kind: pipeline.DeployerCommand},
			"the operator defines deployers in Wavegate's config file", true},
		{"unknown name", pipeline.Deployer{Kind: pipeline.DeployerCommand, Name: "ship"},
			`defines no deployer "ship"`, true},
		{"workflow", pipeline.Deployer{Kind: pipeline.DeployerWorkflow}, "is not available yet", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			st := stepState("step-1")
			d := &Deploys{GitHub: noGitHub(t), Results: fakeResults{&calls}, Runner: fakeRunner{st, &calls},
				Clock: clock.NewFake(time.Unix(1e9, 0))}
			if _, err := d.Perform(t.Context(), deployEffect(t, tt.deployer, nil)); err != nil {
				t.Fatal(err)
			}
			step := st.Releases[0].Stages["alpha"].Targets["alpha"].Step
			if step.Outcome != pipeline.OutcomeFailed || !strings.Contains(step.Reason, tt.want) {
				t.Fatalf("step %+v, want failed with %q", step, tt.want)
			}
			want := "apply"
			if tt.recorded {
				want = "set-result,apply"
			}
			if got := strings.Join(calls, ","); got != want {
				t.Fatalf("calls %s, want %s", got, want)
			}
		})
	}
}

// A command result recorded before a crash is applied, not run again: the
// deployer it names is gone, so running it would fail the step.
func TestRecordedCommandResultIsAppliedNotRerun(t *testing.T) {
	var calls []string
	st := stepState("step-1")
	d := &Deploys{GitHub: noGitHub(t), Results: fakeResults{&calls}, Runner: fakeRunner{st, &calls},
		Clock: clock.NewFake(time.Unix(1e9, 0))}
	result, err := json.Marshal(commandResult{Outcome: deploy.Succeeded, Reason: "exit 0"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Perform(t.Context(), deployEffect(t, pipeline.Deployer{Kind: pipeline.DeployerCommand, Name: "gone"}, result))
	if err != nil {
		t.Fatal(err)
	}
	if step := st.Releases[0].Stages["alpha"].Targets["alpha"].Step; step.Outcome != pipeline.OutcomeSuccess {
		t.Fatalf("step %+v, want the recorded success", step)
	}
	if string(got) != string(result) || strings.Join(calls, ",") != "apply" {
		t.Fatalf("result %s, calls %v", got, calls)
	}
}

// A step the engine no longer tracks is done, not retried for ever.
func TestDeployOfAnUntrackedStepIsDone(t *testing.T) {
	var calls []string
	d := &Deploys{GitHub: noGitHub(t), Results: fakeResults{&calls}, Runner: fakeRunner{&pipeline.State{}, &calls},
		Clock: clock.NewFake(time.Unix(1e9, 0))}
	if _, err := d.Perform(t.Context(), deployEffect(t, pipeline.Deployer{Kind: pipeline.DeployerWorkflow}, nil)); err != nil {
		t.Fatalf("untracked step: %v", err)
	}
}
