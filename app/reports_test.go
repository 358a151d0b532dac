package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

func TestReleaseCommentCreatedOnceEditedAndRecreated(t *testing.T) {
	fake := newFake(t)
	fake.AddPull("acme/api", githubfake.Pull{Number: 7, Title: "Faster checkout", User: "octo", HeadSHA: "h7"})
	clk := clock.NewFake(time.Now())
	performed := make(chan store.Effect, 100)
	cfg, workDir := deployingConfig(t, fake, deployScript)
	r := startWith(t, cfg, fake, clk, Options{WorkDir: workDir,
		OnEffectDone: func(e store.Effect, err error) {
			// An effect cut off by the test's shutdown is handed back, as it should be.
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("effect %s: %v", e.Key, err)
			}
			performed <- e
		}})
	ctx := t.Context()
	installAcme(t, r.app.Store(), clk.Now())
	ps := parsePipelines(t, enginePipelines)
	t0 := clk.Now()
	if _, err := r.app.runner.ApplyWith(ctx, pipeline.Key{Repository: "acme/api", Pipeline: "app"}, ps[0],
		func(_ pipeline.Pipeline, st *pipeline.State) error {
			return pipeline.AddRelease(st, pipeline.Release{ID: 1, SHA: "c1", Pulls: []int{7}, CreatedAt: t0})
		}); err != nil {
		t.Fatal(err)
	}
	// waitReports waits until n report effects have been performed.
	waitReports := func(n int) {
		t.Helper()
		for n > 0 {
			select {
			case e := <-performed:
				if e.Kind == effects.KindReport {
					n--
				}
			case <-time.After(10 * time.Second): // deadlock guard only
				t.Fatalf("waiting for %d more reports", n)
			}
		}
	}
	const comments = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
	const comment = "/repos/{owner}/{repo}/issues/comments/{comment_id}"
	// waitComment waits until #7 has exactly one comment that says want (a
	// report may be skipped for a newer one, so counting reports is not enough).
	waitComment := func(want ...string) []githubfake.Comment {
		t.Helper()
		for {
			live := fake.Comments("acme/api", 7)
			if len(live) == 1 && slices.ContainsFunc(want, func(w string) bool { return strings.Contains(live[0].Body, w) }) {
				return live
			}
			waitReports(1)
		}
	}
	live := waitComment("alpha: baking (10m left)") // the release started; the alpha deploy succeeded
	if n := fake.Count(http.MethodPost, comments); n != 1 {
		t.Fatalf("%d comments posted, want 1", n)
	}
	// Whether the first report was edited or coalesced into the second
	// depends on timing; TestReportCallSequenceThroughThreeStages counts edits.
	// Someone deletes it; the next change recreates it.
	fake.DeleteComment("acme/api", live[0].ID)
	clk.BlockUntilTimerAt(t0.Add(10 * time.Minute))
	clk.Set(t0.Add(10 * time.Minute))
	waitComment("beta-1", `beta\-1`)
	if n := fake.Count(http.MethodPost, comments); n != 2 {
		t.Fatalf("%d comments posted, want the original and its replacement", n)
	}
}

func TestDeployCheckRunAndItsButtons(t *testing.T) {
	fake := newFake(t)
	fake.SetPermission("acme/api", "ada", "admin")
	fake.SetPermission("acme/api", "wes", "write")
	fake.AddCommit("acme/api", githubfake.Commit{SHA: "c1"})
	clk := clock.NewFake(time.Now())
	saved := make(chan pipeline.Result, 100)
	performed := make(chan store.Effect, 100)
	cfg, workDir := deployingConfig(t, fake, deployScript)
	r := startWith(t, cfg, fake, clk, Options{WorkDir: workDir,
		OnEngineSaved: func(_ pipeline.Key, res pipeline.Result) { saved <- res },
		OnEffectDone:  func(e store.Effect, _ error) { performed <- e },
	})
	ctx := t.Context()
	installAcme(t, r.app.Store(), clk.Now())
	ps := parsePipelines(t, signOffPipeline)
	if _, err := r.app.runner.ApplyWith(ctx, pipeline.Key{Repository: "acme/api", Pipeline: "app"}, ps[0],
		func(_ pipeline.Pipeline, st *pipeline.State) error {
			return pipeline.AddRelease(st, pipeline.Release{ID: 1, SHA: "c1", CreatedAt: clk.Now()})
		}); err != nil {
		t.Fatal(err)
	}
	// Wait until the release waits for approval and its report is out.
	waitFor := func(what string, done func() bool) {
		t.Helper()
		for !done() {
			select {
			case <-performed:
			case <-saved:
			case <-time.After(10 * time.Second): // deadlock guard only
				t.Fatalf("waiting for %s", what)
			}
		}
	}
	deployCheck := func() githubfake.CheckRun {
		for _, c := range fake.CheckRuns("acme/api") {
			if c.Name == "wavegate/deploy (app)" {
				return c
			}
		}
		return githubfake.CheckRun{}
	}
	waitFor("the approval button", func() bool {
		for _, a := range deployCheck().Actions {
			if a.Identifier == "approve" {
				return true
			}
		}
		return false
	})
	if c := deployCheck(); c.Status != "in_progress" || c.HeadSHA != "c1" || c.ExternalID != "app/1" {
		t.Fatalf("deploy check while waiting: %+v", c)
	}
	press := func(id, sender, button string) {
		t.Helper()
		c := deployCheck()
		body := fmt.Sprintf(`{"action":"requested_action","check_run":{"id":%d,"name":%q,"external_id":%q,"head_sha":"c1"},`+
			`"requested_action":{"identifier":%q},"sender":{"login":%q},"installation":{"id":1},`+
			`"repository":{"id":9,"name":"api","full_name":"acme/api","owner":{"login":"acme"}}}`,
			c.ID, c.Name, c.ExternalID, button, sender)
		if code := r.deliver("check_run", id, body); code != http.StatusAccepted {
			t.Fatalf("%s: %d", id, code)
		}
		if o := r.next(); o.State != store.DeliveryDone {
			t.Fatalf("%s: %s %v", id, o.State, o.Err)
		}
	}
	press("b-1", "wes", "approve") // write access: refused until the commands land
	if c := deployCheck(); c.Status != "in_progress" {
		t.Fatalf("a writer's press was applied: %+v", c)
	}
	press("b-2", "ada", "approve") // admin
	waitFor("the release to finish", func() bool { return deployCheck().Conclusion == "success" })
	c := deployCheck()
	if c.Status != "completed" || len(c.Actions) != 1 || c.Actions[0].Identifier != "rollback" || !strings.Contains(c.Output.Summary, "approved by @") {
		t.Fatalf("deploy check at the end: %+v", c)
	}
	// Rolled back by an admin after all: the check run turns to failure and
	// loses its last button.
	press("b-3", "ada", "rollback")
	waitFor("the rollback", func() bool { return deployCheck().Conclusion == "failure" })
	if c := deployCheck(); len(c.Actions) != 0 || !strings.Contains(c.Output.Summary, "rolled back by @") {
		t.Fatalf("deploy check after the rollback: %+v", c)
	}
}

func TestNoticesArePostedAsTheirOwnComments(t *testing.T) {
	fake := newFake(t)
	fake.AddPull("acme/api", githubfake.Pull{Number: 7, Title: "Faster checkout", User: "octo", HeadSHA: "h7"})
	clk := clock.NewFake(time.Now())
	performed := make(chan store.Effect, 100)
	cfg, workDir := deployingConfig(t, fake, "#!/bin/sh\necho broken >&2\nexit 1\n")
	r := startWith(t, cfg, fake, clk, Options{WorkDir: workDir,
		OnEffectDone: func(e store.Effect, err error) {
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("effect %s: %v", e.Key, err)
			}
			performed <- e
		}})
	ctx := t.Context()
	installAcme(t, r.app.Store(), clk.Now())
	ps := parsePipelines(t, `pipelines:
  app:
    branch: release
    deployer: {command: deploy}
    stages:
      - {name: sign-off, approval: {}}
      - {name: alpha, targets: [alpha], bake: 0s}
`)
	key := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
	if _, err := r.app.runner.ApplyWith(ctx, key, ps[0], func(_ pipeline.Pipeline, st *pipeline.State) error {
		return pipeline.AddRelease(st, pipeline.Release{ID: 1, SHA: "c1", Pulls: []int{7}, Authors: []string{"octo"}, CreatedAt: clk.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	waitNotices := func(n int) {
		t.Helper()
		for n > 0 {
			select {
			case e := <-performed:
				if e.Kind == effects.KindNotice {
					n--
				}
			case <-time.After(10 * time.Second): // deadlock guard only
				t.Fatalf("waiting for %d more notices", n)
			}
		}
	}
	waitNotices(1) // approval needed
	if _, err := r.app.runner.Apply(ctx, key, func(p pipeline.Pipeline, st *pipeline.State) error {
		return pipeline.Decide(p, st, 1, "sign-off", true, "lead", "", false, clk.Now())
	}); err != nil {
		t.Fatal(err)
	}
	waitNotices(2) // the release failed; nothing to roll back to
	var bodies []string
	for _, c := range fake.Comments("acme/api", 7) {
		bodies = append(bodies, c.Body)
	}
	all := strings.Join(bodies, "\n---\n")
	for _, want := range []string{
		"waits for approval in **sign\\-off**: approve it with `/deploy approve`",
		"@octo Release 1 of `app` failed in **alpha** and is being rolled back",
		"<!-- wavegate:release acme/api/app/1 -->",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no comment on #7 says %q; comments:\n%s", want, all)
		}
	}
}

// signOffPipeline deploys alpha, waits for a sign-off, then deploys beta.
const signOffPipeline = `pipelines:
  app:
    branch: release
    deployer: {command: deploy}
    stages:
      - {name: alpha, targets: [alpha], bake: 0s}
      - {name: sign-off, approval: {}}
      - {name: beta, targets: [beta], bake: 0s}
`
