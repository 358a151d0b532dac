package effects

import (
	"context"
	"fmt"

	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
)

// DeployCheckName is the check run that reports a release on its commit.
const DeployCheckName = "wavegate/deploy"

// Links makes the web addresses reports and deployments point to.
type Links struct {
	// Web is GitHub's web address (https://github.com for github.com).
	Web       string
	CheckRuns CheckRuns
}

// Release is where a release's reports point: its changes since the
// pipeline's previous release, its pull requests and its check run.
func (l Links) Release(ctx context.Context, repo string, pl pipeline.Pipeline, st pipeline.State, r *pipeline.Release) notify.Links {
	links := notify.Links{PullPrefix: fmt.Sprintf("%s/%s/pull/", l.Web, repo)}
	if kind := st.PipelineOf(r, pl).Deployer.Kind; kind == pipeline.DeployerGitHub || kind == "" {
		links.Deployments = fmt.Sprintf("%s/%s/deployments", l.Web, repo)
	}
	for _, prev := range st.Releases {
		if prev.ID < r.ID && prev.SHA != r.SHA {
			links.Compare = fmt.Sprintf("%s/%s/compare/%s...%s", l.Web, repo, prev.SHA, r.SHA)
		}
	}
	if id, err := l.CheckRuns.CheckRun(ctx, repo, r.SHA, DeployCheckName+" ("+pl.Name+")"); err == nil {
		links.CheckRun = fmt.Sprintf("%s/%s/runs/%d", l.Web, repo, id)
	}
	return links
}

// DeploymentLog is the release's report, its wavegate/deploy check run,
// or, before its report has created it, the commit's checks page, where it
// will be listed.
func (l Links) DeploymentLog(ctx context.Context, repo, pipelineName, sha string) string {
	if runID, err := l.CheckRuns.CheckRun(ctx, repo, sha, DeployCheckName+" ("+pipelineName+")"); err == nil {
		return fmt.Sprintf("%s/%s/runs/%d", l.Web, repo, runID)
	}
	return fmt.Sprintf("%s/%s/commit/%s/checks", l.Web, repo, sha)
}
