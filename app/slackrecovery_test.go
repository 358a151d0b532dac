package app

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/internal/fakes/slackfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// slackReportFailed waits for a Slack report attempt that failed, and
// returns it. Calls waiting for their usual one-second slot get it; a longer
// wait (behind a rate limit) is left for later, so the clock still reads the
// time of the failure.
func (w *reportWorld) slackReportFailed() effectDone {
	w.t.Helper()
	var later []any
	defer func() {
		for _, ev := range later {
			w.events <- ev
		}
	}()
	for {
		select {
		case ev := <-w.events:
			if d, ok := ev.(effectDone); ok && d.e.Kind == effects.KindSlack && d.err != nil {
				return d
			}
			if until, ok := ev.(time.Time); ok && until.After(w.clk.Now().Add(time.Second)) {
				later = append(later, ev)
			} else if ok && until.After(w.clk.Now()) {
				w.clk.BlockUntilTimerAt(until)
				w.clk.Set(until)
			}
		case <-time.After(10 * time.Second): // deadlock guard only
			w.t.Fatal("no Slack report failed")
		}
	}
}

func TestSlackRateLimitIsHonouredOnTheInjectedClock(t *testing.T) {
	w := newReportWorld(t)
	t0 := w.release(threeStages)
	w.waitFor("alpha baking in Slack", func() bool { return w.slackShows("alpha: baking") })
	w.slack.FailNext("chat.update", http.StatusTooManyRequests, http.Header{"Retry-After": {"30"}}, "")
	updates := len(w.slack.CallsTo("chat.update"))
	w.moveTo(t0.Add(10 * time.Minute)) // alpha's bake ends: the report is refused
	failed := w.slackReportFailed()
	limitedAt := w.clk.Now()
	e, err := w.r.app.Store().Effect(t.Context(), failed.e.Key)
	if err != nil || e.State != store.EffectPending || !e.NextAttemptAt.Equal(limitedAt.Add(30*time.Second)) {
		t.Fatalf("after the 429: %+v, %v; want pending until %v", e, err, limitedAt.Add(30*time.Second))
	}
	if n := len(w.slack.CallsTo("chat.update")); n != updates+1 {
		t.Fatalf("%d updates after the 429, want only the refused one", n-updates)
	}
	// Nothing is sent before Retry-After has passed; then the report goes.
	w.moveTo(limitedAt.Add(30 * time.Second))
	w.waitFor("beta in Slack", func() bool { return w.slackShows("beta: baking") })
	calls := w.slack.CallsTo("chat.update")
	if last := calls[len(calls)-1]; !strings.Contains(string(last.Blocks), "beta: baking") {
		t.Fatalf("the retried update: %s", last.Blocks)
	}
	if posts := len(w.slack.CallsTo("chat.postMessage")); posts != 1 {
		t.Fatalf("%d posts; the rate limit must not make a second message", posts)
	}
}

func TestSlackMessageDeletedIsPostedAgain(t *testing.T) {
	w := newReportWorld(t)
	t0 := w.release(threeStages)
	w.waitFor("alpha baking in Slack", func() bool { return w.slackShows("alpha: baking") })
	top, _ := w.slackMessage()
	w.slack.Delete("C0DEPLOYS", top.TS)
	w.moveTo(t0.Add(10 * time.Minute))
	w.waitFor("beta in a new message", func() bool { return w.slackShows("beta: baking") })
	again, _ := w.slackMessage()
	if again.TS == top.TS || len(w.slack.Messages("C0DEPLOYS")) != 1 {
		t.Fatalf("after the deletion: %+v", w.slack.Messages("C0DEPLOYS"))
	}
}

func TestSlackMessagePostedBeforeACrashIsFoundNotPostedTwice(t *testing.T) {
	var w *reportWorld
	w = newReportWorld(t, func(a *App) {
		// A previous process recorded its intent, posted, and died before
		// recording the message's ts.
		if err := a.Store().SaveSlackMessage(t.Context(), store.SlackMessage{
			Repository: "acme/api", ReleaseKey: "app/1", ChannelID: "#deploys"}); err != nil {
			t.Fatal(err)
		}
	})
	ts := w.slack.AddMessage("C0DEPLOYS", slackfake.Message{Text: "Release 1 of app in acme/api: in progress",
		MetadataType: "wavegate_report", MetadataKey: "acme/api/app/1"})
	w.release(threeStages)
	w.waitFor("alpha baking in Slack", func() bool { return w.slackShows("alpha: baking") })
	if posts := w.slack.CallsTo("chat.postMessage"); len(posts) != 0 {
		t.Fatalf("posted again: %+v", posts)
	}
	if top, _ := w.slackMessage(); top.TS != ts {
		t.Fatalf("updated %s, want the message posted before the crash, %s", top.TS, ts)
	}
}

// burstStages is a pipeline whose release runs through all its stages in
// one burst: twenty one-target stages without bake.
func burstStages() string {
	var b strings.Builder
	b.WriteString("pipelines:\n  app:\n    branch: release\n    deployer: {command: deploy}\n    slack_channel: \"#deploys\"\n    stages:\n")
	for i := range 20 {
		b.WriteString("      - {name: s" + string(rune('a'+i)) + ", targets: [t" + string(rune('a'+i)) + "], bake: 0s}\n")
	}
	return b.String()
}

func TestReportBurstCoalescesIntoOneRendering(t *testing.T) {
	saves := 0
	w := newReportWorld(t, func(a *App) {
		// The whole release happens before the reports can run: every step
		// reported at once, as a fast pipeline or a backlog after an outage
		// would.
		key := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
		now := a.opts.Clock.Now()
		startRelease(t, a, key, burstStages(), now)
		saves++
		for {
			st, _, err := a.engine.Load(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			if st.Releases[0].Status != pipeline.ReleaseActive {
				break
			}
			var step string
			for _, run := range st.Releases[0].Stages {
				for _, tr := range run.Targets {
					if tr.Step != nil && tr.Step.Outcome == "" {
						step = tr.Step.Key
					}
				}
			}
			if _, err := a.runner.Apply(t.Context(), key, func(_ pipeline.Pipeline, st *pipeline.State) error {
				_, err := pipeline.RecordOutcome(st, step, pipeline.OutcomeSuccess, "", now)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			saves++
		}
	})
	w.waitFor("the release reported everywhere", func() bool {
		return w.deployCheck().Conclusion == "success" && strings.Contains(w.comment(), "released") && w.slackShows("· released")
	})
	const comments = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
	const comment = "/repos/{owner}/{repo}/issues/comments/{comment_id}"
	if saves < 20 {
		t.Fatalf("only %d saves: no burst", saves)
	}
	if posts, edits := w.fake.Count(http.MethodPost, comments), w.fake.Count(http.MethodPatch, comment); posts != 1 || edits != 0 {
		t.Errorf("%d saves gave %d comments and %d edits; want one comment, rendered once", saves, posts, edits)
	}
	if posts, updates := len(w.slack.CallsTo("chat.postMessage")), len(w.slack.CallsTo("chat.update")); posts != 1 || updates != 0 {
		t.Errorf("%d saves gave %d Slack posts and %d updates; want one message, rendered once", saves, posts, updates)
	}
}

func TestSlackOutageNeverHoldsADeploy(t *testing.T) {
	w := newReportWorld(t)
	w.slackDown = true
	for range 20 {
		w.slack.FailNext("chat.postMessage", http.StatusServiceUnavailable, nil, "")
	}
	t0 := w.release(threeStages)
	w.waitFor("alpha baking on GitHub", func() bool { return strings.Contains(w.comment(), "alpha: baking") })
	w.moveTo(t0.Add(10 * time.Minute))
	w.waitFor("beta baking on GitHub", func() bool { return strings.Contains(w.comment(), "beta: baking") })
	if top, _ := w.slackMessage(); top.TS != "" {
		t.Fatalf("Slack answered through its outage: %+v", top)
	}
	if n := len(w.slack.CallsTo("chat.postMessage")); n == 0 {
		t.Fatal("Wavegate never tried Slack")
	}
}

// The pages' link to a release's Slack thread is Slack's permalink of the
// message Wavegate posted, asked once.
func TestSlackThreadLinkOfAPostedRelease(t *testing.T) {
	w := newReportWorld(t)
	w.release(threeStages)
	w.waitFor("alpha baking in Slack", func() bool { return w.slackShows("alpha: baking") })
	top, _ := w.slackMessage()
	want := "https://wavegate-fake.slack.com/archives/C0DEPLOYS/p" + strings.ReplaceAll(top.TS, ".", "")
	for range 2 {
		if link, err := w.r.app.slackThreads.ThreadLink(t.Context(), w.key, 1); err != nil || link != want {
			t.Fatalf("thread link: %q, %v; want %q", link, err, want)
		}
	}
	if asked := len(w.slack.CallsTo("chat.getPermalink")); asked != 1 {
		t.Errorf("chat.getPermalink called %d times, want 1", asked)
	}
}
