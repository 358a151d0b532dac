package app

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/alarms"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/internal/fakes/slackfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

const alarmedWave = `pipelines:
  app:
    branch: release
    deployer: {command: deploy}
    slack_channel: "#deploys"
    alarms:
      match: {service: api}
    stages:
      - {name: wave-1, targets: [prod-1], bake: 10m}
`

// alarmWorld runs Wavegate with Alertmanager notifications on, a fake
// GitHub and a fake Slack, and waits on finished effects.
type alarmWorld struct {
	t       *testing.T
	fake    *githubfake.Server
	slack   *slackfake.Server
	clk     *clock.Fake
	r       *running
	workDir string
	key     pipeline.Key
	done    chan any // finished effects, engine saves, alarm rounds, and the times Slack calls wait for
	yml     string
	// guard bounds each wait: a deadlock guard, longer with real services.
	guard time.Duration
}

func newAlarmWorld(t *testing.T) *alarmWorld {
	return newAlarmWorldAt(t, time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), alarmedWave, nil)
}

// newAlarmWorldAt starts Wavegate at now with pipelines yml; configure,
// when set, changes its configuration first.
func newAlarmWorldAt(t *testing.T, now time.Time, yml string, configure func(*Config), onSaved ...func(pipeline.Key, pipeline.Result)) *alarmWorld {
	w := &alarmWorld{t: t, fake: newFake(t), slack: slackfake.New(t), clk: clock.NewFake(now), yml: yml, guard: 10 * time.Second,
		key: pipeline.Key{Repository: "acme/api", Pipeline: "app"}, done: make(chan any, 1000)}
	w.fake.AddPull("acme/api", githubfake.Pull{Number: 7, Title: "Faster checkout", User: "octo", HeadSHA: "h7"})
	w.fake.AddPull("acme/api", githubfake.Pull{Number: 8, Title: "Cache the cart", User: "octo", HeadSHA: "h8"})
	cfg, workDir := deployingConfig(t, w.fake, deployScript)
	cfg.SlackBotToken, cfg.SlackAPIURL = "xoxb-test-token", w.slack.URL()
	cfg.AlertmanagerToken = amTestToken
	if configure != nil {
		configure(&cfg)
	}
	w.workDir = workDir
	w.r = startWith(t, cfg, w.fake, w.clk, Options{WorkDir: workDir,
		OnEffectDone: func(e store.Effect, err error) {
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("effect %s: %v", e.Key, err)
			}
			w.done <- e
		},
		OnSlackWait: func(until time.Time) { w.done <- until },
		OnEngineSaved: func(key pipeline.Key, res pipeline.Result) {
			for _, f := range onSaved {
				f(key, res)
			}
			w.done <- key // a save is news too: the state may be what is waited for
		},
		OnAlarmRound: func() { w.done <- alarmRound{} },
	}, func(a *App) { installAcme(t, a.Store(), w.clk.Now()) })
	return w
}

func (w *alarmWorld) alert(status string) {
	w.t.Helper()
	if code := w.r.postAlertmanager(amTestToken, amNotification(status)); code != http.StatusAccepted {
		w.t.Fatalf("%s notification: %d", status, code)
	}
	if o := w.r.next(); o.State != store.DeliveryDone {
		w.t.Fatalf("%s notification: %s (%v)", status, o.State, o.Err)
	}
}

func (w *alarmWorld) release(id int64, sha string, pull int) {
	w.t.Helper()
	w.releaseOver(id, sha, pull, nil)
}

// releaseOver starts a release; running, when set, is what the targets
// ran and last had good before it, so that there is something to roll
// back to.
func (w *alarmWorld) releaseOver(id int64, sha string, pull int, running map[string]string) {
	w.t.Helper()
	if _, err := w.r.app.runner.ApplyWith(w.t.Context(), w.key, parsePipelines(w.t, w.yml)[0],
		func(_ pipeline.Pipeline, st *pipeline.State) error {
			for target, good := range running {
				if st.Targets == nil {
					st.Targets = map[string]*pipeline.Inventory{}
				}
				st.Targets[target] = &pipeline.Inventory{Running: good, LastGood: good}
			}
			return pipeline.AddRelease(st, pipeline.Release{ID: id, SHA: sha, Pulls: []int{pull}, Authors: []string{"octo"}, CreatedAt: w.clk.Now()})
		}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *alarmWorld) state() pipeline.State {
	w.t.Helper()
	st, _, err := w.r.app.engine.Load(w.t.Context(), w.key)
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

func (w *alarmWorld) invocations() []string {
	data, err := os.ReadFile(filepath.Join(w.workDir, "invocations.log"))
	if err != nil && !os.IsNotExist(err) {
		w.t.Fatal(err)
	}
	return strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(data)), " ", "_"))
}

// waitFor consumes finished effects until done holds. A Slack call
// waiting for its channel's slot gets it: the clock moves to the slot.
func (w *alarmWorld) waitFor(what string, done func() bool) {
	w.t.Helper()
	for !done() {
		w.next(what)
	}
}

// next waits for the next news and returns it; a Slack call's wait is
// answered by moving the clock to its end.
func (w *alarmWorld) next(what string) any {
	w.t.Helper()
	select {
	case ev := <-w.done:
		if until, ok := ev.(time.Time); ok && until.After(w.clk.Now()) {
			w.clk.BlockUntilTimerAt(until)
			w.clk.Set(until)
		}
		return ev
	case <-time.After(w.guard): // deadlock guard only
		w.t.Fatalf("waiting for %s; invocations %q; state %v\n%s", what, w.invocations(), stateDigest(w.state()), w.debugReports())
		return nil
	}
}

// comment is the release comment on pull, its Markdown escapes removed.
func (w *alarmWorld) comment(pull int) string {
	cs := w.fake.Comments("acme/api", pull)
	if len(cs) == 0 {
		return ""
	}
	return strings.ReplaceAll(cs[0].Body, `\`, "")
}

func (w *alarmWorld) slackShows(s string) bool {
	for _, m := range w.slack.Messages("C0DEPLOYS") {
		if strings.Contains(string(m.Blocks), s) || strings.Contains(m.Text, s) {
			return true
		}
	}
	return false
}

// An Alertmanager alert firing on a target holds the deploy there until
// it resolves; firing during a later release's bake, it rolls that
// release back, and the reports name it.
func TestAlertmanagerAlarmHoldsThenRollsBack(t *testing.T) {
	w := newAlarmWorld(t)
	w.alert("firing")
	w.release(1, "c1", 7)
	held := func() bool {
		for _, h := range w.state().Held {
			for _, b := range h.Blockers {
				if b.Kind == pipeline.BlockerAlarm && strings.Contains(b.Reason, "HighErrorRate") {
					return true
				}
			}
		}
		return false
	}
	if !held() {
		t.Fatalf("release 1 not held by the alarm: %+v", w.state().Held)
	}
	w.waitFor("the comment to name the alarm", func() bool { return strings.Contains(w.comment(7), "HighErrorRate") })
	if inv := w.invocations(); len(inv) != 0 {
		t.Fatalf("deployed while the alarm fired: %q", inv)
	}

	w.clk.Advance(time.Minute)
	w.alert("resolved")
	w.waitFor("release 1 deployed", func() bool { return slices.Contains(w.invocations(), "deploy_prod-1_full_c1") })
	// The bake's end is read from the state: a Slack call waiting for its
	// slot may have moved the clock since the deploy.
	var bakeEnd time.Time
	w.waitFor("release 1 baking", func() bool {
		r := w.state().Release(1)
		if r == nil || r.Stages["wave-1"] == nil || r.Stages["wave-1"].Targets["prod-1"] == nil {
			return false
		}
		tr := r.Stages["wave-1"].Targets["prod-1"]
		bakeEnd = tr.BakeUntil
		return tr.Phase == pipeline.PhaseFullBaking
	})
	w.clk.BlockUntilTimerAt(bakeEnd)
	w.clk.Set(bakeEnd)
	w.waitFor("release 1 done", func() bool {
		r := w.state().Release(1)
		return r == nil || r.Status == pipeline.ReleaseSucceeded
	})

	w.release(2, "c2", 8)
	w.waitFor("release 2 deployed", func() bool { return slices.Contains(w.invocations(), "deploy_prod-1_full_c2") })
	w.waitFor("release 2 baking", func() bool {
		r := w.state().Release(2)
		return r != nil && r.Stages["wave-1"] != nil && r.Stages["wave-1"].Targets["prod-1"].Phase == pipeline.PhaseFullBaking
	})
	w.clk.Advance(time.Minute)
	w.alert("firing")
	w.waitFor("the rollback to c1", func() bool { return slices.Contains(w.invocations(), "rollback_prod-1_full_c1") })
	r := w.state().Release(2)
	if r == nil || r.Status != pipeline.ReleaseFailed || !strings.Contains(r.Reason, "HighErrorRate") {
		t.Fatalf("release 2 after the alarm: %+v", r)
	}
	w.waitFor("the reports to name the alarm", func() bool {
		return strings.Contains(w.comment(8), "HighErrorRate") && w.slackShows("HighErrorRate")
	})
}

// An alert Alertmanager stops refreshing is treated as resolved after
// twice resolve_timeout, and the deploy it held starts without waiting
// for a notification that will not come.
func TestStaleAlertNoLongerHolds(t *testing.T) {
	w := newAlarmWorld(t)
	w.alert("firing")
	w.release(1, "c1", 7)
	if len(w.state().Held) == 0 {
		t.Fatal("release 1 not held by the alarm")
	}
	stale := w.clk.Now().Add(2*pipeline.DefaultResolveTimeout + alarms.StaleSweepEvery)
	w.clk.BlockUntilTimerAt(w.clk.Now().Add(alarms.StaleSweepEvery))
	w.clk.Set(stale)
	w.waitFor("release 1 deployed", func() bool { return slices.Contains(w.invocations(), "deploy_prod-1_full_c1") })
	if got := w.r.app.Alerts().Stale(); len(got) != 1 {
		t.Errorf("stale alerts %v, want the one not refreshed", got)
	}
}
