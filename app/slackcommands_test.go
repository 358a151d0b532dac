package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/internal/fakes/slackfake"
	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/slackbot"
	"github.com/wavegate/wavegate/store"
)

// Slack's documented example secret ("Verifying requests from Slack").
const slackSigningSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// engineRunner stands in for the command runner: it applies pause and
// resume through the engine, as the runner does once it has authorized.
type engineRunner struct{ a *App }

func (r engineRunner) Run(ctx context.Context, req commandrun.Request) (commandrun.Response, error) {
	c := req.Command
	pl := c.Pipeline
	if pl == "" {
		pl = req.Pipeline
	}
	key := pipeline.Key{Repository: req.Repository, Pipeline: pl}
	var err error
	switch c.Verb {
	case commands.VerbPause:
		_, err = r.a.runner.Apply(ctx, key, func(_ pipeline.Pipeline, st *pipeline.State) error {
			return pipeline.Pause(st, "slack:"+req.SlackUser, c.Reason)
		})
	case commands.VerbResume:
		_, err = r.a.runner.Apply(ctx, key, func(_ pipeline.Pipeline, st *pipeline.State) error {
			pipeline.Resume(st, "")
			return nil
		})
	default:
		return commandrun.Response{Outcome: commandrun.Refused, Text: "not in this test"}, nil
	}
	if err != nil {
		return commandrun.Response{}, err
	}
	return commandrun.Response{Outcome: commandrun.Accepted, Text: "Done: **" + string(c.Verb) + "** " + pl + "."}, nil
}

func (r engineRunner) RunInvalid(context.Context, commandrun.Request, commands.Parsed) (commandrun.Response, error) {
	return commandrun.Response{Outcome: commandrun.Invalid}, nil
}

// slackWorld is a report world whose Slack app also sends commands.
type slackWorld struct {
	*reportWorld
	hooks   *httptest.Server
	mu      sync.Mutex
	answers []string
}

func newSlackWorld(t *testing.T) *slackWorld {
	sw := &slackWorld{}
	sw.hooks = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		sw.mu.Lock()
		sw.answers = append(sw.answers, r.URL.Path+": "+m.Text)
		sw.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(sw.hooks.Close)
	w := &reportWorld{t: t, fake: newFake(t), slack: slackfake.New(t), clk: clock.NewFake(time.Now()),
		events: make(chan any, 1000), key: pipeline.Key{Repository: "acme/api", Pipeline: "app"}}
	w.fake.AddPull("acme/api", githubfake.Pull{Number: 7, Title: "Faster checkout", User: "octo", HeadSHA: "h7"})
	cfg, workDir := deployingConfig(t, w.fake, deployScript)
	cfg.SlackBotToken, cfg.SlackAPIURL = "xoxb-test-token", w.slack.URL()
	cfg.SlackSigningSecret = slackSigningSecret
	w.r = startWith(t, cfg, w.fake, w.clk, Options{WorkDir: workDir,
		SlackResponseURLAllowed: func(u *url.URL) bool { return u.Host == strings.TrimPrefix(sw.hooks.URL, "http://") },
		OnEffectDone: func(e store.Effect, err error) {
			if _, limited := slackbot.RetryAt(err); err != nil && !errors.Is(err, context.Canceled) && !limited {
				t.Errorf("effect %s: %v", e.Key, err)
			}
			w.events <- effectDone{e, err}
		},
		OnSlackWait: func(until time.Time) { w.events <- until },
	}, func(a *App) {
		installAcme(t, a.Store(), w.clk.Now())
		a.slackRun.Runner = engineRunner{a}
	})
	sw.reportWorld = w
	return sw
}

// post sends a form to a Slack endpoint of the app, signed now.
func (sw *slackWorld) post(path string, form url.Values) (int, string) {
	sw.t.Helper()
	return postSlack(sw.t, sw.r.url+path, form, sw.clk.Now().Unix())
}

// postSlack posts form to target signed as Slack signs at Unix time ts.
func postSlack(t *testing.T, target string, form url.Values, ts int64) (int, string) {
	t.Helper()
	body := form.Encode()
	sts := strconv.FormatInt(ts, 10)
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", sts)
	req.Header.Set("X-Slack-Signature", slackbot.Sign([]byte(slackSigningSecret), sts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (sw *slackWorld) answered(s string) bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	for _, a := range sw.answers {
		if strings.Contains(a, s) {
			return true
		}
	}
	return false
}

// A slash command pauses the pipeline and a press of the release
// message's Resume button resumes it: each is verified, stored, run from
// the inbox, answered through its response URL, and the message's
// buttons follow.
func TestSlackCommandAndButtonThroughTheApp(t *testing.T) {
	sw := newSlackWorld(t)
	t0 := sw.release(threeStages)
	sw.waitFor("alpha baking with a Pause button", func() bool {
		return sw.slackShows("alpha: baking") && sw.slackShows(notify.SlackActionPause) && sw.slackShows(`"acme/api|app|1"`)
	})

	code, msg := sw.post("/slack/commands", url.Values{
		"team_id": {"T1"}, "user_id": {"U1"}, "channel_id": {"C1"}, "channel_name": {"deploys"}, "command": {"/deploy"},
		"text": {"acme/api pause app --reason 'db migration'"}, "trigger_id": {"t-pause"},
		"response_url": {sw.hooks.URL + "/commands/T1/1/abc"},
	})
	if code != http.StatusOK || !strings.Contains(msg, "Working on") {
		t.Fatalf("slash command answered %d %q", code, msg)
	}
	if o := sw.r.next(); o.Err != nil {
		t.Fatalf("slash command: %+v", o)
	}
	sw.waitFor("the pause answered", func() bool { return sw.answered("/commands/T1/1/abc: Done: *pause* app.") })
	sw.moveTo(t0.Add(10 * time.Minute)) // alpha's bake ends; the pause holds beta
	sw.waitFor("the pause shown", func() bool {
		return sw.slackShows("paused") && sw.slackShows(notify.SlackActionResume) && !sw.slackShows(notify.SlackActionPause)
	})

	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "trigger_id": "t-resume", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U1"},
		"channel": map[string]any{"id": "C1", "name": "deploys"}, "response_url": sw.hooks.URL + "/actions/T1/1/xyz",
		"actions": []map[string]any{{"type": "button", "block_id": "wavegate_release", "action_id": notify.SlackActionResume,
			"value": notify.SlackButtonValue("acme/api", "app", 1), "action_ts": "1.2"}},
	})
	if code, msg := sw.post("/slack/interactions", url.Values{"payload": {string(payload)}}); code != http.StatusOK || msg != "" {
		t.Fatalf("press answered %d %q", code, msg)
	}
	if o := sw.r.next(); o.Err != nil {
		t.Fatalf("press: %+v", o)
	}
	sw.waitFor("the resume answered and shown", func() bool {
		return sw.answered("/actions/T1/1/xyz: Done: *resume* app.") && sw.slackShows("beta: baking") &&
			sw.slackShows(notify.SlackActionPause) && !sw.slackShows(notify.SlackActionResume)
	})
}

// Without a signing secret the Slack routes say that Slack commands are
// off, and the release message would show no buttons.
func TestSlackCommandsOffWithoutSecret(t *testing.T) {
	fake := newFake(t)
	r := start(t, newConfig(t, fake, true), fake, clock.NewFake(time.Now()), nil)
	for _, path := range []string{"/slack/commands", "/slack/interactions"} {
		resp, err := http.Post(r.url+path, "application/x-www-form-urlencoded", strings.NewReader("team_id=T1"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "Slack commands are off") {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, b)
		}
	}
	if r.app.slackCommandsOn() {
		t.Fatal("Slack commands on without a secret or an app token")
	}
}
