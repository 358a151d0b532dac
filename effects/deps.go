package effects

import (
	"context"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// Outbox effect kinds, as stored: renaming one strands queued effects.
const (
	KindDeploy           = "deploy"
	KindNotice           = "notice"
	KindReport           = "report"
	KindSlack            = "slack"
	KindDeploymentStatus = "deployment-status"
)

// GitHubSource returns the installation client of a repository Wavegate is
// installed on.
type GitHubSource func(ctx context.Context, repository string) (*github.Client, error)

// States reads the engine's saved state with the pipeline it was planned with.
type States interface {
	LoadWithPipeline(ctx context.Context, key pipeline.Key) (pipeline.Pipeline, pipeline.State, int64, error)
}

// Runner applies an operation to a pipeline's state and saves the result.
type Runner interface {
	Apply(ctx context.Context, key pipeline.Key, op func(p pipeline.Pipeline, st *pipeline.State) error) (pipeline.Result, error)
}

// CheckRuns records the check runs Wavegate created.
type CheckRuns interface {
	SaveCheckRun(ctx context.Context, repository, headSHA, name string, id int64, now time.Time) error
	CheckRun(ctx context.Context, repository, headSHA, name string) (int64, error)
}

// EffectResults records what a claimed effect produced before it is done.
type EffectResults interface {
	SetEffectResult(ctx context.Context, seq int64, result []byte) error
}

// EffectLookup reads other effects of the outbox.
type EffectLookup interface {
	// Effect returns one effect by its key (store.ErrNotFound when absent).
	Effect(ctx context.Context, key string) (store.Effect, error)
	// NewerEffectPending says whether an unfinished effect whose key starts
	// with prefix was queued after seq.
	NewerEffectPending(ctx context.Context, prefix string, seq int64) (bool, error)
}

// OutboxKey makes a step's key unique across repositories and pipelines;
// it is also the deployment's idempotency key.
// The store compares repository names without case; so must the key.
func OutboxKey(key pipeline.Key, local string) string {
	return strings.ToLower(key.Repository) + "/" + key.Pipeline + "/" + local
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
