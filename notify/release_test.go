package notify

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/pipeline"
)

var releaseStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func releasePipeline() pipeline.Pipeline {
	return pipeline.Pipeline{Name: "app", DeployTimeout: 30 * time.Minute, Stages: []pipeline.Stage{
		{Name: "alpha", Targets: []string{"alpha"}, Bake: 10 * time.Minute},
		{Name: "gamma", Targets: []string{"gamma-1", "gamma-2"}, Parallel: 2, OneBox: true, Bake: 30 * time.Minute},
		{Name: "approve", Approval: &pipeline.Approval{Timeout: 24 * time.Hour}},
		{Name: "wave-1", Targets: []string{"prod-1"}, OneBox: true, Bake: time.Hour},
	}}
}

// drive plans release 1 from its push until `until`, every deploy taking a
// minute and failing where fail says.
func drive(t *testing.T, r pipeline.Release, until time.Duration, fail func(pipeline.DeployEffect) bool, decide func(*pipeline.State, time.Time)) (pipeline.State, pipeline.Result, time.Time) {
	t.Helper()
	p := releasePipeline()
	var st pipeline.State
	r.CreatedAt = releaseStart
	if err := pipeline.AddRelease(&st, r); err != nil {
		t.Fatal(err)
	}
	now := releaseStart
	type pending struct {
		key, outcome string
		at           time.Time
	}
	var queue []pending
	res := pipeline.Plan(p, st, pipeline.Inputs{}, now)
	for step := 0; step < 1000; step++ {
		st = res.State
		for _, d := range res.Deploys {
			outcome := pipeline.OutcomeSuccess
			if fail != nil && fail(d) {
				outcome = pipeline.OutcomeFailed
			}
			queue = append(queue, pending{d.Step.Key, outcome, now.Add(time.Minute)})
		}
		next := res.WakeAt
		for _, q := range queue {
			if next.IsZero() || q.at.Before(next) {
				next = q.at
			}
		}
		if decide != nil && len(res.Held) > 0 && res.Held[0].Blockers[0].Kind == pipeline.BlockerApproval {
			decide(&st, now)
			decide = nil
			res = pipeline.Plan(p, st, pipeline.Inputs{}, now)
			continue
		}
		if next.IsZero() || next.After(releaseStart.Add(until)) {
			return st, res, releaseStart.Add(until)
		}
		now = next
		kept := queue[:0]
		for _, q := range queue {
			if q.at.Equal(now) {
				if _, err := pipeline.RecordOutcome(&st, q.key, q.outcome, "exit status 1", now); err != nil {
					t.Fatal(err)
				}
				continue
			}
			kept = append(kept, q)
		}
		queue = kept
		res = pipeline.Plan(p, st, pipeline.Inputs{}, now)
	}
	t.Fatal("did not settle")
	return st, res, now
}

func TestReleaseCommentGolden(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	approve := func(st *pipeline.State, now time.Time) {
		if err := pipeline.Decide(releasePipeline(), st, 1, "approve", true, "lead", "", false, now); err != nil {
			t.Fatal(err)
		}
	}
	reject := func(st *pipeline.State, now time.Time) {
		if err := pipeline.Decide(releasePipeline(), st, 1, "approve", false, "lead", "<!here> @channel | <b>not now</b>", false, now); err != nil {
			t.Fatal(err)
		}
	}
	links := Links{Compare: "https://github.com/acme/api/compare/abc1234...def5678", CheckRun: "https://github.com/acme/api/runs/42",
		PullPrefix: "https://github.com/acme/api/pull/", Deployments: "https://github.com/acme/api/deployments"}
	sha := "def5678901234567890123456789012345678901"
	tests := []struct {
		name    string
		release pipeline.Release
		until   time.Duration
		fail    func(pipeline.DeployEffect) bool
		decide  func(*pipeline.State, time.Time)
	}{
		{"release-baking.md", pipeline.Release{ID: 1, SHA: sha}, 20 * time.Minute, nil, nil},
		{"release-approval.md", pipeline.Release{ID: 1, SHA: sha}, 3 * time.Hour, nil, nil},
		{"release-released.md", pipeline.Release{ID: 1, SHA: sha}, 24 * time.Hour, nil, approve},
		{"release-rejected-hostile.md", pipeline.Release{ID: 1, SHA: sha}, 24 * time.Hour, nil, reject},
		{"release-failed.md", pipeline.Release{ID: 1, SHA: sha}, 3 * time.Hour,
			func(d pipeline.DeployEffect) bool {
				return d.Target == "gamma-2" && d.Step.Action == pipeline.ActionDeploy
			}, nil},
		{"release-unreviewed.md", pipeline.Release{ID: 1, SHA: sha, Unreviewed: []string{"d1 reached main without a merged pull request"}}, time.Hour, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, res, now := drive(t, tc.release, tc.until, tc.fail, tc.decide)
			v, err := BuildReleaseView("acme/api", releasePipeline(), st, 1, res.Held, now, links)
			if err != nil {
				t.Fatal(err)
			}
			body, err := r.ReleaseComment(v)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(body, "<!-- wavegate:release acme/api/app/1 -->") {
				t.Fatalf("the comment lacks its marker:\n%s", body)
			}
			// Every table row keeps its three columns whatever the text.
			for _, line := range strings.Split(body, "\n") {
				if strings.HasPrefix(line, "| ") && len(regexp.MustCompile(`[^\\]\|`).FindAllString(line, -1)) != 3 {
					t.Errorf("broken table row: %s", line)
				}
			}
			golden(t, tc.name, body)
			goldenSlack(t, r, strings.TrimSuffix(tc.name, ".md")+".slack.json", v)
		})
	}
}

// goldenSlack compares the release's Slack message, blocks as Slack gets
// them, with its golden file.
func goldenSlack(t *testing.T, r *Renderer, name string, v ReleaseView) {
	t.Helper()
	m, err := r.SlackRelease(v)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.MarshalIndent(map[string]any{"text": m.Text, "blocks": m.Blocks}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, name, string(data)+"\n")
}

func TestSlackText(t *testing.T) {
	tests := map[string]string{
		"<!here> ping":       "&lt;!here&gt; ping",
		"<@U123> hi":         "&lt;@U123&gt; hi",
		"a & b":              "a &amp; b",
		"*bold* _it_":        "*\u200dbold*\u200d _\u200dit_\u200d",
		"<https://x|click>":  "&lt;https://x|click&gt;",
		"two\nlines":         "two lines",
		"plain words, 100 %": "plain words, 100 %",
	}
	for in, want := range tests {
		if got := SlackText(in); got != want {
			t.Errorf("SlackText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatLeft(t *testing.T) {
	for d, want := range map[time.Duration]string{
		20 * time.Second: "under a minute", 22*time.Minute + 10*time.Second: "22m",
		time.Hour: "1h", 65 * time.Minute: "1h5m", 119*time.Minute + 50*time.Second: "2h",
	} {
		if got := formatLeft(d); got != want {
			t.Errorf("formatLeft(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestReleaseCommentShowsOverridesEscaped(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	st, _, now := drive(t, pipeline.Release{ID: 1, SHA: "def5678901234567890123456789012345678901",
		Unreviewed: []string{"d1 reached main without a merged pull request"}}, 30*time.Minute, nil, nil)
	if err := pipeline.AddOverride(&st, pipeline.Override{ReleaseID: 1, Blocker: pipeline.BlockerUnreviewed,
		By: "sre-lead", Reason: "<!channel> hotfix | <img src=x> *now*", At: now}); err != nil {
		t.Fatal(err)
	}
	v := goldenPlanned(t, r, "release-overridden-hostile", st, now)
	m, err := r.SlackRelease(v)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(m.Blocks)
	for _, bad := range []string{"<!channel>", "<img", "*now*"} {
		if strings.Contains(string(data), bad) || strings.Contains(m.Text, bad) {
			t.Errorf("the Slack message carries %q unescaped: %s", bad, data)
		}
	}
}

// bigView is a release across stages×targets long-named targets, all but
// the last stage finished.
func bigView(stages, targets int) ReleaseView {
	v := ReleaseView{Repository: "acme/api", Pipeline: "app", ReleaseID: 9, SHA: "def5678", Status: "in progress"}
	for i := range stages {
		s := StageView{Name: fmt.Sprintf("stage-%d", i), Status: "succeeded"}
		if i == stages-1 {
			s.Status = "active"
		}
		for j := range targets {
			s.Targets = append(s.Targets, TargetView{Name: fmt.Sprintf("region-%d-cell-%d-with-a-long-name", i, j), State: "done"})
		}
		v.Stages = append(v.Stages, s)
	}
	return v
}

func TestReleaseCommentFoldsFinishedStagesToFit(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		view          ReleaseView
		details, rows bool // finished stages folded into <details>; the first stage's targets listed
		cut           bool
	}{
		{"small: nothing folded", bigView(3, 3), false, true, false},
		{"finished stages folded and counted", bigView(60, 25), true, false, false},
		{"too big even so: cut", bigView(3000, 1), true, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := r.ReleaseComment(tc.view)
			if err != nil {
				t.Fatal(err)
			}
			if len(body) > CheckRunTextLimit {
				t.Fatalf("body is %d bytes; limit %d", len(body), CheckRunTextLimit)
			}
			if got := strings.Contains(body, "<details><summary>"); got != tc.details {
				t.Errorf("folded = %v, want %v", got, tc.details)
			}
			if got := strings.Contains(body, Markdown("region-0-cell-0-with-a-long-name")); got != tc.rows {
				t.Errorf("first stage's targets shown = %v, want %v", got, tc.rows)
			}
			if got := strings.Contains(body, "cut to fit"); got != tc.cut {
				t.Errorf("cut = %v, want %v", got, tc.cut)
			}
			last := tc.view.Stages[len(tc.view.Stages)-1].Name
			if !tc.cut && !strings.Contains(body, "| "+Markdown(last)+" | active |") {
				t.Errorf("the active stage %s is not in the main table", last)
			}
		})
	}
}

func TestReleaseCommentRolledBackByHandGolden(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	approve := func(st *pipeline.State, now time.Time) {
		if err := pipeline.Decide(releasePipeline(), st, 1, "approve", true, "lead", "", false, now); err != nil {
			t.Fatal(err)
		}
	}
	st, _, now := drive(t, pipeline.Release{ID: 1, SHA: "def5678901234567890123456789012345678901"}, 24*time.Hour, nil, approve)
	// Every target ran abc1234 before: that is what goes back.
	for _, run := range st.Releases[0].Stages {
		for _, tr := range run.Targets {
			tr.RollbackTo = "abc1234000000000000000000000000000000000"
		}
	}
	if err := pipeline.Rollback(releasePipeline(), &st, 1, "", "", "ada", "<!here> checkout errors | *p99*", now); err != nil {
		t.Fatal(err)
	}
	goldenPlanned(t, r, "release-rolled-back", st, now)
}

// goldenPlanned plans st at now and compares release 1's comment and
// Slack message with the golden files name.md and name.slack.json.
func goldenPlanned(t *testing.T, r *Renderer, name string, st pipeline.State, now time.Time) ReleaseView {
	t.Helper()
	res := pipeline.Plan(releasePipeline(), st, pipeline.Inputs{}, now)
	v, err := BuildReleaseView("acme/api", releasePipeline(), res.State, 1, res.Held, now, Links{})
	if err != nil {
		t.Fatal(err)
	}
	body, err := r.ReleaseComment(v)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, name+".md", body)
	goldenSlack(t, r, name+".slack.json", v)
	return v
}

// What people did with commands shows in every report: overrides with how
// long they last, the approval decisions, the blocked commits the release
// contains, the pauses; and what holds it names the command that lifts it.
func TestReleaseCommentCommandsGolden(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	blocked := "bad0bad0000000000000000000000000000000b1"
	st, _, now := drive(t, pipeline.Release{ID: 1, SHA: "def5678901234567890123456789012345678901", Commits: []string{blocked},
		Unreviewed: []string{"d1 reached main without a merged pull request"}}, 0, nil, nil)
	// Nothing deployed yet: the unreviewed commit holds it. Overridden for
	// an hour; an earlier override of the alarm has lapsed.
	for _, o := range []pipeline.Override{
		{ReleaseID: 1, Blocker: pipeline.BlockerUnreviewed, By: "sre-lead", Reason: "reviewed in person", At: now, Until: now.Add(time.Hour)},
		{ReleaseID: 1, Blocker: pipeline.BlockerAlarm, Stage: "gamma", By: "sre-lead", Reason: "flaky <alarm>", At: now.Add(-2 * time.Hour), Until: now.Add(-time.Hour)},
	} {
		if err := pipeline.AddOverride(&st, o); err != nil {
			t.Fatal(err)
		}
	}
	res := pipeline.Plan(releasePipeline(), st, pipeline.Inputs{}, now)
	st = res.State
	now = now.Add(5 * time.Minute)
	if _, err := pipeline.RecordOutcome(&st, res.Deploys[0].Step.Key, pipeline.OutcomeSuccess, "", now.Add(-4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Baking in alpha when its commit is blocked and the pipeline paused:
	// nothing is held yet, so the pauses are listed apart.
	if err := pipeline.Block(&st, blocked[:7], "ada", "leaks *memory*", now); err != nil {
		t.Fatal(err)
	}
	if err := pipeline.PauseOrg(&st, "owner", "incident 7"); err != nil {
		t.Fatal(err)
	}
	if err := pipeline.Pause(&st, "lead", "deploy freeze"); err != nil {
		t.Fatal(err)
	}
	goldenPlanned(t, r, "release-commands-baking", st, now)
	// Once alpha baked, gamma's deploys are held: the pauses and the block
	// say so, each with its command.
	v := goldenPlanned(t, r, "release-commands-held", st, now.Add(20*time.Minute))
	if len(v.Paused) != 0 || len(v.Blocked) != 3 {
		t.Fatalf("paused %+v blocked %+v; want every hold in Waiting", v.Paused, v.Blocked)
	}
}
