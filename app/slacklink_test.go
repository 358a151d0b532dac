package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// slackCommandWorld is the command world (release 1 of acme/api through
// alpha → sign-off → beta) with Slack commands on, answering through a
// response URL the test serves.
type slackCommandWorld struct {
	*commandWorld
	hooks   *httptest.Server
	mu      sync.Mutex
	answers map[string][]string // by response URL path
	replied chan struct{}
}

func newSlackCommandWorld(t *testing.T) *slackCommandWorld {
	t.Helper()
	sw := &slackCommandWorld{answers: map[string][]string{}, replied: make(chan struct{}, 100)}
	sw.hooks = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		sw.mu.Lock()
		sw.answers[r.URL.Path] = append(sw.answers[r.URL.Path], m.Text)
		sw.mu.Unlock()
		sw.replied <- struct{}{}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(sw.hooks.Close)
	hooksHost := strings.TrimPrefix(sw.hooks.URL, "http://")
	w := newCommandWorldWith(t, nil, func(cfg *Config, opts *Options) {
		cfg.SlackSigningSecret = slackSigningSecret
		opts.SlackResponseURLAllowed = func(u *url.URL) bool { return u.Host == hooksHost }
	})
	sw.commandWorld = w
	return sw
}

// slash sends a signed slash command from Slack user U1 and waits until
// it has been run from the inbox.
func (sw *slackCommandWorld) slash(trigger, text string) {
	sw.t.Helper()
	sw.send("/slack/commands", url.Values{
		"team_id": {"T1"}, "user_id": {"U1"}, "channel_id": {"C1"}, "channel_name": {"deploys"}, "command": {"/deploy"},
		"text": {text}, "trigger_id": {trigger}, "response_url": {sw.hooks.URL + "/commands/" + trigger},
	})
}

// press sends a signed press of a release message's button by U1.
func (sw *slackCommandWorld) press(trigger, action string) {
	sw.t.Helper()
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "trigger_id": trigger, "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U1"},
		"channel": map[string]any{"id": "C1", "name": "deploys"}, "response_url": sw.hooks.URL + "/actions/" + trigger,
		"actions": []map[string]any{{"type": "button", "block_id": "wavegate_release", "action_id": action,
			"value": notify.SlackButtonValue("acme/api", "app", 1), "action_ts": "1.2"}},
	})
	sw.send("/slack/interactions", url.Values{"payload": {string(payload)}})
}

func (sw *slackCommandWorld) send(path string, form url.Values) {
	sw.t.Helper()
	ts := sw.clk.Now().Unix()
	code, msg := postSlack(sw.t, sw.r.url+path, form, ts)
	if code != http.StatusOK {
		sw.t.Fatalf("%s: %d %q", path, code, msg)
	}
	if o := sw.r.next(); o.State != store.DeliveryDone {
		sw.t.Fatalf("%s: %s %v", path, o.State, o.Err)
	}
}

// answer waits for the answer posted to a response URL's path.
func (sw *slackCommandWorld) answer(path string) string {
	sw.t.Helper()
	for {
		sw.mu.Lock()
		got := sw.answers[path]
		sw.mu.Unlock()
		if len(got) > 0 {
			return got[len(got)-1]
		}
		select {
		case <-sw.replied:
		case <-time.After(10 * time.Second): // deadlock guard only
			sw.t.Fatalf("no answer at %s", path)
		}
	}
}

// Slack end to end with the real runner: a Slack user links their GitHub
// account, approves with the release message's button, pauses with a
// slash command; an unlinked user is told to link; each is audited.
func TestSlackLinkApprovePauseEndToEnd(t *testing.T) {
	sw := newSlackCommandWorld(t)
	sw.until("sign-off waiting", func(st pipeline.State) bool { return stageStatus(st, "sign-off") == pipeline.StageActive })

	sw.slash("t-unlinked", "acme/api pause app --reason 'db migration'")
	if a := sw.answer("/commands/t-unlinked"); !strings.Contains(a, "/deploy link") {
		t.Fatalf("unlinked user answered %q", a)
	}
	if st := sw.state(); st.Paused != "" {
		t.Fatalf("an unlinked user paused the pipeline: %+v", st.Paused)
	}

	sw.slash("t-link", "link")
	code := regexp.MustCompile(`/deploy link ([A-Z0-9]{4}-[A-Z0-9]{4})`).FindStringSubmatch(sw.answer("/commands/t-link"))
	if code == nil {
		t.Fatalf("no code in %q", sw.answer("/commands/t-link"))
	}
	sw.comment("c-link", "max", "/deploy link "+code[1])

	sw.press("t-approve", notify.SlackActionApprove)
	sw.until("sign-off approved", func(st pipeline.State) bool { return stageStatus(st, "sign-off") == pipeline.StageSucceeded })
	if a := sw.answer("/actions/t-approve"); a == "" {
		t.Fatal("the press was not answered")
	}

	sw.slash("t-pause", "acme/api pause app --reason 'db migration'")
	sw.until("paused", func(st pipeline.State) bool { return st.Paused != "" })

	for id, verb := range map[string]string{"slack:t-approve": "approve", "slack:t-pause": "pause"} {
		e := sw.auditOf(id)
		if e.Decision != store.AuditAccepted || e.Login != "max" || e.SlackUser != "T1/U1" || e.Surface != store.SurfaceSlack || e.Verb != verb {
			t.Errorf("audit of %s: %+v", id, e)
		}
	}
	if e := sw.auditOf("slack:t-unlinked"); e.Decision != store.AuditRefused || e.Login != "" || e.SlackUser != "T1/U1" {
		t.Errorf("audit of the unlinked command: %+v", e)
	}
}
