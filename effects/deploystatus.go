package effects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

type deploymentStatusPayload struct {
	Repository string `json:"repository"`
	Pipeline   string `json:"pipeline"`
	// Step is the deploy step whose deployment it is; its deploy effect's
	// result holds the deployment id.
	Step        string `json:"step"`
	Target      string `json:"target"`
	ReleaseSHA  string `json:"release_sha"`
	State       string `json:"state"` // failure | inactive
	Description string `json:"description"`
}

// deploymentStatusEffects keeps the github deployer's deployments true to
// what the engine decided: failure for a step that timed out, inactive for
// the deploys of a target rolled back. Keys are per step and state, so a
// status is set once however often it is decided.
func deploymentStatusEffects(key pipeline.Key, p pipeline.Pipeline, res pipeline.Result, now time.Time) ([]store.Effect, error) {
	var out []store.Effect
	add := func(r *pipeline.Release, target, step, state, why string) error {
		payload, err := json.Marshal(deploymentStatusPayload{Repository: key.Repository, Pipeline: key.Pipeline,
			Step: step, Target: target, ReleaseSHA: r.SHA, State: state, Description: why})
		if err != nil {
			return err
		}
		out = append(out, store.Effect{Key: OutboxKey(key, step+"/status/"+state), Kind: KindDeploymentStatus, Payload: payload, CreatedAt: now})
		return nil
	}
	for _, d := range res.Decisions {
		if d.Target == "" {
			continue
		}
		r := res.State.Release(d.ReleaseID)
		if r == nil {
			continue
		}
		if kind := res.State.PipelineOf(r, p).Deployer.Kind; kind != pipeline.DeployerGitHub && kind != "" {
			continue
		}
		run := r.Stages[d.Stage]
		if run == nil {
			continue
		}
		tr := run.Targets[d.Target]
		if tr == nil {
			continue
		}
		for _, s := range []*pipeline.Step{tr.Undone, tr.Step} {
			if s != nil && s.Outcome == pipeline.OutcomeTimedOut {
				if err := add(r, d.Target, s.Key, "failure", "Wavegate had no result within the deploy timeout"); err != nil {
					return nil, err
				}
			}
		}
		if tr.Phase == pipeline.PhaseRolledBack {
			for _, variant := range []string{pipeline.VariantOnebox, pipeline.VariantFull} {
				step := pipeline.StepKey(r.ID, d.Stage, d.Target, variant, pipeline.ActionDeploy)
				if err := add(r, d.Target, step, "inactive", "rolled back by Wavegate"); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// DeploymentStatuses sets the status of a GitHub deployment Wavegate
// created, for what the deploying system cannot know: that Wavegate gave
// up waiting for it, or that a rollback replaced it.
type DeploymentStatuses struct {
	GitHub  GitHubSource
	Effects EffectLookup
	Links   Links
}

// Perform sets one status, if Wavegate created the deployment (a onebox
// step that never ran has none).
func (d *DeploymentStatuses) Perform(ctx context.Context, e store.Effect) ([]byte, error) {
	var p deploymentStatusPayload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, fmt.Errorf("decode deployment status %s: %w", e.Key, err)
	}
	deployEffect, err := d.Effects.Effect(ctx, OutboxKey(pipeline.Key{Repository: p.Repository, Pipeline: p.Pipeline}, p.Step))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var created struct {
		Deployment int64 `json:"deployment"`
	}
	if len(deployEffect.Result) == 0 || json.Unmarshal(deployEffect.Result, &created) != nil || created.Deployment == 0 {
		return nil, nil
	}
	client, err := d.GitHub(ctx, p.Repository)
	if err != nil {
		return nil, err
	}
	owner, name, _ := strings.Cut(p.Repository, "/")
	status := &github.DeploymentStatusRequest{
		State: github.String(p.State), Description: github.String(truncateRunes(p.Description, 140)),
		Environment: github.String(p.Target), LogURL: github.String(d.Links.DeploymentLog(ctx, p.Repository, p.Pipeline, p.ReleaseSHA)),
	}
	if _, _, err := client.Repositories.CreateDeploymentStatus(ctx, owner, name, created.Deployment, status); err != nil {
		return nil, fmt.Errorf("mark deployment %d of %s %s: %w", created.Deployment, p.Repository, p.State, err)
	}
	return nil, nil
}
