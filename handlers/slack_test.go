package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"

	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/slackbot"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

// Slack's documented example ("Verifying requests from Slack"): the
// requests below are signed with its secret, and the first test sends its
// exact request.
const (
	slackVectorSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	slackVectorTimestamp = "1531420618"
	slackVectorBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	slackVectorSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

// slackIntake is the Slack endpoints over a SQLite inbox, on a fake clock
// at the vector's time.
type slackIntake struct {
	t        testing.TB
	store    store.Store
	clk      *clock.Fake
	slack    *Slack
	srv      *httptest.Server
	mu       sync.Mutex
	notified int
}

func newSlackIntake(t testing.TB, secret string) *slackIntake {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	in := &slackIntake{t: t, store: st, clk: clock.NewFake(time.Unix(1531420618, 0))}
	in.slack, err = NewSlack(SlackConfig{
		SigningSecret: []byte(secret), Inbox: st, Clock: in.clk, Registerer: prometheus.NewRegistry(),
		Notify: func() { in.mu.Lock(); in.notified++; in.mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/slack/commands", in.slack.Commands())
	mux.Handle("/slack/interactions", in.slack.Interactions())
	in.srv = httptest.NewServer(mux)
	t.Cleanup(in.srv.Close)
	return in
}

// post sends body to path signed at the fake clock's now; header entries
// replace the signed ones ("" removes one).
func (in *slackIntake) post(path, body string, header map[string]string) (int, string) {
	in.t.Helper()
	ts := strconv.FormatInt(in.clk.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, in.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackbot.Sign([]byte(slackVectorSecret), ts, []byte(body)))
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(msg)
}

func (in *slackIntake) deliveries() []store.Delivery {
	in.t.Helper()
	ds, err := in.store.ListDeliveries(context.Background(), store.DeliveryFilter{})
	if err != nil {
		in.t.Fatal(err)
	}
	out := make([]store.Delivery, 0, len(ds))
	for _, d := range ds {
		full, err := in.store.Delivery(context.Background(), d.ID)
		if err != nil {
			in.t.Fatal(err)
		}
		out = append(out, full)
	}
	return out
}

// slashForm is a slash command's form as Slack sends it.
func slashForm(trigger, text string) string {
	return url.Values{
		"token": {"legacy-verification-token"}, "team_id": {"T1"}, "team_domain": {"acme"},
		"channel_id": {"C1"}, "channel_name": {"deploys-api"}, "user_id": {"U1"}, "user_name": {"ann"},
		"command": {"/deploy"}, "text": {text}, "api_app_id": {"A1"},
		"response_url": {"https://hooks.slack.com/commands/T1/1/abc"}, "trigger_id": {trigger},
	}.Encode()
}

// buttonForm is a press of a release message's button as Slack sends it.
func buttonForm(trigger, action, value string) string {
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "trigger_id": trigger, "api_app_id": "A1",
		"team": map[string]any{"id": "T1", "domain": "acme"}, "user": map[string]any{"id": "U1", "name": "ann"},
		"channel":      map[string]any{"id": "C1", "name": "deploys-api"},
		"response_url": "https://hooks.slack.com/actions/T1/1/xyz",
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000100", "channel_id": "C1"},
		"actions": []map[string]any{{
			"type": "button", "action_id": action, "block_id": "wavegate_release", "value": value,
			"action_ts": "1531420618.000200", "text": map[string]any{"type": "plain_text", "text": "x"},
		}},
	})
	return url.Values{"payload": {string(payload)}}.Encode()
}

// Slack's own example request is accepted, stored under its trigger id,
// and stored without the legacy verification token it carries.
func TestSlackCommandVectorStored(t *testing.T) {
	in := newSlackIntake(t, slackVectorSecret)
	code, msg := in.post("/slack/commands", slackVectorBody, map[string]string{
		"X-Slack-Request-Timestamp": slackVectorTimestamp, "X-Slack-Signature": slackVectorSignature,
	})
	if code != http.StatusOK {
		t.Fatalf("status %d %q, want 200", code, msg)
	}
	var ack SlackAck
	if err := json.Unmarshal([]byte(msg), &ack); err != nil || ack.ResponseType != "ephemeral" || ack.Text == "" {
		t.Fatalf("ack %q (%v), want an ephemeral message", msg, err)
	}
	ds := in.deliveries()
	if len(ds) != 1 {
		t.Fatalf("%d deliveries stored, want 1", len(ds))
	}
	d := ds[0]
	if d.ID != "slack:398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c" || d.Event != EventSlackCommand ||
		d.Repository != "slack:T1DC2JH3J/U2CERLKJA" || d.State != store.DeliveryPending {
		t.Fatalf("stored %+v", d)
	}
	if strings.Contains(string(d.Payload), "xyzz0WbapA4vBCDEFasx0q6G") {
		t.Fatalf("the verification token was stored: %s", d.Payload)
	}
	var req slackRequest
	if err := json.Unmarshal(d.Payload, &req); err != nil {
		t.Fatal(err)
	}
	if req.Team != "T1DC2JH3J" || req.User != "U2CERLKJA" || req.ChannelName != "foobar" || req.Line != "/deploy" ||
		req.ResponseURL != "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN" {
		t.Fatalf("stored request %+v", req)
	}
	if in.notified != 1 {
		t.Fatalf("workers notified %d times, want 1", in.notified)
	}
}

// Refused requests are answered and leave nothing behind: no delivery, no
// wake-up.
func TestSlackRefusals(t *testing.T) {
	forged := slackbot.Sign([]byte("not the secret"), slackVectorTimestamp, []byte(slashForm("t1", "pause")))
	for _, tc := range []struct {
		name    string
		path    string
		secret  string
		body    string
		header  map[string]string
		advance time.Duration
		want    int
		reason  string
		message string
	}{
		{"forged command", "/slack/commands", slackVectorSecret, slashForm("t1", "pause"),
			map[string]string{"X-Slack-Signature": forged, "X-Slack-Request-Timestamp": slackVectorTimestamp}, 0, 401, "forged", "does not match"},
		{"forged press", "/slack/interactions", slackVectorSecret, buttonForm("t1", notify.SlackActionApprove, "acme/api|app|3"),
			map[string]string{"X-Slack-Signature": "v0=" + strings.Repeat("0", 64)}, 0, 401, "forged", "does not match"},
		{"unsigned", "/slack/commands", slackVectorSecret, slashForm("t1", "pause"),
			map[string]string{"X-Slack-Signature": ""}, 0, 401, "unsigned", "missing"},
		{"no timestamp", "/slack/interactions", slackVectorSecret, buttonForm("t1", notify.SlackActionApprove, "acme/api|app|3"),
			map[string]string{"X-Slack-Request-Timestamp": ""}, 0, 401, "unsigned", "missing"},
		// Signed at the vector's time, received 5m01s later.
		{"replayed", "/slack/commands", slackVectorSecret, slackVectorBody,
			map[string]string{"X-Slack-Request-Timestamp": slackVectorTimestamp, "X-Slack-Signature": slackVectorSignature},
			301 * time.Second, 401, "stale", "more than 5 minutes"},
		{"oversized", "/slack/commands", slackVectorSecret, slashForm("t1", strings.Repeat("a", MaxSlackBody)),
			nil, 0, 413, "too_large", "exceeds"},
		{"no signing secret", "/slack/commands", "", slashForm("t1", "pause"), nil, 0, 503, "no_secret", "Slack commands are off"},
		{"no signing secret, press", "/slack/interactions", "", buttonForm("t1", notify.SlackActionApprove, "acme/api|app|3"),
			nil, 0, 503, "no_secret", "Slack commands are off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := newSlackIntake(t, tc.secret)
			in.clk.Advance(tc.advance)
			code, msg := in.post(tc.path, tc.body, tc.header)
			if code != tc.want || !strings.Contains(msg, tc.message) {
				t.Fatalf("got %d %q, want %d containing %q", code, msg, tc.want, tc.message)
			}
			if ds := in.deliveries(); len(ds) != 0 || in.notified != 0 {
				t.Fatalf("a refused request was stored (%d) or notified (%d)", len(ds), in.notified)
			}
			if got := testutil.ToFloat64(in.slack.rejected.WithLabelValues(tc.reason)); got != 1 {
				t.Fatalf("rejected{reason=%q} = %v, want 1", tc.reason, got)
			}
		})
	}
}

// A body streamed without a declared length is cut at the cap too.
func TestSlackOversizedWithoutContentLength(t *testing.T) {
	in := newSlackIntake(t, slackVectorSecret)
	body := slashForm("t1", strings.Repeat("a", MaxSlackBody))
	ts := slackVectorTimestamp
	req, _ := http.NewRequest(http.MethodPost, in.srv.URL+"/slack/commands", io.MultiReader(strings.NewReader(body)))
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackbot.Sign([]byte(slackVectorSecret), ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || len(in.deliveries()) != 0 {
		t.Fatalf("status %d with %d stored, want 413 and none", resp.StatusCode, len(in.deliveries()))
	}
}

// fakeRunner records what it is asked to run and answers as told.
type fakeRunner struct {
	mu       sync.Mutex
	requests []commandrun.Request
	invalid  []commands.Parsed
	answer   commandrun.Response
	err      error
}

func (f *fakeRunner) Run(_ context.Context, req commandrun.Request) (commandrun.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	return f.answer, f.err
}

func (f *fakeRunner) RunInvalid(_ context.Context, req commandrun.Request, p commands.Parsed) (commandrun.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	f.invalid = append(f.invalid, p)
	return commandrun.Response{Outcome: commandrun.Invalid, Text: "invalid"}, f.err
}

// drain runs every pending delivery through h as the inbox would, and
// returns how many it ran.
func (in *slackIntake) drain(h *SlackRun) int {
	in.t.Helper()
	ctx := context.Background()
	n := 0
	for {
		ds, err := in.store.Claim(ctx, in.clk.Now(), 10, time.Minute)
		if err != nil {
			in.t.Fatal(err)
		}
		if len(ds) == 0 {
			return n
		}
		for _, d := range ds {
			if err := h.Handle(ctx, d); err != nil {
				in.t.Fatalf("handle %s: %v", d.ID, err)
			}
			if err := in.store.Complete(ctx, d.Seq, in.clk.Now()); err != nil {
				in.t.Fatal(err)
			}
			n++
		}
	}
}

// replies performs the queued Slack answers against a response URL served
// by the test, and returns what was posted to it.
func (in *slackIntake) replies() []map[string]any {
	in.t.Helper()
	var mu sync.Mutex
	var got []map[string]any
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		m["path"] = r.URL.Path
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	defer hooks.Close()
	hooksURL, _ := url.Parse(hooks.URL)
	// The stored URLs are Slack's; the test's responder sends them to
	// its own server instead.
	perf := &effects.SlackReplies{Responder: redirect{to: hooksURL}}
	ctx := context.Background()
	for {
		es, err := in.store.ClaimEffects(ctx, in.clk.Now(), 10, time.Minute)
		if err != nil {
			in.t.Fatal(err)
		}
		if len(es) == 0 {
			return got
		}
		for _, e := range es {
			if e.Kind != effects.KindSlackReply {
				in.t.Fatalf("effect of kind %q queued", e.Kind)
			}
			if _, err := perf.Perform(ctx, e); err != nil {
				in.t.Fatal(err)
			}
			if err := in.store.CompleteEffect(ctx, e.Seq, in.clk.Now(), nil); err != nil {
				in.t.Fatal(err)
			}
		}
	}
}

// redirect answers through a Slack response URL's path on another host.
type redirect struct{ to *url.URL }

func (r redirect) Respond(ctx context.Context, responseURL, text string) error {
	u, err := url.Parse(responseURL)
	if err != nil || !slackbot.SlackResponseURL(u) {
		return slackbot.ErrResponseURL
	}
	u.Scheme, u.Host = r.to.Scheme, r.to.Host
	return slackbot.Responder{Allow: func(*url.URL) bool { return true }}.Respond(ctx, u.String(), text)
}

func newSlackRun(in *slackIntake, r commandrun.Runner) *SlackRun {
	return &SlackRun{Runner: r, Outbox: in.store, Clock: in.clk}
}

// A press of Approve on a release message becomes approve of that
// release, run as the Slack user who pressed, and is answered through the
// press's response URL.
func TestSlackApproveButton(t *testing.T) {
	in := newSlackIntake(t, slackVectorSecret)
	code, msg := in.post("/slack/interactions", buttonForm("111.222.abc", notify.SlackActionApprove, "acme/api|app|3"), nil)
	if code != http.StatusOK || msg != "" {
		t.Fatalf("ack %d %q, want an empty 200", code, msg)
	}
	runner := &fakeRunner{answer: commandrun.Response{Outcome: commandrun.Accepted, Text: "Approved **release-approval** of [release 3](https://example.test/r/3)."}}
	if n := in.drain(newSlackRun(in, runner)); n != 1 {
		t.Fatalf("ran %d deliveries, want 1", n)
	}
	if len(runner.requests) != 1 {
		t.Fatalf("runner asked %d times, want 1", len(runner.requests))
	}
	r := runner.requests[0]
	if r.ID != "slack:111.222.abc" || r.Surface != store.SurfaceSlack || r.Repository != "acme/api" || r.Pipeline != "app" ||
		r.ReleaseID != 3 || r.SlackTeam != "T1" || r.SlackUser != "U1" || r.SlackChannel != "deploys-api" || r.Login != "" ||
		r.Command.Verb != commands.VerbApprove || r.Command.Line != "/deploy approve" || !r.At.Equal(in.clk.Now()) {
		t.Fatalf("request %+v", r)
	}
	got := in.replies()
	if len(got) != 1 || got[0]["path"] != "/actions/T1/1/xyz" || got[0]["response_type"] != "ephemeral" ||
		got[0]["text"] != "Approved *release-approval* of <https://example.test/r/3|release 3>." {
		t.Fatalf("replies %v", got)
	}
}

// Reject and Roll back need a reason: the press is answered with the
// exact command to type, and nothing runs.
func TestSlackReasonButtonsAnswerWithTheCommand(t *testing.T) {
	in := newSlackIntake(t, slackVectorSecret)
	in.post("/slack/interactions", buttonForm("t-reject", notify.SlackActionReject, "acme/api|app|3"), nil)
	in.post("/slack/interactions", buttonForm("t-rollback", notify.SlackActionRollback, "acme/api|app|4"), nil)
	runner := &fakeRunner{}
	in.drain(newSlackRun(in, runner))
	if len(runner.requests) != 0 {
		t.Fatalf("runner asked %v", runner.requests)
	}
	got := in.replies()
	want := []string{
		"Rejecting needs a reason, which a button cannot carry. Type:\n`/deploy acme/api reject --release 3 --reason \"why\"`",
		"Rolling back needs a reason, which a button cannot carry. Type:\n`/deploy acme/api rollback --release 4 --reason \"why\"`",
	}
	if len(got) != 2 || got[0]["text"] != want[0] || got[1]["text"] != want[1] {
		t.Fatalf("replies %v, want %q", got, want)
	}
}

// A retried request (same trigger id, X-Slack-Retry-Num) and a delivery
// processed twice run the command once and answer once.
func TestSlackDuplicateTriggerRunsOnce(t *testing.T) {
	in := newSlackIntake(t, slackVectorSecret)
	body := buttonForm("t-dup", notify.SlackActionPause, "acme/api|app|3")
	if code, _ := in.post("/slack/interactions", body, nil); code != http.StatusOK {
		t.Fatalf("first: %d", code)
	}
	in.clk.Advance(3 * time.Second)
	if code, _ := in.post("/slack/interactions", body, map[string]string{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}); code != http.StatusOK {
		t.Fatalf("retry: %d", code)
	}
	cmd := slashForm("t-cmd", "pause app --reason 'db migration'")
	in.post("/slack/commands", cmd, nil)
	in.post("/slack/commands", cmd, map[string]string{"X-Slack-Retry-Num": "1"})
	if ds := in.deliveries(); len(ds) != 2 || in.notified != 2 {
		t.Fatalf("%d stored, %d notified; want 2 and 2", len(ds), in.notified)
	}
	if got := testutil.ToFloat64(in.slack.dupes.WithLabelValues(EventSlackInteraction)); got != 1 {
		t.Fatalf("duplicate presses counted %v, want 1", got)
	}
	runner := &fakeRunner{answer: commandrun.Response{Text: "Paused app."}}
	h := newSlackRun(in, runner)
	in.drain(h)
	presses := func() int {
		n := 0
		for _, r := range runner.requests {
			if r.ID == "slack:t-dup" {
				n++
			}
		}
		return n
	}
	if presses() != 1 {
		t.Fatalf("runner asked %d times for the press, want 1", presses())
	}
	// The inbox hands a delivery over again after a crash before Complete:
	// the runner, which applies once per ID, is asked again, but the
	// answer is queued once.
	d, err := in.store.Delivery(context.Background(), "slack:t-dup")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	answers := 0
	for _, r := range in.replies() {
		if r["path"] == "/actions/T1/1/xyz" {
			answers++
		}
	}
	if answers != 1 {
		t.Fatalf("the press was answered %d times, want 1", answers)
	}
}

// A slash command from a Slack user runs as that user (the runner finds
// their GitHub login through their link) and is answered twice: "working
// on it" at once, the outcome through the response URL.
func TestSlackSlashCommandPauses(t *testing.T) {
	in := newSlackIntake(t, slackVectorSecret)
	code, msg := in.post("/slack/commands", slashForm("t-pause", "acme/api pause app --reason 'db migration'"), nil)
	var ack SlackAck
	if err := json.Unmarshal([]byte(msg), &ack); code != http.StatusOK || err != nil ||
		ack.Text != "Working on `/deploy acme/api pause app --reason 'db migration'`…" {
		t.Fatalf("ack %d %q", code, msg)
	}
	runner := &fakeRunner{answer: commandrun.Response{Outcome: commandrun.Accepted, Text: "Paused **app** of acme/api: db migration."}}
	in.drain(newSlackRun(in, runner))
	if len(runner.requests) != 1 {
		t.Fatalf("runner asked %d times", len(runner.requests))
	}
	r := runner.requests[0]
	c := r.Command
	if r.ID != "slack:t-pause" || r.Repository != "acme/api" || r.SlackTeam != "T1" || r.SlackUser != "U1" ||
		r.SlackChannel != "deploys-api" || r.Source != "#deploys-api" || r.Login != "" || r.ReleaseID != 0 ||
		c.Verb != commands.VerbPause || c.Pipeline != "app" || c.Reason != "db migration" || c.Repository != "acme/api" {
		t.Fatalf("request %+v", r)
	}
	got := in.replies()
	if len(got) != 1 || got[0]["path"] != "/commands/T1/1/abc" || got[0]["text"] != "Paused *app* of acme/api: db migration." {
		t.Fatalf("replies %v", got)
	}
}

// Help and a line that does not parse are answered at once, and only
// once: the inbox audits them through the runner without answering again.
func TestSlackAnswersAtOnce(t *testing.T) {
	in := newSlackIntake(t, slackVectorSecret)
	_, msg := in.post("/slack/commands", slashForm("t-help", "help"), nil)
	if !strings.Contains(msg, "Wavegate commands") {
		t.Fatalf("help answered %q", msg)
	}
	_, msg = in.post("/slack/commands", slashForm("t-bad", "rollback --stage"), nil)
	var ack SlackAck
	if err := json.Unmarshal([]byte(msg), &ack); err != nil || !strings.HasPrefix(ack.Text, "`/deploy rollback --stage`: ") ||
		!strings.Contains(ack.Text, "Usage: `/deploy rollback") {
		t.Fatalf("invalid line answered %q", msg)
	}
	runner := &fakeRunner{answer: commandrun.Response{Text: "help"}}
	in.drain(newSlackRun(in, runner))
	if len(runner.requests) != 2 || len(runner.invalid) != 1 || runner.invalid[0].Command.Line != "/deploy rollback --stage" {
		t.Fatalf("runner asked %+v, invalid %+v; want help run and the bad line audited", runner.requests, runner.invalid)
	}
	if got := in.replies(); len(got) != 0 {
		t.Fatalf("answered again through the response URL: %v", got)
	}
}

// A runner failure is retried by the inbox; the person hears once that it
// will be, then the answer when it succeeds.
func TestSlackRunnerFailureRetriedAndSaidOnce(t *testing.T) {
	in := newSlackIntake(t, slackVectorSecret)
	in.post("/slack/commands", slashForm("t-flaky", "acme/api pause app --reason 'db migration'"), nil)
	runner := &fakeRunner{err: errors.New("GET /repos/acme/api/collaborators/ann/permission: 502")}
	h := newSlackRun(in, runner)
	ctx := context.Background()
	attempt := func() error {
		t.Helper()
		ds, err := in.store.Claim(ctx, in.clk.Now(), 1, time.Minute)
		if err != nil || len(ds) != 1 {
			t.Fatalf("claim: %v %v", ds, err)
		}
		herr := h.Handle(ctx, ds[0])
		if herr != nil {
			if err := in.store.Retry(ctx, ds[0].Seq, in.clk.Now(), herr.Error()); err != nil {
				t.Fatal(err)
			}
		} else if err := in.store.Complete(ctx, ds[0].Seq, in.clk.Now()); err != nil {
			t.Fatal(err)
		}
		return herr
	}
	for i := 0; i < 2; i++ {
		if err := attempt(); !IsRetryable(err) {
			t.Fatalf("attempt %d: %v, want a retryable error", i+1, err)
		}
	}
	runner.mu.Lock()
	runner.err, runner.answer = nil, commandrun.Response{Text: "Paused app."}
	runner.mu.Unlock()
	if err := attempt(); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, r := range in.replies() {
		texts = append(texts, r["text"].(string))
	}
	want := []string{
		"Wavegate could not run `/deploy acme/api pause app --reason 'db migration'` yet (GitHub or Wavegate's database did not answer); it will try again and answer here.",
		"Paused app.",
	}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Fatalf("answers %q, want %q", texts, want)
	}
}

// Socket Mode takes any payload as the acknowledgement: none must be a
// nil interface (a typed nil would be sent as "null"), and a command's
// acknowledgement must come through.
func TestSlackSocketAcknowledgements(t *testing.T) {
	in := newSlackIntake(t, slackVectorSecret)
	ack, err := in.slack.SocketInteraction(t.Context(), slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission})
	if ack != nil || err != nil {
		t.Fatalf("a non-button interaction: %#v, %v; want a nil interface", ack, err)
	}
	sc := slack.SlashCommand{TeamID: "T1", ChannelID: "C1", UserID: "U1", Command: "/deploy", Text: "help",
		TriggerID: "t-socket", ResponseURL: "https://hooks.slack.com/commands/T1/1/abc"}
	ack, err = in.slack.SocketCommand(t.Context(), sc)
	if err != nil || ack == nil {
		t.Fatalf("/deploy help over Socket Mode: %#v, %v; want its answer", ack, err)
	}
	if _, ok := ack.(*SlackAck); !ok {
		t.Fatalf("acknowledgement %T, want *SlackAck", ack)
	}
}
