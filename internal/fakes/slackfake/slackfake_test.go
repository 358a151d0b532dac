package slackfake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/wavegate/wavegate/internal/fakes/slackfake"
)

const token = "xoxb-fake-test-token"

func client(s *slackfake.Server) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(s.URL()))
}

func meta(key string) slack.MsgOption {
	return slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "wavegate_report", EventPayload: map[string]any{"key": key}})
}

func TestPostAcceptsNameOrIDAndStampsIncreasingTS(t *testing.T) {
	s := slackfake.New(t)
	api := client(s)
	ctx := context.Background()

	var last string
	for _, ch := range []string{"#deploys", "deploys", "C0DEPLOYS"} {
		id, ts, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("hi "+ch, false), meta("k-"+ch))
		if err != nil {
			t.Fatalf("post to %s: %v", ch, err)
		}
		if id != "C0DEPLOYS" {
			t.Errorf("post to %s answered channel %q, want C0DEPLOYS", ch, id)
		}
		if ts <= last {
			t.Errorf("post to %s got ts %q, not after %q", ch, ts, last)
		}
		last = ts
	}
	if _, _, err := api.PostMessageContext(ctx, "#nope", slack.MsgOptionText("x", false)); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("post to unknown channel: err = %v, want channel_not_found", err)
	}

	msgs := s.Messages("C0DEPLOYS")
	if len(msgs) != 3 || msgs[0].Text != "hi #deploys" || msgs[2].MetadataKey != "k-C0DEPLOYS" || msgs[2].MetadataType != "wavegate_report" {
		t.Errorf("messages = %+v", msgs)
	}
	calls := s.Calls()
	if len(calls) != 4 || calls[0].Method != "chat.postMessage" || calls[0].Channel != "#deploys" || calls[1].MetadataKey != "k-deploys" {
		t.Errorf("calls = %+v", calls)
	}
	for _, c := range calls {
		if c.Params.Has("token") {
			t.Errorf("call %s records the token: %v", c.Method, c.Params)
		}
	}
}

func TestUpdateAppliesAndUnknownTSIsMessageNotFound(t *testing.T) {
	s := slackfake.New(t)
	api := client(s)
	ctx := context.Background()
	blocks := slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*v1*", false, false), nil, nil)
	_, ts, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("v1", false), slack.MsgOptionBlocks(blocks), meta("r1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C0DEPLOYS", ts, slack.MsgOptionText("v2", false), slack.MsgOptionBlocks(), meta("r1b")); err != nil {
		t.Fatalf("update: %v", err)
	}
	got := s.Messages("C0DEPLOYS")
	if len(got) != 1 || got[0].Text != "v2" || got[0].Blocks != nil || got[0].MetadataKey != "r1b" {
		t.Errorf("after update: %+v", got)
	}
	if c := s.Calls()[0]; !strings.Contains(string(c.Blocks), "*v1*") {
		t.Errorf("post call blocks = %s, want the section", c.Blocks)
	}

	_, _, _, err = api.UpdateMessageContext(ctx, "C0DEPLOYS", "1.000001", slack.MsgOptionText("x", false))
	if err == nil || err.Error() != "message_not_found" {
		t.Errorf("update of unknown ts: err = %v, want message_not_found", err)
	}
	s.Delete("C0DEPLOYS", ts)
	if got := s.Messages("C0DEPLOYS"); len(got) != 0 {
		t.Errorf("after Delete: %+v", got)
	}
	_, _, _, err = api.UpdateMessageContext(ctx, "C0DEPLOYS", ts, slack.MsgOptionText("x", false))
	if err == nil || err.Error() != "message_not_found" {
		t.Errorf("update of deleted message: err = %v, want message_not_found", err)
	}
	if n := len(s.Calls()); n != 4 {
		t.Errorf("recorded %d calls, want 4 (Delete is not an API call)", n)
	}
}

func TestReplyToMissingParentIsPostedTopLevel(t *testing.T) {
	s := slackfake.New(t)
	api := client(s)
	ctx := context.Background()
	_, parent, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("parent", false))
	if err != nil {
		t.Fatal(err)
	}
	_, _, msg, err := api.PostMessageWithResponseContext(ctx, "C0DEPLOYS", slack.MsgOptionText("reply", false), slack.MsgOptionTS(parent))
	if err != nil || msg.ThreadTimestamp != parent {
		t.Fatalf("reply: thread_ts %q, err %v; want %q", msg.ThreadTimestamp, err, parent)
	}
	s.Delete("C0DEPLOYS", parent)
	_, _, msg, err = api.PostMessageWithResponseContext(ctx, "C0DEPLOYS", slack.MsgOptionText("orphan", false), slack.MsgOptionTS(parent))
	if err != nil || msg.ThreadTimestamp != "" || msg.Timestamp == "" {
		t.Fatalf("reply to deleted parent: message %+v, err %v; want top-level", msg, err)
	}
}

func TestHistoryPagesNewestFirstWithOldestAndMetadata(t *testing.T) {
	s := slackfake.New(t)
	var ts []string
	for i := range 5 {
		ts = append(ts, s.AddMessage("C0DEPLOYS", slackfake.Message{Text: string(rune('a' + i)), MetadataType: "wavegate_report", MetadataKey: string(rune('a' + i))}))
	}
	s.AddMessage("C0DEPLOYS", slackfake.Message{Text: "reply", ThreadTS: ts[4]})
	s.AddMessage("C0DEPLOYS", slackfake.Message{Text: "f", ThreadTS: ts[4], Broadcast: true, MetadataType: "wavegate_report", MetadataKey: "f"})
	api := client(s)
	ctx := context.Background()

	var got []string
	params := &slack.GetConversationHistoryParameters{ChannelID: "C0DEPLOYS", Limit: 2, Oldest: ts[1], IncludeAllMetadata: true}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("history does not stop paging")
		}
		resp, err := api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range resp.Messages {
			got = append(got, m.Text+"/"+m.Metadata.EventPayload["key"].(string))
		}
		if !resp.HasMore {
			if resp.ResponseMetaData.NextCursor != "" {
				t.Errorf("has_more false with cursor %q", resp.ResponseMetaData.NextCursor)
			}
			break
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
	// oldest is exclusive unless inclusive is set; replies stay in their
	// threads unless broadcast.
	if want := "f/f e/e d/d c/c"; strings.Join(got, " ") != want {
		t.Errorf("history = %q, want %q", strings.Join(got, " "), want)
	}

	resp, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0DEPLOYS", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Messages) != 1 || resp.Messages[0].Metadata.EventType != "" {
		t.Errorf("without include_all_metadata: %+v", resp.Messages)
	}
	if _, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C0DEPLOYS", Cursor: "made-up"}); err == nil || err.Error() != "invalid_cursor" {
		t.Errorf("made-up cursor: err = %v, want invalid_cursor", err)
	}
}

func TestRepliesReturnParentThenRepliesAcrossPages(t *testing.T) {
	s := slackfake.New(t)
	parent := s.AddMessage("C0DEPLOYS", slackfake.Message{Text: "parent"})
	s.AddMessage("C0DEPLOYS", slackfake.Message{Text: "other"})
	for _, txt := range []string{"r1", "r2", "r3"} {
		s.AddMessage("C0DEPLOYS", slackfake.Message{Text: txt, ThreadTS: parent, MetadataType: "wavegate_report", MetadataKey: txt})
	}
	api := client(s)
	ctx := context.Background()

	var got []string
	params := &slack.GetConversationRepliesParameters{ChannelID: "C0DEPLOYS", Timestamp: parent, Limit: 2, IncludeAllMetadata: true}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("replies do not stop paging")
		}
		msgs, _, next, err := api.GetConversationRepliesContext(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			got = append(got, m.Text)
		}
		if next == "" {
			break
		}
		params.Cursor = next
	}
	if want := "parent r1 r2 r3"; strings.Join(got, " ") != want {
		t.Errorf("replies = %q, want %q", strings.Join(got, " "), want)
	}
	_, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C0DEPLOYS", Timestamp: "1.000009"})
	if err == nil || err.Error() != "thread_not_found" {
		t.Errorf("replies of unknown ts: err = %v, want thread_not_found", err)
	}
}

func TestListPagesThroughChannels(t *testing.T) {
	s := slackfake.New(t)
	s.AddChannel("#alpha", "C0ALPHA")
	s.AddChannel("beta", "G0BETA")
	api := client(s)

	var names []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("list does not stop paging")
		}
		chans, next, err := api.GetConversationsContext(context.Background(), &slack.GetConversationsParameters{Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chans {
			names = append(names, c.Name+"="+c.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if want := "deploys=C0DEPLOYS alpha=C0ALPHA beta=G0BETA"; strings.Join(names, " ") != want {
		t.Errorf("channels = %q, want %q", strings.Join(names, " "), want)
	}
	if n := len(s.CallsTo("conversations.list")); n != 2 {
		t.Errorf("%d list calls, want 2", n)
	}
}

func TestFailNextAppliesOnceInOrder(t *testing.T) {
	s := slackfake.New(t)
	s.FailNext("chat.postMessage", http.StatusTooManyRequests, http.Header{"Retry-After": {"30"}}, "")
	s.FailNext("chat.postMessage", http.StatusOK, nil, "invalid_auth")
	api := client(s)
	ctx := context.Background()

	_, _, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("1", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 30*time.Second {
		t.Errorf("first post: err = %v, want rate limit of 30s", err)
	}
	_, _, err = api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("2", false))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_auth" {
		t.Errorf("second post: err = %v, want invalid_auth", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C0DEPLOYS", slack.MsgOptionText("3", false)); err != nil {
		t.Errorf("third post: %v", err)
	}
	if got := s.Messages("C0DEPLOYS"); len(got) != 1 || got[0].Text != "3" {
		t.Errorf("failed posts stored messages: %+v", got)
	}
	if n := len(s.Calls()); n != 3 {
		t.Errorf("%d calls recorded, want 3 (failures too)", n)
	}
}

func TestWithoutTokenIsNotAuthed(t *testing.T) {
	s := slackfake.New(t)
	_, _, err := slack.New("", slack.OptionAPIURL(s.URL())).PostMessageContext(context.Background(), "C0DEPLOYS", slack.MsgOptionText("x", false))
	if err == nil || err.Error() != "not_authed" {
		t.Errorf("err = %v, want not_authed", err)
	}
}

func TestUnknownMethodIsRecordedAndRefused(t *testing.T) {
	s := slackfake.New(t)
	err := client(s).AddPinContext(context.Background(), "C0DEPLOYS", slack.ItemRef{Channel: "C0DEPLOYS", Timestamp: "1.000001"})
	if err == nil || err.Error() != "unknown_method" {
		t.Errorf("err = %v, want unknown_method", err)
	}
	if c := s.Calls(); len(c) != 1 || c[0].Method != "pins.add" {
		t.Errorf("calls = %+v", c)
	}
}

func TestWaitCallsReturnsOnceCallsArrive(t *testing.T) {
	s := slackfake.New(t)
	api := client(s)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, _, err := api.PostMessageContext(context.Background(), "C0DEPLOYS", slack.MsgOptionText("x", false))
			errs <- err
		}()
	}
	s.WaitCalls(t, 2)
	if n := len(s.Calls()); n < 2 {
		t.Fatalf("WaitCalls(2) returned with %d calls", n)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
