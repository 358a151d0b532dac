package notify

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wavegate/wavegate/pipeline"
)

// What people did to a release with /deploy commands and buttons, as its
// reports show it: overrides, approvals, blocked commits and pauses, each
// with who and why, and, for what holds the release, the command that
// lifts it.

// OverrideView is one override of the release.
type OverrideView struct {
	Kind          string
	Stage, Target string // "" for any
	By, Reason    string
	// Lasts says how long it lifts the blocker: "until 14:05 UTC", "lapsed
	// at 14:05 UTC"; "" for as long as the release.
	Lasts string
}

// DecisionView is an approval or a rejection of an approval stage.
type DecisionView struct {
	Stage    string
	Approved bool
	By       string
	Reason   string // "" when none was given
	At       string // "14:02 UTC"
}

// CommitBlockView is a blocked commit the release contains.
type CommitBlockView struct {
	SHA        string // short
	By, Reason string
	At         string // "14:02 UTC"
	// Overridden says an override of blocked-commit lets this release go
	// anyway (a revert of the commit, say), everywhere: one limited to a
	// stage or target is in the overrides, with its scope.
	Overridden bool
}

func overrideViews(st pipeline.State, r *pipeline.Release, now time.Time) []OverrideView {
	var out []OverrideView
	for _, o := range st.Overrides {
		if o.ReleaseID != r.ID {
			continue
		}
		ov := OverrideView{Kind: string(o.Blocker), Stage: o.Stage, Target: o.Target, By: o.By, Reason: o.Reason}
		if !o.Until.IsZero() {
			ov.Lasts = "until " + clockTime(o.Until, now)
			if !o.Lifts(now) {
				ov.Lasts = "lapsed at " + clockTime(o.Until, now)
			}
		}
		out = append(out, ov)
	}
	return out
}

func decisionViews(p pipeline.Pipeline, r *pipeline.Release, now time.Time) []DecisionView {
	var out []DecisionView
	for _, s := range p.Stages {
		run := r.Stages[s.Name]
		if !s.IsApproval() || run == nil || run.Decision == nil {
			continue
		}
		d := run.Decision
		out = append(out, DecisionView{Stage: s.Name, Approved: d.Approved, By: d.By, Reason: d.Reason, At: clockTime(d.At, now)})
	}
	return out
}

// PauseView is a pause of the pipeline.
type PauseView struct {
	Reason string // "paused by @lead: incident 42"
	Help   string // the command that lifts it
}

func commitBlockViews(st pipeline.State, r *pipeline.Release, now time.Time) []CommitBlockView {
	var out []CommitBlockView
	for _, b := range st.Blocks(r) {
		lifted := slices.ContainsFunc(st.Overrides, func(o pipeline.Override) bool {
			return o.ReleaseID == r.ID && o.Blocker == pipeline.BlockerBlockedCommit && o.Stage == "" && o.Target == "" && o.Lifts(now)
		})
		out = append(out, CommitBlockView{SHA: shortSHA(b.SHA), By: b.By, Reason: b.Reason, At: clockTime(b.At, now), Overridden: lifted})
	}
	return out
}

// pauses are the pipeline's pauses that blocked, what holds the release's
// deploys, does not already say.
func pauses(st pipeline.State, r *pipeline.Release, blocked []BlockedView) []PauseView {
	var out []PauseView
	for _, p := range []string{st.OrgPaused, st.Paused} {
		if p != "" && !slices.ContainsFunc(blocked, func(b BlockedView) bool { return b.Reason == p }) {
			out = append(out, PauseView{Reason: p, Help: help(st, r, pipeline.Blocker{Kind: pipeline.BlockerPaused, Reason: p})})
		}
	}
	return out
}

// clockTime is t as people read it beside now: "14:05 UTC" on the same
// day, "24 Nov 14:05 UTC" on another.
func clockTime(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04 UTC")
	}
	return t.Format("2 Jan 15:04 UTC")
}

// help says how people lift a blocker: the /deploy command, typed in a
// comment of the pull request or in Slack, and the button where there is
// one. A blocker only time lifts gets the override that goes sooner.
func help(st pipeline.State, r *pipeline.Release, b pipeline.Blocker) string {
	switch b.Kind {
	case pipeline.BlockerApproval:
		return "/deploy approve, or Approve on the check run"
	case pipeline.BlockerPaused:
		if st.OrgPaused != "" && b.Reason == st.OrgPaused {
			return "an organization owner: /deploy resume --org"
		}
		return "/deploy resume, or Resume on the check run"
	case pipeline.BlockerRollback:
		return "/deploy resume, or Resume on the check run; to let this release alone in: /deploy override rollback --reason ..."
	case pipeline.BlockerBlockedCommit:
		sha := "SHA"
		for _, cb := range st.Blocks(r) {
			if pipeline.BlockReason(cb) == b.Reason {
				sha = shortSHA(cb.SHA)
			}
		}
		return fmt.Sprintf("/deploy unblock %s; to let this release alone go (one that reverts it): /deploy override blocked-commit --reason ...", sha)
	case pipeline.BlockerUnreviewed, pipeline.BlockerAlarm, pipeline.BlockerWindow, pipeline.BlockerFreeze:
		return "/deploy override " + string(b.Kind) + " --reason ..."
	}
	return ""
}

// Verb is "approved" or "rejected", for the templates.
func (d DecisionView) Verb() string {
	if d.Approved {
		return "approved"
	}
	return "rejected"
}

// command finds the /deploy commands in a help text (its second group): a
// /deploy that starts a word, the words and flags after it, and the "..." a
// --reason wants.
var command = regexp.MustCompile(`(^|[^A-Za-z0-9_/])(/deploy(?: [A-Za-z0-9][A-Za-z0-9-]*| --[a-z]+)*(?: \.\.\.| "\.\.\.")?)`)

// withCommands escapes s with escape, but for its /deploy commands, which
// it sets as code so that people can copy them as they are.
func withCommands(s string, escape func(string) string) string {
	var b strings.Builder
	last := 0
	for _, m := range command.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(escape(s[last:m[4]]))
		b.WriteString("`" + s[m[4]:m[5]] + "`")
		last = m[5]
	}
	b.WriteString(escape(s[last:]))
	return b.String()
}

// MarkdownHelp is a help text for GitHub Markdown, its commands as code.
func MarkdownHelp(s string) string { return withCommands(s, Markdown) }

// SlackHelp is a help text for Slack mrkdwn, its commands as code.
func SlackHelp(s string) string { return withCommands(s, SlackText) }
