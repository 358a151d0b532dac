package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// GitHubDeployments is the `github` deployer: each step is one GitHub
// deployment, whose result arrives later as deployment_status webhooks
// (see StatusOutcome). Whatever runs deployments in the repository (an
// Actions workflow on `deployment`, an external system) does the work.
type GitHubDeployments struct{}

// Payload is what Wavegate puts in each deployment's payload, under the key
// "wavegate", so that a deployment_status can be traced back to its step
// and a step's deployment found again after a crash.
type Payload struct {
	Key         string  `json:"key"`
	Release     string  `json:"release"`
	Pipeline    string  `json:"pipeline"`
	Stage       string  `json:"stage"`
	Target      string  `json:"target"`
	Action      Action  `json:"action"`
	Variant     Variant `json:"variant"`
	SHA         string  `json:"sha"`
	PreviousSHA string  `json:"previous_sha,omitempty"`
}

// deploymentTask is GitHub's default task name; deployment runners key on it.
const deploymentTask = "deploy"

// descriptionLimit is GitHub's limit on a deployment's description.
const descriptionLimit = 140

// Create starts req as a GitHub deployment and returns its id. When
// mayExist is set (the step was attempted before and its outcome is
// unknown), the deployment is first looked for by the step's idempotency
// key, so a crash between GitHub's answer and Wavegate recording it never
// creates a second deployment.
func (GitHubDeployments) Create(ctx context.Context, client *github.Client, req Request, production, mayExist bool) (int64, error) {
	owner, repo, ok := strings.Cut(req.Repository, "/")
	if !ok {
		return 0, fmt.Errorf("deployment for %q: repository is not owner/name", req.Repository)
	}
	if mayExist {
		id, found, err := findDeployment(ctx, client, owner, repo, req)
		if err != nil || found {
			return id, err
		}
	}
	payload := map[string]any{"wavegate": payloadOf(req)}
	d, _, err := client.Repositories.CreateDeployment(ctx, owner, repo, &github.DeploymentRequest{
		Ref:                   github.String(req.SHA),
		Task:                  github.String(deploymentTask),
		Environment:           github.String(req.Target),
		AutoMerge:             github.Bool(false),
		RequiredContexts:      &[]string{},
		Payload:               payload,
		Description:           github.String(Description(req)),
		ProductionEnvironment: github.Bool(production),
		TransientEnvironment:  github.Bool(false),
	})
	if err != nil {
		return 0, fmt.Errorf("create deployment of %s to %s in %s (step %s): %w", short(req.SHA), req.Target, req.Repository, req.Key, err)
	}
	return d.GetID(), nil
}

// findDeployment looks for the deployment of req among those of its
// environment and sha, by the idempotency key in the payload.
func findDeployment(ctx context.Context, client *github.Client, owner, repo string, req Request) (int64, bool, error) {
	opts := &github.DeploymentsListOptions{SHA: req.SHA, Environment: req.Target, Task: deploymentTask,
		ListOptions: github.ListOptions{PerPage: 100}}
	for {
		ds, resp, err := client.Repositories.ListDeployments(ctx, owner, repo, opts)
		if err != nil {
			return 0, false, fmt.Errorf("look for the deployment of step %s in %s/%s: %w", req.Key, owner, repo, err)
		}
		for _, d := range ds {
			if p, ok := PayloadOf(d); ok && p.Key == req.Key {
				return d.GetID(), true, nil
			}
		}
		if resp.NextPage == 0 {
			return 0, false, nil
		}
		opts.Page = resp.NextPage
	}
}

func payloadOf(req Request) Payload {
	return Payload{
		Key: req.Key, Release: req.Release, Pipeline: req.Pipeline, Stage: req.Stage, Target: req.Target,
		Action: req.Action, Variant: req.Variant, SHA: req.SHA, PreviousSHA: req.PreviousSHA,
	}
}

// PayloadOf reads Wavegate's payload from a deployment; ok is false for a
// deployment Wavegate did not create, which must be recorded and ignored.
func PayloadOf(d *github.Deployment) (Payload, bool) {
	var outer struct {
		Wavegate *Payload `json:"wavegate"`
	}
	if len(d.Payload) == 0 || json.Unmarshal(d.Payload, &outer) != nil || outer.Wavegate == nil || outer.Wavegate.Key == "" {
		return Payload{}, false
	}
	return *outer.Wavegate, true
}

// StatusOutcome maps a deployment status to a step's outcome; done is false
// while the deployment is still under way.
func StatusOutcome(state string) (outcome Outcome, done bool) {
	switch state {
	case "success":
		return Succeeded, true
	case "failure", "error":
		return Failed, true
	}
	// queued, pending, in_progress, and inactive (a later deployment to the
	// same environment replaced this one) say nothing about success.
	return "", false
}

// Description is the deployment's one-line description, within GitHub's
// 140 characters.
func Description(req Request) string {
	verb := "Deploy"
	if req.Action == ActionRollback {
		verb = "Roll back"
	}
	s := fmt.Sprintf("Wavegate: %s %s to %s (%s, %s of release %s)", verb, short(req.SHA), req.Target, req.Variant, req.Stage, req.Release)
	if utf8.RuneCountInString(s) <= descriptionLimit {
		return s
	}
	r := []rune(s)
	return string(r[:descriptionLimit-1]) + "…"
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
