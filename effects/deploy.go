package effects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/deploy"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// Deploys performs deploy effects with the deployer the pipeline names.
type Deploys struct {
	GitHub GitHubSource
	// Results records a command's result before it is applied.
	Results EffectResults
	Runner  Runner
	// Commands are the operator's command deployers, by name.
	Commands map[string]deploy.Command
	Links    Links
	Clock    clock.Clock
}

// commandResult is what the outbox keeps of a command deploy: enough to
// apply it again after a crash without running the command twice.
type commandResult struct {
	Outcome deploy.Outcome `json:"outcome"`
	Reason  string         `json:"reason"`
	Output  string         `json:"output"`
}

// Perform performs one deploy step. A command's result is recorded on the
// effect before it is applied to the engine, so a crash in between applies
// it on retry instead of running the command again; a GitHub deployment is
// found again by its idempotency key.
func (d *Deploys) Perform(ctx context.Context, e store.Effect) ([]byte, error) {
	var p deployPayload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, fmt.Errorf("decode deploy effect %s: %w", e.Key, err)
	}
	de := p.Effect
	req := deploy.Request{
		Key: e.Key, Repository: p.Repository, Release: strconv.FormatInt(de.ReleaseID, 10), Pipeline: de.Pipeline,
		Stage: de.Stage, Target: de.Target, Action: deploy.Action(de.Step.Action), Variant: deploy.Variant(de.Step.Variant),
		SHA: de.Step.SHA, PreviousSHA: de.Step.PreviousSHA, Timeout: de.Timeout,
	}
	switch p.Deployer.Kind {
	case pipeline.DeployerCommand:
		result := e.Result
		if len(result) == 0 {
			res := d.runCommand(ctx, p.Deployer, req)
			if res.Outcome == deploy.Interrupted {
				// Shutting down: handed back to run again after the restart.
				return nil, fmt.Errorf("deploy %s: %s: %w", e.Key, res.Reason, context.Canceled)
			}
			var err error
			if result, err = json.Marshal(commandResult{Outcome: res.Outcome, Reason: res.Reason, Output: res.Output}); err != nil {
				return nil, err
			}
			if err := d.Results.SetEffectResult(context.WithoutCancel(ctx), e.Seq, result); err != nil {
				return nil, err
			}
		}
		var res commandResult
		if err := json.Unmarshal(result, &res); err != nil {
			return nil, fmt.Errorf("decode the result of %s: %w", e.Key, err)
		}
		return result, d.recordOutcome(ctx, p, res.Outcome, res.Reason)
	case pipeline.DeployerGitHub, "":
		if len(e.Result) > 0 {
			return e.Result, nil
		}
		client, err := d.GitHub(ctx, p.Repository)
		if err != nil {
			return nil, err
		}
		id, err := deploy.GitHubDeployments{}.Create(ctx, client, req, de.Production, e.Attempts > 1)
		if err != nil {
			return nil, err
		}
		if err := d.markInProgress(ctx, client, p, id); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]int64{"deployment": id})
	default:
		// The workflow deployer is reserved: fail the step, with the reason,
		// rather than leave the release waiting for a result that never comes.
		return nil, d.recordOutcome(ctx, p, deploy.Failed, fmt.Sprintf("the %q deployer is not available yet", p.Deployer.Kind))
	}
}

func (d *Deploys) recordOutcome(ctx context.Context, p deployPayload, outcome deploy.Outcome, reason string) error {
	key := pipeline.Key{Repository: p.Repository, Pipeline: p.Effect.Pipeline}
	o := pipeline.OutcomeFailed
	if outcome == deploy.Succeeded {
		o = pipeline.OutcomeSuccess
	}
	_, err := d.Runner.Apply(ctx, key, func(_ pipeline.Pipeline, st *pipeline.State) error {
		_, err := pipeline.RecordOutcome(st, p.Effect.Step.Key, o, reason, d.Clock.Now())
		return err
	})
	if errors.Is(err, pipeline.ErrNotFound) {
		return nil // the engine no longer tracks the release
	}
	return err
}

// runCommand runs a command deploy step with the operator's deployer that
// the pipeline names.
func (d *Deploys) runCommand(ctx context.Context, dep pipeline.Deployer, req deploy.Request) deploy.Result {
	cmd, ok := d.Commands[dep.Name]
	failed := func(reason string) deploy.Result {
		now := d.Clock.Now()
		return deploy.Result{Outcome: deploy.Failed, Reason: reason, Started: now, Finished: now}
	}
	switch {
	case dep.Name == "":
		// Planned by a version that ran a repository's own argv.
		return failed("this release's pipeline gives its program in the repository, which Wavegate no longer runs: " +
			"the operator defines deployers in Wavegate's config file, and the pipeline names one with deployer: {command: NAME}")
	case !ok:
		return failed(fmt.Sprintf("Wavegate's server defines no deployer %q: its operator adds it under deployers: in Wavegate's config file", dep.Name))
	}
	req.Inputs = dep.Inputs
	return cmd.Run(ctx, req)
}

// markInProgress says on the deployment that Wavegate has started it, with
// log_url pointing to the release's report. The deploying system reports
// success or failure itself.
func (d *Deploys) markInProgress(ctx context.Context, client *github.Client, p deployPayload, deploymentID int64) error {
	owner, name, _ := strings.Cut(p.Repository, "/")
	releaseSHA := p.Effect.Step.SHA
	if p.Effect.Step.Action == pipeline.ActionRollback {
		releaseSHA = p.Effect.Step.PreviousSHA // the release being rolled back
	}
	status := &github.DeploymentStatusRequest{
		State: github.String("in_progress"),
		Description: github.String(truncateRunes(deploy.Description(deploy.Request{
			Action: deploy.Action(p.Effect.Step.Action), SHA: p.Effect.Step.SHA, Target: p.Effect.Target,
			Variant: deploy.Variant(p.Effect.Step.Variant), Stage: p.Effect.Stage,
			Release: strconv.FormatInt(p.Effect.ReleaseID, 10)}), 140)),
		Environment: github.String(p.Effect.Target),
		LogURL:      github.String(d.Links.DeploymentLog(ctx, p.Repository, p.Effect.Pipeline, releaseSHA)),
	}
	if _, _, err := client.Repositories.CreateDeploymentStatus(ctx, owner, name, deploymentID, status); err != nil {
		return fmt.Errorf("mark deployment %d of %s in progress: %w", deploymentID, p.Repository, err)
	}
	return nil
}
