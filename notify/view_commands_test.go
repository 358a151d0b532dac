package notify

import (
	"testing"
	"time"

	"github.com/wavegate/wavegate/pipeline"
)

func TestHelpNamesTheCommand(t *testing.T) {
	r := &pipeline.Release{ID: 4, SHA: "def5678", Commits: []string{"bad0bad1"}}
	st := pipeline.State{OrgPaused: "paused for every repository of the organization by @o: x", Paused: "paused by @l: y",
		Blocked: []pipeline.CommitBlock{{SHA: "bad0bad", By: "ada", Reason: "leaks", FromRelease: 3}}}
	tests := []struct {
		kind   pipeline.BlockerKind
		reason string
		want   string
	}{
		{pipeline.BlockerApproval, "waiting for approval", "/deploy approve, or Approve on the check run"},
		{pipeline.BlockerPaused, st.Paused, "/deploy resume, or Resume on the check run"},
		{pipeline.BlockerPaused, st.OrgPaused, "an organization owner: /deploy resume --org"},
		{pipeline.BlockerRollback, "gamma is held", "/deploy resume, or Resume on the check run; to let this release alone in: /deploy override rollback --reason ..."},
		{pipeline.BlockerBlockedCommit, "commit bad0bad is blocked by @ada: leaks",
			"/deploy unblock bad0bad; to let this release alone go (one that reverts it): /deploy override blocked-commit --reason ..."},
		{pipeline.BlockerBlockedCommit, "from elsewhere", "/deploy unblock SHA; to let this release alone go (one that reverts it): /deploy override blocked-commit --reason ..."},
		{pipeline.BlockerUnreviewed, "d1 was pushed", "/deploy override unreviewed --reason ..."},
		{pipeline.BlockerAlarm, "fires", "/deploy override alarm --reason ..."},
		{pipeline.BlockerWindow, "closed", "/deploy override window --reason ..."},
		{pipeline.BlockerFreeze, "frozen", "/deploy override freeze --reason ..."},
	}
	for _, tc := range tests {
		if got := help(st, r, pipeline.Blocker{Kind: tc.kind, Reason: tc.reason}); got != tc.want {
			t.Errorf("help(%s, %q) = %q, want %q", tc.kind, tc.reason, got, tc.want)
		}
	}
}

func TestHelpSetsCommandsAsCode(t *testing.T) {
	tests := []struct{ in, md, slack string }{
		{"/deploy approve, or Approve on the check run", "`/deploy approve`, or Approve on the check run", "`/deploy approve`, or Approve on the check run"},
		{"an organization owner: /deploy resume --org", "an organization owner: `/deploy resume --org`", "an organization owner: `/deploy resume --org`"},
		{"/deploy unblock bad0bad; to let it go: /deploy override blocked-commit --reason ...",
			"`/deploy unblock bad0bad`; to let it go: `/deploy override blocked-commit --reason ...`",
			"`/deploy unblock bad0bad`; to let it go: `/deploy override blocked-commit --reason ...`"},
		{`/deploy override alarm --stage prod --reason "..."`, "`/deploy override alarm --stage prod --reason \"...\"`", "`/deploy override alarm --stage prod --reason \"...\"`"},
		// Not a command: part of a check run's name.
		{"Approve on the wavegate/deploy check run", "Approve on the wavegate/deploy check run", "Approve on the wavegate/deploy check run"},
		{"<b>*x*</b> /deploy help", `\<b\>\*x\*\</b\> ` + "`/deploy help`", "&lt;b&gt;*\u200dx*\u200d&lt;/b&gt; `/deploy help`"},
	}
	for _, tc := range tests {
		if got := MarkdownHelp(tc.in); got != tc.md {
			t.Errorf("MarkdownHelp(%q) = %q, want %q", tc.in, got, tc.md)
		}
		if got := SlackHelp(tc.in); got != tc.slack {
			t.Errorf("SlackHelp(%q) = %q, want %q", tc.in, got, tc.slack)
		}
	}
}

func TestClockTime(t *testing.T) {
	now := time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC)
	for at, want := range map[time.Time]string{
		now.Add(20 * time.Minute):                   "23:50 UTC",
		now.Add(time.Hour):                          "24 Nov 00:30 UTC",
		now.Add(-24 * time.Hour):                    "22 Nov 23:30 UTC",
		now.In(time.FixedZone("PST", -8*3600)):      "23:30 UTC",
		now.AddDate(1, 0, 0).Add(-20 * time.Minute): "23 Nov 23:10 UTC",
	} {
		if got := clockTime(at, now); got != want {
			t.Errorf("clockTime(%v) = %q, want %q", at, got, want)
		}
	}
}

// A pause already shown as what holds a deploy is not listed again.
func TestPausesListedOnce(t *testing.T) {
	st := pipeline.State{OrgPaused: "org", Paused: "pipe"}
	r := &pipeline.Release{ID: 1}
	got := pauses(st, r, []BlockedView{{Kind: "paused", Reason: "pipe"}})
	if len(got) != 1 || got[0].Reason != "org" || got[0].Help != "an organization owner: /deploy resume --org" {
		t.Fatalf("pauses %+v", got)
	}
}

func TestCommitBlockViewsSayWhenOverridden(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	r := &pipeline.Release{ID: 4}
	block := pipeline.CommitBlock{SHA: "bad0bad0", By: "ada", Reason: "leaks", At: now, FromRelease: 3}
	o := pipeline.Override{ReleaseID: 4, Blocker: pipeline.BlockerBlockedCommit, By: "lin", Reason: "reverts it", At: now}
	scoped, lapsed, other := o, o, o
	scoped.Stage = "gamma"
	lapsed.Until = now
	other.ReleaseID = 5
	tests := []struct {
		name      string
		overrides []pipeline.Override
		want      bool
	}{
		{"none", nil, false},
		{"for the release", []pipeline.Override{o}, true},
		{"for one stage only", []pipeline.Override{scoped}, false},
		{"lapsed", []pipeline.Override{lapsed}, false},
		{"for another release", []pipeline.Override{other}, false},
	}
	for _, tc := range tests {
		st := pipeline.State{Blocked: []pipeline.CommitBlock{block}, Overrides: tc.overrides}
		got := commitBlockViews(st, r, now)
		want := CommitBlockView{SHA: "bad0bad", By: "ada", Reason: "leaks", At: "09:00 UTC", Overridden: tc.want}
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, want)
		}
	}
}
