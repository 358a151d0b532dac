package commandrun

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// pipe is one pipeline of the repository with its saved state.
type pipe struct {
	key pipeline.Key
	p   pipeline.Pipeline
	st  pipeline.State
}

// maxNamed caps the lists of what exists in an answer, which must stay
// readable in a comment or a Slack message.
const maxNamed = 20

func nameList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	if len(names) > maxNamed {
		return strings.Join(names[:maxNamed], ", ") + fmt.Sprintf(" and %d more", len(names)-maxNamed)
	}
	return strings.Join(names, ", ")
}

// resolveRepository settles which repository the command acts on and that
// it belongs to the installation the request came through.
func (r *runner) resolveRepository(ctx context.Context, j *job) error {
	c := j.req.Command
	repo := j.req.Repository
	if c.Repository != "" {
		if repo != "" && !strings.EqualFold(repo, c.Repository) && j.req.Surface != store.SurfaceSlack {
			return refuse("a command here acts on %s only; to act on %s, comment on one of its pull requests or use Slack", repo, c.Repository)
		}
		repo = c.Repository
	}
	if repo == "" && j.req.SlackChannel != "" {
		var err error
		if repo, err = r.channelRepository(ctx, j); err != nil {
			return err
		}
	}
	if repo == "" {
		known, err := r.knownRepositories(ctx)
		if err != nil {
			return err
		}
		return refuse("name the repository, as in `/deploy %s owner/repo ...`; Wavegate deploys %s", c.Verb, nameList(known))
	}
	if j.inst == 0 {
		id, err := r.Installations.InstallationForRepository(ctx, repo)
		if errors.Is(err, store.ErrNotFound) {
			known, err := r.knownRepositories(ctx)
			if err != nil {
				return err
			}
			return refuse("Wavegate is not installed on %s; it deploys %s", repo, nameList(known))
		}
		if err != nil {
			return fmt.Errorf("installation of %s: %w", repo, err)
		}
		j.inst = id
	}
	repos, err := r.Installations.Repositories(ctx, j.inst)
	if err != nil {
		return fmt.Errorf("repositories of installation %d: %w", j.inst, err)
	}
	names := make([]string, 0, len(repos))
	for _, rp := range repos {
		if strings.EqualFold(rp.FullName, repo) {
			j.repo = rp.FullName
			return nil
		}
		names = append(names, rp.FullName)
	}
	return refuse("unknown repository %s: Wavegate is installed here on %s", repo, nameList(names))
}

// channelRepository is the repository whose pipelines report to the Slack
// channel the command was typed in, when there is exactly one.
func (r *runner) channelRepository(ctx context.Context, j *job) (string, error) {
	keys, err := r.Index.EngineKeys(ctx, "")
	if err != nil {
		return "", fmt.Errorf("list pipelines: %w", err)
	}
	channel := strings.ToLower(strings.TrimPrefix(j.req.SlackChannel, "#"))
	var found []string
	for _, k := range keys {
		p, _, _, err := r.States.LoadWithPipeline(ctx, pipeline.Key(k))
		if err != nil {
			return "", fmt.Errorf("load pipeline %s of %s: %w", k.Pipeline, k.Repository, err)
		}
		if strings.ToLower(strings.TrimPrefix(p.SlackChannel, "#")) == channel && !slices.Contains(found, k.Repository) {
			found = append(found, k.Repository)
		}
	}
	if len(found) > 1 {
		return "", refuse("#%s is the Slack channel of several repositories (%s): name one, as in `/deploy %s %s ...`",
			channel, nameList(found), j.req.Command.Verb, found[0])
	}
	if len(found) == 1 {
		return found[0], nil
	}
	return "", nil
}

// knownRepositories lists the repositories that have pipelines, for
// answers that must say what exists.
func (r *runner) knownRepositories(ctx context.Context) ([]string, error) {
	keys, err := r.Index.EngineKeys(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list pipelines: %w", err)
	}
	var names []string
	for _, k := range keys {
		if !slices.Contains(names, k.Repository) {
			names = append(names, k.Repository)
		}
	}
	return names, nil
}

// pipelines loads every pipeline of repo that has engine state.
func (r *runner) pipelines(ctx context.Context, repo string) ([]pipe, error) {
	keys, err := r.Index.EngineKeys(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("pipelines of %s: %w", repo, err)
	}
	pipes := make([]pipe, 0, len(keys))
	for _, k := range keys {
		key := pipeline.Key(k)
		p, st, _, err := r.States.LoadWithPipeline(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("load pipeline %s of %s: %w", key.Pipeline, key.Repository, err)
		}
		if p.Name == "" {
			p.Name = key.Pipeline
		}
		pipes = append(pipes, pipe{key: key, p: p, st: st})
	}
	return pipes, nil
}

func pipeNames(pipes []pipe) []string {
	names := make([]string, len(pipes))
	for i, p := range pipes {
		names[i] = p.key.Pipeline
	}
	return names
}

// namedPipe finds the pipeline a command names.
func namedPipe(pipes []pipe, repo, name string) (pipe, error) {
	for _, p := range pipes {
		if p.key.Pipeline == name {
			return p, nil
		}
	}
	return pipe{}, refuse("%s has no pipeline %q with releases; its pipelines: %s", repo, name, nameList(pipeNames(pipes)))
}

// candidate is a release a command may mean.
type candidate struct {
	pipe pipe
	rel  *pipeline.Release
}

func (c candidate) String() string {
	return fmt.Sprintf("release %d of %s (%s, %s)", c.rel.ID, c.pipe.key.Pipeline, short(c.rel.SHA), where(c.pipe, c.rel))
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// where says in a few words where a release stands.
func where(p pipe, r *pipeline.Release) string {
	if r.Status != pipeline.ReleaseActive {
		return string(r.Status)
	}
	pl := p.st.PipelineOf(r, p.p)
	for i := len(pl.Stages) - 1; i >= 0; i-- {
		if run := r.Stages[pl.Stages[i].Name]; run != nil {
			return "in " + pl.Stages[i].Name
		}
	}
	return "not started"
}

// findRelease settles the release a command acts on: --release N, else the
// newest release that brings the PR the comment is on, else the release a
// button was pressed on, else (Slack) the one release the verb can act on.
func (r *runner) findRelease(j *job, pipes []pipe) (candidate, error) {
	c := j.req.Command
	if c.Release != 0 {
		for _, p := range pipes {
			if rel := p.st.Release(c.Release); rel != nil {
				return candidate{p, rel}, nil
			}
		}
		return candidate{}, refuse("%s has no release %d in flight; releases in flight: %s", j.repo, c.Release, nameList(inFlight(pipes)))
	}
	var cands []candidate
	switch {
	case j.req.PullRequest != 0:
		for _, p := range pipes {
			for i := len(p.st.Releases) - 1; i >= 0; i-- {
				if rel := p.st.Releases[i]; slices.Contains(rel.Pulls, j.req.PullRequest) {
					cands = append(cands, candidate{p, rel})
					break
				}
			}
		}
		if len(cands) == 0 {
			return candidate{}, refuse("pull request #%d of %s is in no release yet: it deploys once merged. To act on another release, add `--release N`; releases in flight: %s",
				j.req.PullRequest, j.repo, nameList(inFlight(pipes)))
		}
	case j.req.ReleaseID != 0:
		p, err := namedPipe(pipes, j.repo, j.req.Pipeline)
		if err != nil {
			return candidate{}, err
		}
		rel := p.st.Release(j.req.ReleaseID)
		if rel == nil {
			return candidate{}, refuse("release %d of %s is no longer in flight", j.req.ReleaseID, j.req.Pipeline)
		}
		return candidate{p, rel}, nil
	default:
		for _, p := range pipes {
			for i := len(p.st.Releases) - 1; i >= 0; i-- {
				if rel := p.st.Releases[i]; actsOn(c, p, rel) {
					cands = append(cands, candidate{p, rel})
				}
			}
		}
		if len(cands) == 0 {
			return candidate{}, refuse("no release of %s can be %s now; releases in flight: %s", j.repo, pastTense(c.Verb), nameList(inFlight(pipes)))
		}
	}
	if len(cands) == 1 {
		return cands[0], nil
	}
	var can []candidate
	for _, cd := range cands {
		if actsOn(c, cd.pipe, cd.rel) {
			can = append(can, cd)
		}
	}
	if len(can) == 1 {
		return can[0], nil
	}
	if len(can) > 1 {
		cands = can
	}
	names := make([]string, len(cands))
	for i, cd := range cands {
		names[i] = cd.String()
	}
	return candidate{}, refuse("which release? %s; add `--release N` to say", nameList(names))
}

// inFlight names the active releases of every pipeline.
func inFlight(pipes []pipe) []string {
	var names []string
	for _, p := range pipes {
		for _, rel := range p.st.Releases {
			if rel.Status == pipeline.ReleaseActive {
				names = append(names, candidate{p, rel}.String())
			}
		}
	}
	return names
}

// actsOn says whether c can do anything to rel now, to pick among
// releases: approve and reject one waiting for approval, override an
// active one, rollback one that reached a stage.
func actsOn(c commands.Command, p pipe, rel *pipeline.Release) bool {
	switch c.Verb {
	case commands.VerbApprove, commands.VerbReject:
		return rel.Status == pipeline.ReleaseActive && waitingIn(p, rel, c.Stage) != ""
	case commands.VerbOverride:
		return rel.Status == pipeline.ReleaseActive
	case commands.VerbRollback:
		return rel.RollbackRequest == nil && len(rel.Stages) > 0 &&
			(rel.Status == pipeline.ReleaseActive || rel.Status == pipeline.ReleaseSucceeded)
	}
	return false
}

// waitingIn is the approval stage rel waits in (stage, when named).
func waitingIn(p pipe, rel *pipeline.Release, stage string) string {
	for _, s := range p.st.PipelineOf(rel, p.p).Stages {
		run := rel.Stages[s.Name]
		if s.IsApproval() && run != nil && run.Status == pipeline.StageActive && (stage == "" || stage == s.Name) {
			return s.Name
		}
	}
	return ""
}

func pastTense(v commands.Verb) string {
	switch v {
	case commands.VerbApprove:
		return "approved"
	case commands.VerbReject:
		return "rejected"
	case commands.VerbOverride:
		return "overridden"
	case commands.VerbRollback:
		return "rolled back"
	}
	return string(v) + "ed"
}

// checkScope refuses a --stage or --target the release's pipeline does
// not have, naming those it has.
func checkScope(c commands.Command, cd candidate) error {
	pl := cd.pipe.st.PipelineOf(cd.rel, cd.pipe.p)
	var stages, targets []string
	var stage *pipeline.Stage
	for i, s := range pl.Stages {
		stages = append(stages, s.Name)
		if s.Name == c.Stage {
			stage = &pl.Stages[i]
		}
	}
	if c.Stage != "" && stage == nil {
		return refuse("pipeline %s has no stage %q; its stages: %s", cd.pipe.key.Pipeline, c.Stage, nameList(stages))
	}
	if c.Target == "" {
		return nil
	}
	for _, s := range pl.Stages {
		if stage != nil && s.Name != stage.Name {
			continue
		}
		if slices.Contains(s.Targets, c.Target) {
			return nil
		}
		targets = append(targets, s.Targets...)
	}
	in := "pipeline " + cd.pipe.key.Pipeline
	if stage != nil {
		in = "stage " + stage.Name
	}
	return refuse("%s has no target %q; its targets: %s", in, c.Target, nameList(targets))
}
