package slackbot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/slackfake"
	"github.com/wavegate/wavegate/slackbot"
)

const token = "xoxb-1111-2222-very-secret"

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func setup(t *testing.T) (*slackbot.Client, *slackfake.Server, *clock.Fake) {
	t.Helper()
	s := slackfake.New(t)
	clk := clock.NewFake(t0)
	c, err := slackbot.New(slackbot.Options{Token: token, APIURL: s.URL(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return c, s, clk
}

// blockUntilTimerAt waits until the code under test sleeps until exactly
// deadline, failing the test rather than hanging if it never does.
func blockUntilTimerAt(t *testing.T, clk *clock.Fake, deadline time.Time) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		clk.BlockUntilTimerAt(deadline)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		next, _ := clk.NextDeadline()
		t.Fatalf("no timer at %s after 10s; earliest pending: %s", deadline.Format(time.TimeOnly), next.Format(time.TimeOnly))
	}
}

// blockUntilWaiters waits until n timers are pending, failing the test
// rather than hanging if they never are.
func blockUntilWaiters(t *testing.T, clk *clock.Fake, n int) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		clk.BlockUntilWaiters(n)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%d timers pending after 10s, want %d", clk.Waiters(), n)
	}
}

// await returns what the goroutine behind ch sent, failing after 10s.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return within 10s", what)
		panic("unreachable")
	}
}

type posted struct {
	channelID, ts string
	err           error
}

func goPost(c *slackbot.Client, channel, key string) <-chan posted {
	ch := make(chan posted, 1)
	go func() {
		id, ts, err := c.Post(context.Background(), channel, slackbot.Message{Text: key, Key: key})
		ch <- posted{id, ts, err}
	}()
	return ch
}

func TestPostPacesSequentialCallsToOneChannel(t *testing.T) {
	c, s, clk := setup(t)
	done := make(chan []posted, 1)
	go func() {
		var out []posted
		for i := range 3 {
			id, ts, err := c.Post(context.Background(), "C0DEPLOYS", slackbot.Message{Text: fmt.Sprint(i)})
			out = append(out, posted{id, ts, err})
		}
		done <- out
	}()

	s.WaitCalls(t, 1)
	for i := 1; i <= 2; i++ {
		blockUntilTimerAt(t, clk, t0.Add(time.Duration(i)*time.Second))
		if n := len(s.Calls()); n != i {
			t.Fatalf("before the clock reached t0+%ds the server saw %d calls, want %d", i, n, i)
		}
		clk.Advance(time.Second)
		s.WaitCalls(t, i+1)
	}
	for i, p := range await(t, done, "three posts") {
		if p.err != nil || p.channelID != "C0DEPLOYS" || p.ts == "" {
			t.Errorf("post %d = %+v", i, p)
		}
	}
}

func TestConcurrentCallersToOneChannelEachGetASlot(t *testing.T) {
	c, s, clk := setup(t)
	results := make([]<-chan posted, 3)
	for i := range results {
		results[i] = goPost(c, "C0DEPLOYS", fmt.Sprint(i))
	}
	s.WaitCalls(t, 1)
	// Both waiters hold distinct slots at the same time.
	blockUntilTimerAt(t, clk, t0.Add(time.Second))
	blockUntilTimerAt(t, clk, t0.Add(2*time.Second))
	if n := len(s.Calls()); n != 1 {
		t.Fatalf("server saw %d calls before the clock moved, want 1", n)
	}
	clk.Advance(time.Second)
	s.WaitCalls(t, 2)
	blockUntilTimerAt(t, clk, t0.Add(2*time.Second))
	if n := len(s.Calls()); n != 2 {
		t.Fatalf("server saw %d calls at t0+1s, want 2", n)
	}
	clk.Advance(time.Second)
	for i, ch := range results {
		if p := await(t, ch, "post"); p.err != nil {
			t.Errorf("post %d: %v", i, p.err)
		}
	}
	if n := len(s.Messages("C0DEPLOYS")); n != 3 {
		t.Errorf("%d messages posted, want 3", n)
	}
}

func TestChannelsDoNotWaitForEachOther(t *testing.T) {
	c, s, clk := setup(t)
	s.AddChannel("other", "C0OTHER")
	if _, _, err := c.Post(context.Background(), "C0DEPLOYS", slackbot.Message{Text: "a1"}); err != nil {
		t.Fatal(err)
	}
	waiting := goPost(c, "C0DEPLOYS", "a2")
	blockUntilTimerAt(t, clk, t0.Add(time.Second))

	// With C0DEPLOYS's next slot a second away, C0OTHER goes now.
	if p := await(t, goPost(c, "C0OTHER", "b1"), "post to another channel"); p.err != nil {
		t.Fatal(p.err)
	}
	if got := clk.Now(); !got.Equal(t0) {
		t.Fatalf("clock moved to %s", got)
	}
	calls := s.Calls()
	if len(calls) != 2 || calls[1].Channel != "C0OTHER" {
		t.Fatalf("calls = %+v, want a1 then b1", calls)
	}
	clk.Advance(time.Second)
	if p := await(t, waiting, "second post to C0DEPLOYS"); p.err != nil {
		t.Fatal(p.err)
	}
}

func TestRateLimitGivesRetryAtAndHoldsTheChannel(t *testing.T) {
	c, s, clk := setup(t)
	s.FailNext("chat.postMessage", http.StatusTooManyRequests, http.Header{"Retry-After": {"30"}}, "")

	_, _, err := c.Post(context.Background(), "C0DEPLOYS", slackbot.Message{Text: "x", Key: "k"})
	at, ok := slackbot.RetryAt(err)
	if !ok || !at.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("RetryAt(%v) = %s, %v; want t0+30s", err, at, ok)
	}
	if !slackbot.IsTransient(err) || errors.Is(err, slackbot.ErrGone) {
		t.Errorf("rate limit: transient %v, gone %v", slackbot.IsTransient(err), errors.Is(err, slackbot.ErrGone))
	}
	if !strings.Contains(err.Error(), "C0DEPLOYS") {
		t.Errorf("error %q does not name the channel", err)
	}

	next := goPost(c, "C0DEPLOYS", "again")
	blockUntilTimerAt(t, clk, t0.Add(30*time.Second))
	if n := len(s.Calls()); n != 1 {
		t.Fatalf("server saw %d calls before Retry-After passed, want 1", n)
	}
	clk.Advance(30 * time.Second)
	if p := await(t, next, "post after the rate limit"); p.err != nil {
		t.Fatal(p.err)
	}
}

func TestRateLimitWithoutUsableRetryAfterMeansOneSecond(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		retryAfter string
		slackError string
		want       time.Duration
	}{
		{"seconds", http.StatusTooManyRequests, "7", "", 7 * time.Second},
		{"zero", http.StatusTooManyRequests, "0", "", time.Second},
		{"missing", http.StatusTooManyRequests, "", "", time.Second},
		{"http date", http.StatusTooManyRequests, "Wed, 21 Oct 2015 07:28:00 GMT", "", time.Second},
		{"ratelimited code", http.StatusOK, "", "ratelimited", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s, _ := setup(t)
			h := http.Header{}
			if tc.retryAfter != "" {
				h.Set("Retry-After", tc.retryAfter)
			}
			s.FailNext("chat.update", tc.status, h, tc.slackError)
			err := c.Update(context.Background(), "C0DEPLOYS", "1700000000.000001", slackbot.Message{Text: "x"})
			if at, ok := slackbot.RetryAt(err); !ok || !at.Equal(t0.Add(tc.want)) {
				t.Errorf("RetryAt(%v) = %s, %v; want t0+%s", err, at, ok, tc.want)
			}
		})
	}
}

func TestGoneErrors(t *testing.T) {
	for _, tc := range []struct {
		code string
		gone bool
	}{
		{"message_not_found", true},
		{"channel_not_found", true},
		{"cant_update_message", true},
		{"is_archived", true},
		{"thread_not_found", true},
		{"not_in_channel", false},
		{"invalid_auth", false},
		{"internal_error", false},
	} {
		t.Run(tc.code, func(t *testing.T) {
			c, s, _ := setup(t)
			s.FailNext("chat.update", http.StatusOK, nil, tc.code)
			err := c.Update(context.Background(), "C0DEPLOYS", "1700000000.000001", slackbot.Message{Text: "x"})
			if err == nil {
				t.Fatal("update succeeded")
			}
			if errors.Is(err, slackbot.ErrGone) != tc.gone {
				t.Errorf("errors.Is(%q, ErrGone) = %v, want %v", err, !tc.gone, tc.gone)
			}
			if !strings.Contains(err.Error(), tc.code) {
				t.Errorf("error %q lost the Slack code", err)
			}
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != tc.code {
				t.Errorf("error %q does not wrap slack's error", err)
			}
		})
	}
}

func TestUpdateOfMissingMessageIsGone(t *testing.T) {
	c, s, clk := setup(t)
	ctx := context.Background()
	err := c.Update(ctx, "C0DEPLOYS", "1700000000.999999", slackbot.Message{Text: "x"})
	if !errors.Is(err, slackbot.ErrGone) || !strings.Contains(err.Error(), "message_not_found") || slackbot.IsTransient(err) {
		t.Errorf("update of unknown ts: %v", err)
	}

	clk.Advance(time.Second)
	_, ts, err := c.Post(ctx, "C0DEPLOYS", slackbot.Message{Text: "v1", Key: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	blocks := []slack.Block{slack.NewDividerBlock()}
	if err := c.Update(ctx, "C0DEPLOYS", ts, slackbot.Message{Text: "v2", Blocks: blocks, Key: "r1"}); err != nil {
		t.Fatal(err)
	}
	got := s.Messages("C0DEPLOYS")
	if len(got) != 1 || got[0].Text != "v2" || !strings.Contains(string(got[0].Blocks), "divider") || got[0].MetadataKey != "r1" {
		t.Errorf("after update: %+v", got)
	}

	// A report that no longer has blocks must not keep showing the old ones.
	clk.Advance(time.Second)
	if err := c.Update(ctx, "C0DEPLOYS", ts, slackbot.Message{Text: "v3", Key: "r1"}); err != nil {
		t.Fatal(err)
	}
	if got := s.Messages("C0DEPLOYS"); len(got) != 1 || got[0].Text != "v3" || got[0].Blocks != nil {
		t.Errorf("after update without blocks: %+v", got)
	}

	s.Delete("C0DEPLOYS", ts)
	clk.Advance(time.Second)
	if err := c.Update(ctx, "C0DEPLOYS", ts, slackbot.Message{Text: "v4"}); !errors.Is(err, slackbot.ErrGone) {
		t.Errorf("update of deleted message: %v, want ErrGone", err)
	}
}

func TestReplyThreadsAndReportsAMissingParent(t *testing.T) {
	c, s, clk := setup(t)
	ctx := context.Background()
	id, parent, err := c.Post(ctx, "#deploys", slackbot.Message{Text: "release", Key: "rel"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	ts, err := c.Reply(ctx, id, parent, slackbot.Message{Text: "wave 1", Key: "rel/wave-1"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages(id)
	if len(msgs) != 2 || msgs[1].TS != ts || msgs[1].ThreadTS != parent || msgs[1].MetadataKey != "rel/wave-1" {
		t.Errorf("messages = %+v", msgs)
	}

	s.Delete(id, parent)
	clk.Advance(time.Second)
	_, err = c.Reply(ctx, id, parent, slackbot.Message{Text: "wave 2", Key: "rel/wave-2"})
	if !errors.Is(err, slackbot.ErrGone) {
		t.Errorf("reply to deleted parent: %v, want ErrGone", err)
	}
}

func TestPostRefusesMoreBlocksThanSlackAllows(t *testing.T) {
	c, s, _ := setup(t)
	blocks := make([]slack.Block, 51)
	for i := range blocks {
		blocks[i] = slack.NewDividerBlock()
	}
	_, _, err := c.Post(context.Background(), "C0DEPLOYS", slackbot.Message{Text: "x", Blocks: blocks})
	if err == nil || !strings.Contains(err.Error(), "51 blocks") {
		t.Errorf("err = %v, want a block-count error", err)
	}
	if n := len(s.Calls()); n != 0 {
		t.Errorf("server saw %d calls", n)
	}
}

func TestFindMessageFindsByKeyAcrossPages(t *testing.T) {
	c, s, clk := setup(t)
	target := s.AddMessage("C0DEPLOYS", slackfake.Message{Text: "report", MetadataType: "wavegate_report", MetadataKey: "rel-7"})
	var parent string
	for i := range 250 {
		ts := s.AddMessage("C0DEPLOYS", slackfake.Message{Text: "chatter", MetadataType: "wavegate_report", MetadataKey: fmt.Sprint("rel-x", i)})
		if i == 240 {
			parent = ts
		}
	}
	// Newer, same key, but a reply shown in the channel: not the report.
	s.AddMessage("C0DEPLOYS", slackfake.Message{Text: "event", ThreadTS: parent, Broadcast: true, MetadataType: "wavegate_report", MetadataKey: "rel-7"})
	// Same key from another app's metadata: not ours.
	s.AddMessage("C0DEPLOYS", slackfake.Message{Text: "other app", MetadataType: "someone_else", MetadataKey: "rel-7"})

	got := make(chan posted, 1)
	go func() {
		ts, err := c.FindMessage(context.Background(), "C0DEPLOYS", "rel-7", time.Time{})
		got <- posted{ts: ts, err: err}
	}()
	blockUntilTimerAt(t, clk, t0.Add(time.Second))
	clk.Advance(time.Second)
	p := await(t, got, "FindMessage")
	if p.err != nil || p.ts != target {
		t.Fatalf("FindMessage = %q, %v; want %q", p.ts, p.err, target)
	}
	calls := s.CallsTo("conversations.history")
	if len(calls) != 2 {
		t.Fatalf("%d history calls, want 2", len(calls))
	}
	for _, call := range calls {
		if call.Params.Get("limit") != "200" || call.Params.Get("include_all_metadata") != "1" {
			t.Errorf("history params %v", call.Params)
		}
	}
}

func TestFindMessageHonoursOldestAndStopsAfterTenPages(t *testing.T) {
	c, s, clk := setup(t)
	target := s.AddMessage("C0DEPLOYS", slackfake.Message{MetadataType: "wavegate_report", MetadataKey: "old"})
	ctx := context.Background()

	// target is 1700000000.000001: oldest just after it excludes it.
	ts, err := c.FindMessage(ctx, "C0DEPLOYS", "old", time.Unix(1700000000, 2000))
	if err != nil || ts != "" {
		t.Errorf("after oldest: %q, %v; want none", ts, err)
	}
	clk.Advance(time.Second)
	ts, err = c.FindMessage(ctx, "C0DEPLOYS", "old", time.Unix(1700000000, 1000))
	if err != nil || ts != target {
		t.Errorf("at oldest: %q, %v; want %q", ts, err, target)
	}

	for range 2000 {
		s.AddMessage("C0DEPLOYS", slackfake.Message{Text: "chatter"})
	}
	clk.Advance(time.Second)
	start := clk.Now()
	got := make(chan posted, 1)
	go func() {
		ts, err := c.FindMessage(ctx, "C0DEPLOYS", "old", time.Time{})
		got <- posted{ts: ts, err: err}
	}()
	for i := 1; i < 10; i++ {
		blockUntilTimerAt(t, clk, start.Add(time.Duration(i)*time.Second))
		clk.Advance(time.Second)
	}
	p := await(t, got, "FindMessage")
	if p.err != nil || p.ts != "" {
		t.Errorf("beyond 10 pages: %q, %v; want none", p.ts, p.err)
	}
	if n := len(s.CallsTo("conversations.history")); n != 2+10 {
		t.Errorf("%d history calls, want 12", n)
	}
}

func TestFindRepliesMapsKeysToEarliestReply(t *testing.T) {
	c, s, clk := setup(t)
	parent := s.AddMessage("C0DEPLOYS", slackfake.Message{Text: "release", MetadataType: "wavegate_report", MetadataKey: "rel"})
	a := s.AddMessage("C0DEPLOYS", slackfake.Message{ThreadTS: parent, MetadataType: "wavegate_report", MetadataKey: "a"})
	for range 200 {
		s.AddMessage("C0DEPLOYS", slackfake.Message{ThreadTS: parent, Text: "a person"})
	}
	s.AddMessage("C0DEPLOYS", slackfake.Message{ThreadTS: parent, MetadataType: "wavegate_report", MetadataKey: "a"})
	b := s.AddMessage("C0DEPLOYS", slackfake.Message{ThreadTS: parent, MetadataType: "wavegate_report", MetadataKey: "b"})
	s.AddMessage("C0DEPLOYS", slackfake.Message{ThreadTS: parent, MetadataType: "someone_else", MetadataKey: "c"})

	type result struct {
		m   map[string]string
		err error
	}
	got := make(chan result, 1)
	go func() {
		m, err := c.FindReplies(context.Background(), "C0DEPLOYS", parent)
		got <- result{m, err}
	}()
	blockUntilTimerAt(t, clk, t0.Add(time.Second))
	clk.Advance(time.Second)
	r := await(t, got, "FindReplies")
	if r.err != nil || len(r.m) != 2 || r.m["a"] != a || r.m["b"] != b {
		t.Errorf("FindReplies = %v, %v; want a=%s b=%s", r.m, r.err, a, b)
	}
	if n := len(s.CallsTo("conversations.replies")); n != 2 {
		t.Errorf("%d replies calls, want 2", n)
	}

	clk.Advance(time.Second)
	s.Delete("C0DEPLOYS", parent)
	if _, err := c.FindReplies(context.Background(), "C0DEPLOYS", parent); !errors.Is(err, slackbot.ErrGone) {
		t.Errorf("replies of deleted parent: %v, want ErrGone", err)
	}
}

func TestResolveChannelListsOnceAndCaches(t *testing.T) {
	c, s, _ := setup(t)
	for i := range 250 {
		s.AddChannel(fmt.Sprintf("team-%03d", i), fmt.Sprintf("C1%03d", i))
	}
	ctx := context.Background()
	for _, tc := range []struct{ in, want string }{
		{"#team-240", "C1240"}, // second page
		{"team-240", "C1240"},
		{"#team-003", "C1003"},
		{"deploys", "C0DEPLOYS"},
		{"C0DEPLOYS", "C0DEPLOYS"},
		{"G0PRIVATE", "G0PRIVATE"},
	} {
		if got, err := c.ResolveChannel(ctx, tc.in); err != nil || got != tc.want {
			t.Errorf("ResolveChannel(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if n := len(s.CallsTo("conversations.list")); n != 2 {
		t.Errorf("%d conversations.list calls for one walk of 2 pages, want 2", n)
	}
	for _, call := range s.CallsTo("conversations.list") {
		if call.Params.Get("exclude_archived") != "true" || call.Params.Get("types") != "public_channel,private_channel" {
			t.Errorf("list params %v", call.Params)
		}
	}

	_, err := c.ResolveChannel(ctx, "#nowhere")
	if !errors.Is(err, slackbot.ErrGone) || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("unknown channel: %v", err)
	}
}

func TestNameAndIDShareOneSchedule(t *testing.T) {
	c, s, clk := setup(t)
	s.AddChannel("alpha", "C0ALPHA")
	ctx := context.Background()

	// Learnt from the Post answer.
	if _, _, err := c.Post(ctx, "#deploys", slackbot.Message{Text: "1"}); err != nil {
		t.Fatal(err)
	}
	byID := goPost(c, "C0DEPLOYS", "2")
	blockUntilTimerAt(t, clk, t0.Add(time.Second))

	// Learnt from ResolveChannel.
	if _, err := c.ResolveChannel(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Post(ctx, "C0ALPHA", slackbot.Message{Text: "3"}); err != nil {
		t.Fatal(err)
	}
	byName := goPost(c, "#alpha", "4")
	blockUntilWaiters(t, clk, 2)
	if n := len(s.CallsTo("chat.postMessage")); n != 2 {
		t.Fatalf("%d posts before the clock moved, want 2", n)
	}
	// Both callers must be released by the one-second step.
	clk.Advance(time.Second)
	for _, ch := range []<-chan posted{byID, byName} {
		if p := await(t, ch, "post"); p.err != nil {
			t.Error(p.err)
		}
	}
}

func TestCancelWhileWaitingSendsNothing(t *testing.T) {
	c, s, clk := setup(t)
	if _, _, err := c.Post(context.Background(), "C0DEPLOYS", slackbot.Message{Text: "1"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Update(ctx, "C0DEPLOYS", "1700000000.000001", slackbot.Message{Text: "2"}) }()
	blockUntilTimerAt(t, clk, t0.Add(time.Second))
	cancel()
	err := await(t, errc, "cancelled Update")
	if !errors.Is(err, context.Canceled) || slackbot.IsTransient(err) {
		t.Errorf("err = %v, want context.Canceled, not transient", err)
	}
	if w := clk.Waiters(); w != 0 {
		t.Errorf("%d timers left pending", w)
	}
	if n := len(s.Calls()); n != 1 {
		t.Errorf("server saw %d calls, want 1", n)
	}
}

// echoTransport fails every request with an error quoting its body, as a
// careless proxy or wrapper might.
type echoTransport struct{}

func (echoTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	return nil, fmt.Errorf("proxy refused request %s", b)
}

func TestTokenNeverInErrors(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()

	ctx := context.Background()
	check := func(t *testing.T, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		if strings.Contains(err.Error(), token) || strings.Contains(fmt.Sprintf("%+v", err), token) {
			t.Errorf("error shows the token: %v", err)
		}
	}
	for _, code := range []string{"invalid_auth", "not_authed", "token_revoked"} {
		t.Run(code, func(t *testing.T) {
			c, s, _ := setup(t)
			s.FailNext("chat.postMessage", http.StatusOK, nil, code)
			_, _, err := c.Post(ctx, "#deploys", slackbot.Message{Text: "x"})
			check(t, err)
		})
	}
	t.Run("server error", func(t *testing.T) {
		c, s, _ := setup(t)
		s.FailNext("conversations.list", http.StatusBadGateway, nil, "")
		_, err := c.ResolveChannel(ctx, "#deploys")
		check(t, err)
		if !slackbot.IsTransient(err) {
			t.Errorf("502 not transient: %v", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		c, err := slackbot.New(slackbot.Options{Token: token, APIURL: dead.URL, Clock: clock.NewFake(t0)})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Update(ctx, "C0DEPLOYS", "1.000001", slackbot.Message{Text: "x"})
		check(t, err)
		if !slackbot.IsTransient(err) {
			t.Errorf("refused connection not transient: %v", err)
		}
	})
	t.Run("transport echoes the request", func(t *testing.T) {
		c, err := slackbot.New(slackbot.Options{
			Token: token, APIURL: dead.URL, Clock: clock.NewFake(t0),
			HTTPClient: &http.Client{Transport: echoTransport{}},
		})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.Post(ctx, "C0DEPLOYS", slackbot.Message{Text: "x"})
		check(t, err)
		if !strings.Contains(err.Error(), "proxy refused") {
			t.Errorf("redaction lost the error: %v", err)
		}
	})
}

func TestNewChecksOptions(t *testing.T) {
	s := slackfake.New(t)
	for _, tc := range []struct {
		name string
		o    slackbot.Options
		ok   bool
	}{
		{"no token", slackbot.Options{APIURL: s.URL()}, false},
		{"negative gap", slackbot.Options{Token: token, Gap: -time.Second}, false},
		{"not a URL", slackbot.Options{Token: token, APIURL: "127.0.0.1:9/api"}, false},
		{"URL without trailing slash", slackbot.Options{Token: token, APIURL: strings.TrimSuffix(s.URL(), "/"), Clock: clock.NewFake(t0)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := slackbot.New(tc.o)
			if (err == nil) != tc.ok {
				t.Fatalf("New: %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if strings.Contains(err.Error(), token) {
					t.Errorf("error shows the token: %v", err)
				}
				return
			}
			if _, _, err := c.Post(context.Background(), "C0DEPLOYS", slackbot.Message{Text: "x"}); err != nil {
				t.Errorf("post through %s: %v", tc.o.APIURL, err)
			}
		})
	}
}
