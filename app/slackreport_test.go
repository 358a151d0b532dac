package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/internal/fakes/slackfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/slackbot"
	"github.com/wavegate/wavegate/store"
)

// reportWorld runs Wavegate with a fake GitHub and a fake Slack and waits
// for reports by what they show.
type reportWorld struct {
	t     *testing.T
	fake  *githubfake.Server
	slack *slackfake.Server
	clk   *clock.Fake
	r     *running
	// events carries finished effects, and the times Slack calls wait for
	// their channel's next slot.
	events chan any
	key    pipeline.Key
	// slackDown expects Slack reports to fail.
	slackDown bool
}

const threeStages = `pipelines:
  app:
    branch: release
    deployer: {command: deploy}
    slack_channel: "#deploys"
    stages:
      - {name: alpha, targets: [alpha], bake: 10m}
      - {name: beta, targets: [beta], bake: 10m}
      - {name: gamma, targets: [gamma], bake: 10m}
`

// effectDone is a finished effect attempt.
type effectDone struct {
	e   store.Effect
	err error
}

// newReportWorld starts Wavegate; before, when set, runs first, with the
// app built but not yet serving.
func newReportWorld(t *testing.T, before ...func(*App)) *reportWorld {
	w := &reportWorld{t: t, fake: newFake(t), slack: slackfake.New(t), clk: clock.NewFake(time.Now()),
		events: make(chan any, 1000), key: pipeline.Key{Repository: "acme/api", Pipeline: "app"}}
	w.fake.AddPull("acme/api", githubfake.Pull{Number: 7, Title: "Faster checkout", User: "octo", HeadSHA: "h7"})
	cfg, workDir := deployingConfig(t, w.fake, deployScript)
	cfg.SlackBotToken, cfg.SlackAPIURL = "xoxb-test-token", w.slack.URL()
	w.r = startWith(t, cfg, w.fake, w.clk, Options{WorkDir: workDir,
		OnEffectDone: func(e store.Effect, err error) {
			if _, limited := slackbot.RetryAt(err); err != nil && !errors.Is(err, context.Canceled) && !limited && !(w.slackDown && e.Kind == effects.KindSlack) {
				t.Errorf("effect %s: %v", e.Key, err)
			}
			w.events <- effectDone{e, err}
		},
		OnSlackWait: func(until time.Time) { w.events <- until },
	}, func(a *App) {
		installAcme(t, a.Store(), w.clk.Now())
		for _, f := range before {
			f(a)
		}
	})
	return w
}

// release starts release 1 of pull request 7.
func (w *reportWorld) release(yml string) time.Time {
	w.t.Helper()
	return startRelease(w.t, w.r.app, w.key, yml, w.clk.Now())
}

func startRelease(t *testing.T, a *App, key pipeline.Key, yml string, t0 time.Time) time.Time {
	t.Helper()
	if _, err := a.runner.ApplyWith(t.Context(), key, parsePipelines(t, yml)[0],
		func(_ pipeline.Pipeline, st *pipeline.State) error {
			return pipeline.AddRelease(st, pipeline.Release{ID: 1, SHA: "c1", Pulls: []int{7}, Authors: []string{"octo"}, CreatedAt: t0})
		}); err != nil {
		t.Fatal(err)
	}
	return t0
}

// waitFor consumes events until done holds. A Slack call waiting for its
// channel's slot gets it: the clock moves to the slot, and no further.
func (w *reportWorld) waitFor(what string, done func() bool) {
	w.t.Helper()
	for !done() {
		select {
		case ev := <-w.events:
			if until, ok := ev.(time.Time); ok && until.After(w.clk.Now()) {
				w.clk.BlockUntilTimerAt(until)
				w.clk.Set(until)
			}
		case <-time.After(10 * time.Second): // deadlock guard only
			top, replies := w.slackMessage()
			w.t.Fatalf("waiting for %s\ncomment:\n%s\nslack: %s\nreplies: %+v\ncalls: %+v", what, w.comment(), top.Blocks, replies, w.slack.Calls())
		}
	}
}

// moveTo moves the clock to an engine wake-up once the engine waits for it.
func (w *reportWorld) moveTo(at time.Time) {
	w.t.Helper()
	w.clk.BlockUntilTimerAt(at)
	w.clk.Set(at)
}

// bakeEnd is when release 1's bake of the one target of stage ends.
func (w *reportWorld) bakeEnd(stage string) time.Time {
	w.t.Helper()
	st, _, err := w.r.app.engine.Load(w.t.Context(), w.key)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, r := range st.Releases {
		if run := r.Stages[stage]; r.ID == 1 && run != nil {
			for _, tr := range run.Targets {
				return tr.BakeUntil
			}
		}
	}
	w.t.Fatalf("release 1 does not bake in %s", stage)
	return time.Time{}
}

func (w *reportWorld) comment() string {
	cs := w.fake.Comments("acme/api", 7)
	if len(cs) == 0 {
		return ""
	}
	return cs[0].Body
}

func (w *reportWorld) deployCheck() githubfake.CheckRun {
	for _, c := range w.fake.CheckRuns("acme/api") {
		if c.Name == "wavegate/deploy (app)" {
			return c
		}
	}
	return githubfake.CheckRun{}
}

// slackMessage is the release's top-level Slack message and its replies.
func (w *reportWorld) slackMessage() (top slackfake.Message, replies []slackfake.Message) {
	for _, m := range w.slack.Messages("C0DEPLOYS") {
		if m.ThreadTS == "" || m.ThreadTS == m.TS {
			top = m
		} else {
			replies = append(replies, m)
		}
	}
	return top, replies
}

func (w *reportWorld) slackShows(s string) bool {
	top, _ := w.slackMessage()
	return strings.Contains(string(top.Blocks), s)
}

func TestReportCallSequenceThroughThreeStages(t *testing.T) {
	w := newReportWorld(t)
	ctx := t.Context()
	t0 := w.release(threeStages)
	w.waitFor("alpha baking everywhere", func() bool {
		return strings.Contains(w.comment(), "alpha: baking (10m left)") && w.slackShows("alpha: baking (10m left)") &&
			strings.Contains(w.deployCheck().Output.Summary, "alpha: baking")
	})
	// Paused while alpha bakes: beta's deploy is held, then released.
	if _, err := w.r.app.runner.Apply(ctx, w.key, func(_ pipeline.Pipeline, st *pipeline.State) error {
		return pipeline.Pause(st, "sre-lead", "<!channel> db migration")
	}); err != nil {
		t.Fatal(err)
	}
	w.moveTo(t0.Add(10 * time.Minute)) // the bake ends; the pause holds beta
	w.waitFor("the pause reported", func() bool {
		_, replies := w.slackMessage()
		return strings.Contains(w.comment(), "paused by") && len(replies) == 1
	})
	if _, err := w.r.app.runner.Apply(ctx, w.key, func(_ pipeline.Pipeline, st *pipeline.State) error {
		pipeline.Resume(st, "")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w.waitFor("beta baking", func() bool {
		return strings.Contains(w.comment(), "beta: baking") && w.slackShows("beta: baking")
	})
	w.moveTo(w.bakeEnd("beta"))
	w.waitFor("gamma baking", func() bool { return strings.Contains(w.comment(), "gamma: baking") && w.slackShows("gamma: baking") })
	w.moveTo(w.bakeEnd("gamma"))
	w.waitFor("the release finished everywhere", func() bool {
		return w.deployCheck().Conclusion == "success" && strings.Contains(w.comment(), "released") && w.slackShows("· released")
	})

	// GitHub: one comment created, then only edited; one deploy check run
	// created, then only updated, to completion.
	const comments = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
	const comment = "/repos/{owner}/{repo}/issues/comments/{comment_id}"
	const checkRuns = "/repos/{owner}/{repo}/check-runs"
	const checkRun = "/repos/{owner}/{repo}/check-runs/{check_run_id}"
	var sequence []string
	for _, req := range w.fake.Requests() {
		switch req.Template {
		case comments, comment, checkRuns, checkRun:
			sequence = append(sequence, req.Method+" "+req.Template)
		}
	}
	if len(sequence) < 2 || sequence[0] != "POST "+comments && sequence[1] != "POST "+comments {
		t.Fatalf("the report did not start by posting the comment: %v", sequence)
	}
	for name, want := range map[string]int{"POST " + comments: 1, "POST " + checkRuns: 1} {
		if n := count(sequence, name); n != want {
			t.Errorf("%s: %d calls, want %d (%v)", name, n, want, sequence)
		}
	}
	if count(sequence, "PATCH "+comment) < 3 || count(sequence, "PATCH "+checkRun) < 3 {
		t.Errorf("the comment and check run were not edited as the release moved: %v", sequence)
	}
	// Completed, with one button left: the release can still be rolled back.
	if c := w.deployCheck(); c.Status != "completed" || len(c.Actions) != 1 || c.Actions[0].Identifier != "rollback" {
		t.Errorf("deploy check at the end: %+v", c)
	}
	// Slack: one post, then updates of it and replies in its thread.
	calls := w.slack.Calls()
	top, replies := w.slackMessage()
	if len(calls) == 0 || calls[0].Method != "chat.postMessage" || calls[0].ThreadTS != "" {
		t.Fatalf("Slack calls did not start with the message: %+v", calls)
	}
	posts, updates := 0, 0
	for _, c := range calls {
		switch {
		case c.Method == "chat.postMessage" && c.ThreadTS == "":
			posts++
		case c.Method == "chat.postMessage" && c.ThreadTS != top.TS:
			t.Errorf("a reply outside the release's thread: %+v", c)
		case c.Method == "chat.update" && c.TS != top.TS:
			t.Errorf("an update of another message: %+v", c)
		case c.Method == "chat.update":
			updates++
		case c.Method != "chat.postMessage":
			t.Errorf("unexpected Slack call %s", c.Method)
		}
	}
	if posts != 1 || updates < 3 {
		t.Errorf("%d posts and %d updates; want 1 post and updates as the release moved", posts, updates)
	}
	if len(replies) != 2 || !strings.Contains(replies[0].Text, "held by paused") || !strings.Contains(replies[1].Text, "no longer held") {
		t.Errorf("thread replies: %+v", replies)
	}
	for _, m := range append(replies, top) {
		if strings.Contains(m.Text+string(m.Blocks), "<!channel>") || strings.Contains(m.Text+string(m.Blocks), "xoxb") {
			t.Errorf("a Slack message carries a mention or the token: %s %s", m.Text, m.Blocks)
		}
	}
	// Paced: no two calls to the channel within a second of each other is
	// checked in slackbot; here, the fake clock only moved by whole slots.
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
