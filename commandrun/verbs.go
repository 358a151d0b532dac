package commandrun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/pipeline"
)

// onRelease runs approve, reject, override and rollback.
func (r *runner) onRelease(ctx context.Context, j *job, pipes []pipe) (string, error) {
	c := j.req.Command
	cd, err := r.findRelease(j, pipes)
	if err != nil {
		return "", err
	}
	j.key, j.relID = cd.pipe.key, cd.rel.ID
	if err := checkScope(c, cd); err != nil {
		return "", err
	}
	pl := cd.pipe.st.PipelineOf(cd.rel, cd.pipe.p)
	s := commands.Subject{Authors: cd.rel.Authors, OverridePermission: pl.Overrides.Permission}
	stage := c.Stage
	if c.Verb == commands.VerbApprove || c.Verb == commands.VerbReject {
		if stage == "" {
			stage = waitingIn(cd.pipe, cd.rel, "")
		}
		for _, st := range pl.Stages {
			if st.Name == stage && st.Approval != nil {
				s.Approvers, s.AllowAuthors, s.Stage = st.Approval.Approvers, st.Approval.AllowAuthors, stage
			}
		}
	}
	if err := r.authorize(ctx, j, s); err != nil {
		return "", err
	}
	now := r.Clock.Now()
	id := cd.rel.ID
	// What it did is said before applying: a retry that finds the request
	// applied skips the operation and must answer the same.
	var did string
	var until time.Time
	switch c.Verb {
	case commands.VerbApprove, commands.VerbReject:
		did = fmt.Sprintf("%s release %d of %s", pastTense(c.Verb), id, cd.pipe.key.Pipeline)
		if stage != "" {
			did += " in " + stage
		}
	case commands.VerbOverride:
		did = fmt.Sprintf("overrode %s for release %d of %s%s", c.Blocker, id, cd.pipe.key.Pipeline, scope(c))
		if c.TTL > 0 {
			until = now.Add(c.TTL)
			did += " until " + until.UTC().Format("2006-01-02 15:04 UTC")
		}
	default:
		did = fmt.Sprintf("rolling back release %d of %s%s", id, cd.pipe.key.Pipeline, scope(c))
	}
	err = r.apply(ctx, j, cd.pipe.key, func(p pipeline.Pipeline, st *pipeline.State) error {
		switch c.Verb {
		case commands.VerbApprove, commands.VerbReject:
			return pipeline.Decide(p, st, id, c.Stage, c.Verb == commands.VerbApprove, j.login, c.Reason, s.AllowAuthors, now)
		case commands.VerbOverride:
			return pipeline.AddOverride(st, pipeline.Override{ReleaseID: id, Blocker: c.Blocker, Stage: c.Stage, Target: c.Target,
				By: j.login, Reason: c.Reason, At: now, Until: until})
		default:
			return pipeline.Rollback(p, st, id, c.Stage, c.Target, j.login, c.Reason, now)
		}
	})
	if err != nil {
		return "", err
	}
	return did, nil
}

func scope(c commands.Command) string {
	var s []string
	if c.Stage != "" {
		s = append(s, "stage "+c.Stage)
	}
	if c.Target != "" {
		s = append(s, "target "+c.Target)
	}
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, ", ") + ")"
}

// overridePermission is the strictest overrides.permission of pipes: a
// command acting on several pipelines needs what each needs.
func overridePermission(pipes []pipe) checks.Permission {
	need := checks.PermissionNone
	for _, p := range pipes {
		perm := p.p.Overrides.Permission
		if perm == checks.PermissionNone {
			perm = pipeline.DefaultOverridePermission
		}
		need = max(need, perm)
	}
	return need
}

// pauseResume runs pause and resume of one pipeline, or --all of them.
func (r *runner) pauseResume(ctx context.Context, j *job, pipes []pipe) (string, error) {
	c := j.req.Command
	if len(pipes) == 0 {
		return "", refuse("%s has no pipeline with releases yet: nothing to %s", j.repo, c.Verb)
	}
	targets, err := r.pickPipelines(j, pipes)
	if err != nil {
		return "", err
	}
	if c.Stage != "" {
		for _, p := range targets {
			if err := checkScope(c, candidate{p, &pipeline.Release{}}); err != nil {
				return "", err
			}
		}
	}
	if len(targets) == 1 {
		j.key = targets[0].key
	}
	if err := r.authorize(ctx, j, commands.Subject{OverridePermission: overridePermission(targets)}); err != nil {
		return "", err
	}
	for _, p := range targets {
		err := r.apply(ctx, j, p.key, func(_ pipeline.Pipeline, st *pipeline.State) error {
			if c.Verb == commands.VerbPause {
				return pipeline.Pause(st, j.login, c.Reason)
			}
			pipeline.Resume(st, c.Stage)
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	did := "paused"
	if c.Verb == commands.VerbResume {
		did = "resumed"
	}
	if c.Stage != "" {
		did += " stage " + c.Stage + " of"
	}
	return fmt.Sprintf("%s %s of %s", did, plural(len(targets), "pipeline")+" "+strings.Join(pipeNames(targets), ", "), j.repo), nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// pickPipelines settles which pipelines pause and resume act on: --all,
// the one named, the one a button belongs to, the only one, or the one
// that holds the PR's release.
func (r *runner) pickPipelines(j *job, pipes []pipe) ([]pipe, error) {
	c := j.req.Command
	switch {
	case c.All:
		return pipes, nil
	case c.Pipeline != "":
		p, err := namedPipe(pipes, j.repo, c.Pipeline)
		return []pipe{p}, err
	case j.req.Pipeline != "":
		p, err := namedPipe(pipes, j.repo, j.req.Pipeline)
		return []pipe{p}, err
	case len(pipes) == 1:
		return pipes, nil
	}
	if j.req.PullRequest != 0 {
		var with []pipe
		for _, p := range pipes {
			for _, rel := range p.st.Releases {
				if containsPull(rel, j.req.PullRequest) {
					with = append(with, p)
					break
				}
			}
		}
		if len(with) == 1 {
			return with, nil
		}
	}
	return nil, refuse("%s has several pipelines (%s): name one, as in `/deploy %s %s`, or act on every one with --all",
		j.repo, nameList(pipeNames(pipes)), c.Verb, pipes[0].key.Pipeline)
}

func containsPull(rel *pipeline.Release, pr int) bool {
	for _, p := range rel.Pulls {
		if p == pr {
			return true
		}
	}
	return false
}

// blockUnblock blocks or unblocks a commit in every pipeline of the
// repository: a blocked sha is deployed nowhere in it.
func (r *runner) blockUnblock(ctx context.Context, j *job, pipes []pipe) (string, error) {
	c := j.req.Command
	if len(pipes) == 0 {
		return "", refuse("%s has no pipeline with releases yet: nothing to %s", j.repo, c.Verb)
	}
	if err := r.authorize(ctx, j, commands.Subject{OverridePermission: overridePermission(pipes)}); err != nil {
		return "", err
	}
	now := r.Clock.Now()
	changed, refused := 0, error(nil)
	for _, p := range pipes {
		var did bool // set, not counted: the engine may run op again on a conflict
		err := r.apply(ctx, j, p.key, func(_ pipeline.Pipeline, st *pipeline.State) error {
			if c.Verb == commands.VerbBlock {
				did = true
				return pipeline.Block(st, c.SHA, j.login, c.Reason, now)
			}
			did = pipeline.Unblock(st, c.SHA)
			return nil
		})
		var ref *refusal
		if errors.As(err, &ref) {
			refused = err
			continue
		}
		if err != nil {
			return "", err
		}
		if did || j.replayed {
			changed++
		}
	}
	if changed == 0 && refused != nil {
		return "", refused
	}
	if c.Verb == commands.VerbBlock {
		return fmt.Sprintf("blocked commit %s in %s: no release containing it deploys until `/deploy unblock %s`", short(c.SHA), j.repo, short(c.SHA)), nil
	}
	if changed == 0 {
		return "", refuse("commit %s is not blocked in %s", short(c.SHA), j.repo)
	}
	return fmt.Sprintf("unblocked commit %s in %s", short(c.SHA), j.repo), nil
}

// orgWide runs pause --org and resume --org on every pipeline of every
// repository of the installation.
func (r *runner) orgWide(ctx context.Context, j *job) (string, error) {
	c := j.req.Command
	if c.Verb != commands.VerbPause && c.Verb != commands.VerbResume {
		return "", refuse("--org goes with pause and resume only")
	}
	if err := r.authorize(ctx, j, commands.Subject{}); err != nil {
		return "", err
	}
	repos, err := r.Installations.Repositories(ctx, j.inst)
	if err != nil {
		return "", fmt.Errorf("repositories of installation %d: %w", j.inst, err)
	}
	n := 0
	for _, rp := range repos {
		pipes, err := r.Index.EngineKeys(ctx, rp.FullName)
		if err != nil {
			return "", fmt.Errorf("pipelines of %s: %w", rp.FullName, err)
		}
		for _, k := range pipes {
			err := r.apply(ctx, j, pipeline.Key(k), func(_ pipeline.Pipeline, st *pipeline.State) error {
				if c.Verb == commands.VerbPause {
					return pipeline.PauseOrg(st, j.login, c.Reason)
				}
				pipeline.ResumeOrg(st)
				return nil
			})
			if err != nil {
				return "", err
			}
			n++
		}
	}
	org, _, _ := strings.Cut(j.repo, "/")
	if c.Verb == commands.VerbPause {
		return fmt.Sprintf("paused %d %s of every repository of %s until `/deploy resume --org`", n, plural(n, "pipeline"), org), nil
	}
	return fmt.Sprintf("resumed %d %s of every repository of %s", n, plural(n, "pipeline"), org), nil
}
