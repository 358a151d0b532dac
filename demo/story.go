package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wavegate/wavegate/deploy"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/web"
)

// The story's names.
const (
	pipelineName = "shop"
	approvalName = "release-approval"
	alarmStage   = "wave-1"
	alarmTarget  = "prod-us-west-2a"
)

// Story pauses, in demo time: long enough to read the page between steps.
const (
	readPause  = 30 * time.Minute
	alarmAfter = 10 * time.Minute
)

const (
	untickedBody = "Checkout does one query instead of three.\n\n- [x] Sufficient test coverage\n- [ ] Rollback tested\n"
	tickedBody   = "Checkout does one query instead of three.\n\n- [x] Sufficient test coverage\n- [x] Rollback tested\n"
)

// pull is one pull request of the story.
type pull struct {
	number        int
	title, author string
	branch, body  string
}

func (p pull) head() string  { return sha(fmt.Sprintf("pull-%d-head", p.number)) }
func (p pull) merge() string { return sha(fmt.Sprintf("pull-%d-merge", p.number)) }

func (p pull) fake(merged bool) githubfake.Pull {
	fp := githubfake.Pull{Number: p.number, Title: p.title, Body: p.body, User: p.author, HeadRef: p.branch,
		HeadSHA: p.head(), BaseRef: "main", Files: []githubfake.File{{Filename: "checkout/" + p.branch + ".go", Additions: 40, Deletions: 12}}}
	if merged {
		fp.State, fp.Merged, fp.MergedBy, fp.MergeCommitSHA = "closed", true, p.author, p.merge()
	}
	return fp
}

func (p pull) json(merged bool) map[string]any {
	m := map[string]any{"number": p.number, "state": "open", "title": p.title, "body": p.body, "draft": false,
		"user": user(p.author), "head": map[string]any{"sha": p.head(), "ref": p.branch},
		"base": map[string]any{"ref": "main", "sha": sha("root")}, "merged": merged}
	if merged {
		m["state"], m["merge_commit_sha"] = "closed", p.merge()
	}
	return m
}

// story plays the demo's script against the running Wavegate; it returns
// once the third release is rolled back and its stage held, and then, in
// the background, resumes that stage if nobody has after resumeAfter.
func (d *Demo) story(ctx context.Context) error {
	s := d.sim
	if err := s.deliver(ctx, "installation", map[string]any{"action": "created",
		"installation": map[string]any{"id": installationID, "account": map[string]any{"login": owner, "type": "Organization"}},
		"repositories": []any{map[string]any{"id": repoID, "name": repoName, "full_name": repoFull, "private": false}}}); err != nil {
		return err
	}
	go d.approvals(ctx)

	pr1 := pull{number: 1, title: "Checkout in one query", author: authorAna, branch: "one-query-checkout", body: untickedBody}
	if err := d.open(ctx, pr1); err != nil {
		return err
	}
	d.say("PR #1 %q by %s is open: the review gate's check run fails (no approval; checklist item \"Rollback tested\" not ticked)", pr1.title, pr1.author)
	if err := d.pause(ctx, readPause); err != nil {
		return err
	}
	d.say("%s ticks the checklist; the gate still waits for an approval", pr1.author)
	pr1.body = tickedBody
	d.sim.gh.AddPull(repoFull, pr1.fake(false))
	if err := s.deliver(ctx, "pull_request", map[string]any{"action": "edited", "number": pr1.number, "pull_request": pr1.json(false),
		"changes": map[string]any{"body": map[string]any{"from": untickedBody}}, "sender": user(pr1.author)}); err != nil {
		return err
	}
	if err := d.pause(ctx, readPause); err != nil {
		return err
	}
	d.say("%s approves PR #1", reviewer)
	if err := d.approve(ctx, pr1); err != nil {
		return err
	}
	d.say("The review gate passes; %s merges PR #1 into main, which starts a release", pr1.author)
	if err := d.mergeAndPush(ctx, pr1, nil); err != nil {
		return err
	}

	if err := d.until(ctx, func(st pipeline.State) bool { return reached(st, 1, "gamma") }); err != nil {
		return err
	}
	pr2 := pull{number: 2, title: "Show delivery dates in the cart", author: authorLee, branch: "delivery-dates", body: tickedBody}
	d.say("PR #2 %q by %s is reviewed and merged while release 1 is in gamma: its release follows", pr2.title, pr2.author)
	if err := d.reviewedPull(ctx, pr2, pr1); err != nil {
		return err
	}

	if err := d.until(ctx, func(st pipeline.State) bool { return reached(st, 2, alarmStage) }); err != nil {
		return err
	}
	pr3 := pull{number: 3, title: "Cache product images", author: authorAna, branch: "image-cache", body: tickedBody}
	d.say("PR #3 %q by %s is reviewed and merged: its release will trip an alarm in %s", pr3.title, pr3.author, alarmStage)
	if err := d.reviewedPull(ctx, pr3, pr2); err != nil {
		return err
	}

	if err := d.until(ctx, func(st pipeline.State) bool {
		return phase(st, 3, alarmStage, alarmTarget) == pipeline.PhaseOneboxBaking
	}); err != nil {
		return err
	}
	if err := d.pause(ctx, alarmAfter); err != nil {
		return err
	}
	startsAt := d.clk.Now()
	d.alarmFiring.Store(true)
	d.say("Alertmanager: HighErrorRate fires on %s, where release 3 bakes on one box", alarmTarget)
	if err := s.alert(ctx, alarmTarget, "firing", startsAt); err != nil {
		return err
	}
	if err := d.until(ctx, func(st pipeline.State) bool { return rolledBackAndHeld(st, 3) }); err != nil {
		return err
	}
	for _, id := range []int64{1, 2} {
		if err := d.until(ctx, func(pipeline.State) bool { return d.endedAs(id) != "" }); err != nil {
			return err
		}
	}
	d.say("Release 3 was rolled back on %s; %s stays held for newer releases until someone with maintain gives /deploy resume: "+
		"you can, as @%s, with Resume on its page %s (signed in), or in a comment on PR #3's page %s",
		alarmTarget, alarmStage, viewer, d.url+web.ReleaseURL(repoFull, pipelineName, 3), d.PullURL(3))
	close(d.finished)
	if d.opts.ResumeAfter < 0 {
		return nil
	}
	return d.resumeLater(ctx, pr3, d.opts.ResumeAfter)
}

// onDeploy runs as each simulated deploy finishes: the rollback of the
// alarmed target fixes it, so the alarm resolves before the rollback is
// reported, as it would in production.
func (d *Demo) onDeploy(ctx context.Context, p deploy.Payload) {
	if p.Action != deploy.ActionRollback || p.Target != alarmTarget || !d.alarmFiring.CompareAndSwap(true, false) {
		return
	}
	d.say("The rollback is in place on %s: HighErrorRate resolves", alarmTarget)
	if err := d.sim.alert(ctx, alarmTarget, "resolved", d.clk.Now()); err != nil {
		d.fail(err)
	}
}

// resumeLater resumes the held stage as the maintainer, unless someone
// did first.
func (d *Demo) resumeLater(ctx context.Context, pr pull, after time.Duration) error {
	d.say("If nobody resumes %s, %s will in %s of demo time (%s)", alarmStage, maintainer, after, d.real(after))
	if err := d.pause(ctx, after); err != nil {
		return err
	}
	if _, held := d.latest().Holds[alarmStage]; !held {
		return nil
	}
	d.say("%s resumes %s with /deploy resume on PR #%d", maintainer, alarmStage, pr.number)
	return d.comment(ctx, pr, maintainer, "Error rate is back to normal after the rollback; the image cache fix follows in a new PR.\n/deploy resume")
}

// approvals approves each release waiting at the approval stage as the
// release manager, after opts.ApproveAfter, unless the viewer approved it
// first.
func (d *Demo) approvals(ctx context.Context) {
	seen := map[int64]bool{}
	for {
		var waiting *pipeline.Release
		err := d.until(ctx, func(st pipeline.State) bool {
			for _, r := range st.Releases {
				if run := r.Stages[approvalName]; run != nil && run.Status == pipeline.StageActive && run.Decision == nil && !seen[r.ID] {
					waiting = r
					return true
				}
			}
			return false
		})
		if err != nil {
			return
		}
		seen[waiting.ID] = true
		go d.approveLater(ctx, waiting.ID, waiting.Pulls)
	}
}

func (d *Demo) approveLater(ctx context.Context, id int64, pulls []int) {
	where := ""
	if len(pulls) > 0 {
		where = fmt.Sprintf(" on PR #%d's page %s (its Approve button, or a /deploy approve comment)", pulls[0], d.PullURL(pulls[0]))
	}
	d.say("Release %d waits at %s: approve it yourself as @%s on its page %s (signed in), or%s, or %s will in %s of demo time (%s)",
		id, approvalName, viewer, d.url+web.ReleaseURL(repoFull, pipelineName, id), where, approver, d.opts.ApproveAfter, d.real(d.opts.ApproveAfter))
	if err := d.pause(ctx, d.opts.ApproveAfter); err != nil {
		return
	}
	if r := d.latest().Release(id); r == nil || r.Stages[approvalName] == nil || r.Stages[approvalName].Decision != nil {
		return // decided on the page (the narration says by whom) or gone
	}
	if len(pulls) == 0 {
		d.fail(fmt.Errorf("demo: release %d has no pull request to comment /deploy approve on", id))
		return
	}
	d.say("%s approves release %d with /deploy approve on PR #%d", approver, id, pulls[0])
	if err := d.comment(ctx, pull{number: pulls[0]}, approver, "Dashboards look good.\n/deploy approve --reason \"gamma is healthy\""); err != nil {
		d.fail(err)
	}
}

// open opens a pull request.
func (d *Demo) open(ctx context.Context, p pull) error {
	d.sim.gh.AddCommit(repoFull, githubfake.Commit{SHA: p.head(), Message: p.title, Author: p.author})
	d.sim.gh.SetFile(repoFull, p.head(), ".github/wavegate.yml", pipelineYAML)
	d.sim.gh.AddPull(repoFull, p.fake(false))
	return d.sim.deliver(ctx, "pull_request", map[string]any{"action": "opened", "number": p.number,
		"pull_request": p.json(false), "sender": user(p.author)})
}

// approve submits the reviewer's approving review.
func (d *Demo) approve(ctx context.Context, p pull) error {
	d.sim.gh.AddReview(repoFull, p.number, githubfake.Review{User: reviewer, State: "APPROVED", CommitID: p.head(), Body: "Looks good."})
	return d.sim.deliver(ctx, "pull_request_review", map[string]any{"action": "submitted", "pull_request": p.json(false),
		"review": map[string]any{"state": "approved", "user": user(reviewer), "commit_id": p.head(), "body": "Looks good."},
		"sender": user(reviewer)})
}

// reviewedPull opens p, approves and merges it on top of parent.
func (d *Demo) reviewedPull(ctx context.Context, p, parent pull) error {
	if err := d.open(ctx, p); err != nil {
		return err
	}
	if err := d.approve(ctx, p); err != nil {
		return err
	}
	return d.mergeAndPush(ctx, p, &parent)
}

// mergeAndPush merges p into main and delivers the push: a release.
func (d *Demo) mergeAndPush(ctx context.Context, p pull, parent *pull) error {
	gh := d.sim.gh
	before := sha("root")
	if parent != nil {
		before = parent.merge()
	}
	merge := p.merge()
	gh.AddCommit(repoFull, githubfake.Commit{SHA: merge, Message: fmt.Sprintf("%s (#%d)", p.title, p.number), Author: p.author, Parents: []string{before, p.head()}})
	gh.SetFile(repoFull, merge, ".github/wavegate.yml", pipelineYAML)
	gh.AddPull(repoFull, p.fake(true))
	gh.SetCommitPulls(repoFull, merge, p.number)
	gh.SetBranch(repoFull, "main", merge)
	if err := d.sim.deliver(ctx, "pull_request", map[string]any{"action": "closed", "number": p.number,
		"pull_request": p.json(true), "sender": user(p.author)}); err != nil {
		return err
	}
	file := "checkout/" + p.branch + ".go"
	return d.sim.deliver(ctx, "push", map[string]any{"ref": "refs/heads/main", "before": before, "after": merge,
		"created": false, "deleted": false, "forced": false,
		"commits": []any{map[string]any{"id": merge, "message": fmt.Sprintf("%s (#%d)", p.title, p.number), "distinct": true,
			"author":   map[string]any{"name": p.author, "email": p.author + "@demo.invalid", "username": p.author},
			"modified": []string{file}, "added": []string{}, "removed": []string{}}},
		"head_commit": map[string]any{"id": merge}, "pusher": map[string]any{"name": p.author}, "sender": user(p.author)})
}

// comment posts a PR comment as login and delivers it: a command.
func (d *Demo) comment(ctx context.Context, p pull, login, body string) error {
	id := d.sim.gh.AddComment(repoFull, p.number, login, body)
	now := d.clk.Now().UTC().Format(time.RFC3339)
	return d.sim.deliver(ctx, "issue_comment", map[string]any{"action": "created",
		"issue": map[string]any{"number": p.number, "pull_request": map[string]any{"url": fmt.Sprintf("%srepos/%s/pulls/%d", d.sim.gh.URL(), repoFull, p.number)}},
		"comment": map[string]any{"id": id, "body": body, "created_at": now, "updated_at": now,
			"html_url": fmt.Sprintf("https://github.com/%s/pull/%d#issuecomment-%d", repoFull, p.number, id), "user": user(login)},
		"sender": user(login)})
}

// press delivers a press of a check run's button by the viewer.
func (d *Demo) press(ctx context.Context, run githubfake.CheckRun, button string) error {
	return d.sim.deliver(ctx, "check_run", map[string]any{"action": "requested_action",
		"check_run": map[string]any{"id": run.ID, "name": run.Name, "head_sha": run.HeadSHA, "external_id": run.ExternalID,
			"status": run.Status, "html_url": fmt.Sprintf("https://github.com/%s/runs/%d", repoFull, run.ID)},
		"requested_action": map[string]any{"identifier": button}, "sender": user(viewer)})
}

// PullURL is pull request number's page on the simulated GitHub, where the
// viewer acts as @you (comments, check-run buttons).
func (d *Demo) PullURL(number int) string {
	return fmt.Sprintf("%s%s/pull/%d", d.sim.gh.URL(), repoFull, number)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// reached reports whether release id started stage.
func reached(st pipeline.State, id int64, stage string) bool {
	r := st.Release(id)
	return r != nil && r.Stages[stage] != nil
}

func phase(st pipeline.State, id int64, stage, target string) pipeline.Phase {
	if r := st.Release(id); r != nil && r.Stages[stage] != nil && r.Stages[stage].Targets[target] != nil {
		return r.Stages[stage].Targets[target].Phase
	}
	return ""
}

// rolledBackAndHeld: the release failed, its rollback finished, and the
// stage is held for newer releases.
func rolledBackAndHeld(st pipeline.State, id int64) bool {
	r := st.Release(id)
	h := st.Holds[alarmStage]
	return r != nil && r.Status == pipeline.ReleaseFailed && h != nil && h.ReleaseID == id &&
		slices.Contains([]pipeline.Phase{pipeline.PhaseRolledBack, pipeline.PhaseRollbackFailed, pipeline.PhaseNothingToRollBack},
			phase(st, id, alarmStage, alarmTarget))
}
