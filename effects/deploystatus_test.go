package effects

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/store"
)

type fakeEffects map[string]store.Effect

func (f fakeEffects) Effect(_ context.Context, key string) (store.Effect, error) {
	e, ok := f[key]
	if !ok {
		return store.Effect{}, store.ErrNotFound
	}
	return e, nil
}

func (f fakeEffects) NewerEffectPending(context.Context, string, int64) (bool, error) {
	return false, nil
}

// A status is set only on a deployment Wavegate created: a step never
// performed, or performed without creating one, has nothing to mark.
func TestDeploymentStatusWithoutADeploymentIsDone(t *testing.T) {
	payload, err := json.Marshal(deploymentStatusPayload{Repository: "Acme/API", Pipeline: "app", Step: "step-1",
		Target: "alpha", ReleaseSHA: "abc", State: "inactive"})
	if err != nil {
		t.Fatal(err)
	}
	// The deploy effect is found under its key, the repository in lower case.
	tests := map[string]fakeEffects{
		"never performed": {},
		"no result":       {"acme/api/app/step-1": {}},
		"no deployment":   {"acme/api/app/step-1": {Result: []byte(`{"deployment":0}`)}},
	}
	for name, effects := range tests {
		t.Run(name, func(t *testing.T) {
			d := &DeploymentStatuses{GitHub: noGitHub(t), Effects: effects}
			if _, err := d.Perform(t.Context(), store.Effect{Key: "k", Payload: payload}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A deployment Wavegate created is found by its step's key, whatever the
// repository name's case, and marked through the repository's client.
func TestDeploymentStatusFindsTheDeployment(t *testing.T) {
	payload, err := json.Marshal(deploymentStatusPayload{Repository: "Acme/API", Pipeline: "app", Step: "step-1", State: "inactive"})
	if err != nil {
		t.Fatal(err)
	}
	unavailable := errors.New("no client")
	var asked string
	d := &DeploymentStatuses{
		GitHub: func(_ context.Context, repo string) (*github.Client, error) {
			asked = repo
			return nil, unavailable
		},
		Effects: fakeEffects{"acme/api/app/step-1": {Result: []byte(`{"deployment":42}`)}},
	}
	if _, err := d.Perform(t.Context(), store.Effect{Key: "k", Payload: payload}); !errors.Is(err, unavailable) || asked != "Acme/API" {
		t.Fatalf("err %v, client asked for %q: want the deployment found and its repository's client asked", err, asked)
	}
}
