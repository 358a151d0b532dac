package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wavegate/wavegate/pipeline"
)

// ReleaseView is one release as every report shows it: a PR comment, the
// wavegate/deploy check run and the Slack message are all rendered from it.
type ReleaseView struct {
	Repository string
	Pipeline   string
	ReleaseID  int64
	SHA        string
	Status     string // in progress | released | failed | superseded
	Reason     string
	Pulls      []int
	Stages     []StageView
	// Blocked lists what holds the release now, each with the command that
	// would help.
	Blocked []BlockedView
	// Overrides are the blockers people lifted for the release, with who
	// and why.
	Overrides []OverrideView
	// Decisions are the approvals and rejections of its approval stages.
	Decisions []DecisionView
	// BlockedCommits are the blocked commits the release contains.
	BlockedCommits []CommitBlockView
	// Paused are the pauses of the pipeline (its own, the organization's)
	// while the release is in progress and no deploy of it says so already.
	Paused []PauseView
	Links  Links
}

// StageView is one stage of the release.
type StageView struct {
	Name   string
	Status string // waiting | active | succeeded | failed | superseded | approval
	Detail string // "approved by @x", the failure's cause
	// Targets in declared order; approval stages have none.
	Targets []TargetView
}

// TargetView is one target in a stage.
type TargetView struct {
	Name  string
	State string // waiting, one-box deploying, one-box baking, deploying, baking, done, rolling back, rolled back, ...
	// Left is the bake time left, rounded to the minute; empty when not baking.
	Left string
	// Detail is what a bake waits for besides time: its data points
	// ("1,240 of 3,000 data points", "no data yet ..."), or why it goes on
	// past its time (an alarm query that cannot be evaluated).
	Detail string
}

// BlockedView is one blocker holding a deploy.
type BlockedView struct {
	Stage, Target string
	Kind          string
	Reason        string
	// Help is the command that would lift it, if people can.
	Help string
}

// Links point to where people look next.
type Links struct {
	Compare    string
	CheckRun   string
	PullPrefix string // e.g. https://github.com/acme/api/pull/
	// Deployments is the repository's deployments page, for pipelines
	// that deploy through GitHub.
	Deployments string
}

// BuildReleaseView describes release id of p's state at now; held is what
// Plan reported held.
func BuildReleaseView(repo string, p pipeline.Pipeline, st pipeline.State, id int64, held []pipeline.Held, now time.Time, links Links) (ReleaseView, error) {
	r := st.Release(id)
	if r == nil {
		return ReleaseView{}, fmt.Errorf("release %d of %s/%s: %w", id, repo, p.Name, pipeline.ErrNotFound)
	}
	p = st.PipelineOf(r, p)
	v := ReleaseView{Repository: repo, Pipeline: p.Name, ReleaseID: r.ID, SHA: r.SHA, Reason: r.Reason,
		Pulls: slices.Clone(r.Pulls), Links: links, Status: releaseStatus(r.Status)}
	for _, s := range p.Stages {
		v.Stages = append(v.Stages, stageView(s, r.Stages[s.Name], now))
	}
	for _, h := range held {
		if h.ReleaseID != r.ID {
			continue
		}
		for _, b := range h.Blockers {
			v.Blocked = append(v.Blocked, BlockedView{Stage: h.Stage, Target: h.Target, Kind: string(b.Kind), Reason: b.Reason, Help: help(st, r, b)})
		}
	}
	v.Overrides = overrideViews(st, r, now)
	v.Decisions = decisionViews(p, r, now)
	v.BlockedCommits = commitBlockViews(st, r, now)
	if r.Status == pipeline.ReleaseActive {
		v.Paused = pauses(st, r, v.Blocked)
	}
	return v, nil
}

func releaseStatus(s pipeline.ReleaseStatus) string {
	switch s {
	case pipeline.ReleaseSucceeded:
		return "released"
	case pipeline.ReleaseActive:
		return "in progress"
	}
	return string(s)
}

func stageView(s pipeline.Stage, run *pipeline.StageRun, now time.Time) StageView {
	sv := StageView{Name: s.Name, Status: "waiting"}
	if run != nil {
		sv.Status, sv.Detail = string(run.Status), run.Reason
		if run.Decision != nil && run.Decision.Approved {
			sv.Detail = "approved by @" + run.Decision.By
		}
	}
	if s.IsApproval() {
		if run != nil && run.Status == pipeline.StageActive {
			sv.Status = "approval"
		}
		return sv
	}
	for _, t := range s.Targets {
		tv := TargetView{Name: t, State: "waiting"}
		if run != nil {
			if tr := run.Targets[t]; tr != nil {
				tv.State = phaseWords(tr.Phase)
				if !tr.BakeUntil.IsZero() && now.Before(tr.BakeUntil) {
					tv.Left = formatLeft(tr.BakeUntil.Sub(now))
				}
				tv.Detail = bakeDetail(tr)
			}
		}
		sv.Targets = append(sv.Targets, tv)
	}
	return sv
}

func phaseWords(p pipeline.Phase) string {
	switch p {
	case pipeline.PhaseOneboxDeploying:
		return "one-box deploying"
	case pipeline.PhaseOneboxBaking:
		return "one-box baking"
	case pipeline.PhaseFullDeploying:
		return "deploying"
	case pipeline.PhaseFullBaking:
		return "baking"
	case pipeline.PhaseRollbackPending, pipeline.PhaseRollbackDeploying, pipeline.PhaseRollbackBaking:
		return "rolling back"
	case pipeline.PhaseRolledBack:
		return "rolled back"
	case pipeline.PhaseRollbackFailed:
		return "rollback failed"
	case pipeline.PhaseNothingToRollBack:
		return "failed, nothing to roll back to"
	}
	return string(p)
}

// formatLeft says how long a bake still runs, to the minute, the way people
// say it: "1h5m", "22m", "under a minute".
func formatLeft(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
}

// bakeDetail says what a baking target waits for besides time, from what
// Plan recorded: the data points while the stage counts them, and why the
// bake goes on past its time when the data points are not the reason.
func bakeDetail(tr *pipeline.TargetRun) string {
	if tr.Phase != pipeline.PhaseOneboxBaking && tr.Phase != pipeline.PhaseFullBaking {
		return ""
	}
	var parts []string
	dp := tr.Datapoints
	if dp.Min > 0 {
		parts = append(parts, dp.String())
	}
	if tr.Waiting != "" && (dp.Min == 0 || dp.Reached()) {
		parts = append(parts, tr.Waiting)
	}
	return strings.Join(parts, "; ")
}
