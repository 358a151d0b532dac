package effects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// EffectByKey reads an outbox effect by its key (store.Outbox).
type EffectByKey interface {
	Effect(ctx context.Context, key string) (store.Effect, error)
}

// StepOutput is the end of what a command deployer printed for step of
// key's pipeline, as the outbox kept it: "" for a step of another
// deployer, one not run yet, or one whose effect was pruned.
func StepOutput(ctx context.Context, effects EffectByKey, key pipeline.Key, step pipeline.Step) (string, error) {
	e, err := effects.Effect(ctx, OutboxKey(key, step.Key))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the deploy effect of step %s: %w", step.Key, err)
	}
	if e.Kind != KindDeploy || len(e.Result) == 0 {
		return "", nil
	}
	var res commandResult
	if err := json.Unmarshal(e.Result, &res); err != nil {
		return "", fmt.Errorf("decode the result of step %s: %w", step.Key, err)
	}
	return res.Output, nil
}
