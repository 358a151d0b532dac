package effects

import (
	"context"
	"testing"

	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

type effectMap map[string]store.Effect

func (m effectMap) Effect(_ context.Context, key string) (store.Effect, error) {
	if e, ok := m[key]; ok {
		return e, nil
	}
	return store.Effect{}, store.ErrNotFound
}

func TestStepOutput(t *testing.T) {
	key := pipeline.Key{Repository: "Acme/API", Pipeline: "app"}
	effects := effectMap{
		"acme/api/app/cmd":    {Kind: KindDeploy, Result: []byte(`{"outcome":"succeeded","reason":"","output":"rolled 3 pods\n"}`)},
		"acme/api/app/github": {Kind: KindDeploy, Result: []byte(`{"deployment":42}`)},
		"acme/api/app/queued": {Kind: KindDeploy},
		"acme/api/app/bad":    {Kind: KindDeploy, Result: []byte(`{`)},
	}
	for _, tc := range []struct {
		step, want string
		fails      bool
	}{
		{"cmd", "rolled 3 pods\n", false},
		{"github", "", false},
		{"queued", "", false},
		{"pruned", "", false},
		{"bad", "", true},
	} {
		got, err := StepOutput(context.Background(), effects, key, pipeline.Step{Key: tc.step})
		if got != tc.want || (err != nil) != tc.fails {
			t.Errorf("%s: %q, %v; want %q, failing %v", tc.step, got, err, tc.want, tc.fails)
		}
	}
}
