package slackbot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"

	"github.com/wavegate/wavegate/slackbot"
)

const (
	socketSlashCommand = `{"envelope_id":"env-cmd-1","type":"slash_commands","accepts_response_payload":true,
"payload":{"token":"legacy","team_id":"T1","user_id":"U1","channel_id":"C1","channel_name":"deploys-api",
"command":"/deploy","text":"acme/api pause app --reason 'db migration'",
"response_url":"https://hooks.slack.com/commands/T1/1/abc","trigger_id":"t-socket-1"}}`
	socketButton = `{"envelope_id":"env-press-1","type":"interactive","accepts_response_payload":false,
"payload":{"type":"block_actions","trigger_id":"t-socket-2","team":{"id":"T1"},"user":{"id":"U1"},
"channel":{"id":"C1","name":"deploys-api"},"response_url":"https://hooks.slack.com/actions/T1/1/xyz",
"actions":[{"type":"button","block_id":"wavegate_release","action_id":"wavegate_approve","value":"acme/api|app|3","action_ts":"1.2"}]}}`
)

// Socket Mode hands slash commands and button presses to the same intake
// as HTTP and acknowledges each, against slack-go's test server.
func TestSocketModeFeedsTheIntake(t *testing.T) {
	srv := slacktest.NewTestServer()
	srv.Start()
	defer srv.Stop()

	commands := make(chan slack.SlashCommand, 1)
	presses := make(chan slack.InteractionCallback, 1)
	connected := make(chan struct{}, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- slackbot.RunSocketMode(ctx, slackbot.SocketOptions{
			AppToken: "xapp-1-A1-secret", APIURL: srv.GetAPIURL(),
			OnCommand: func(_ context.Context, sc slack.SlashCommand) (any, error) {
				commands <- sc
				return map[string]string{"response_type": "ephemeral", "text": "Working on it"}, nil
			},
			OnInteraction: func(_ context.Context, ic slack.InteractionCallback) (any, error) {
				presses <- ic
				return nil, nil
			},
			OnConnected: func() { connected <- struct{}{} },
		})
	}()
	wait := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second): // deadlock guard only
			t.Fatalf("no %s within 10s", what)
		}
	}
	wait("connection", connected)

	srv.SendToWebsocket(socketSlashCommand)
	select {
	case sc := <-commands:
		if sc.TeamID != "T1" || sc.UserID != "U1" || sc.TriggerID != "t-socket-1" || sc.Text != "acme/api pause app --reason 'db migration'" ||
			sc.ResponseURL != "https://hooks.slack.com/commands/T1/1/abc" || sc.ChannelName != "deploys-api" {
			t.Fatalf("command %+v", sc)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no slash command within 10s")
	}
	srv.SendToWebsocket(socketButton)
	select {
	case ic := <-presses:
		if ic.Type != slack.InteractionTypeBlockActions || ic.TriggerID != "t-socket-2" || len(ic.ActionCallback.BlockActions) != 1 ||
			ic.ActionCallback.BlockActions[0].Value != "acme/api|app|3" {
			t.Fatalf("press %+v", ic)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no button press within 10s")
	}
	// Both acknowledged, the command with its answer. SeenFeed carries
	// what the server read; reading it also lets the server read on.
	var cmd, press bool
	for !cmd || !press {
		select {
		case m := <-srv.SeenFeed:
			cmd = cmd || strings.Contains(m, `"envelope_id":"env-cmd-1"`) && strings.Contains(m, "Working on it")
			press = press || strings.Contains(m, `"envelope_id":"env-press-1"`)
		case <-time.After(10 * time.Second): // deadlock guard only
			t.Fatalf("acknowledgements seen: command %v, press %v", cmd, press)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("RunSocketMode: %v", err)
	}
}

func TestSocketModeRefusesABotToken(t *testing.T) {
	err := slackbot.RunSocketMode(context.Background(), slackbot.SocketOptions{AppToken: "xoxb-1",
		OnCommand:     func(context.Context, slack.SlashCommand) (any, error) { return nil, nil },
		OnInteraction: func(context.Context, slack.InteractionCallback) (any, error) { return nil, nil }})
	if err == nil || !strings.Contains(err.Error(), "xapp-") {
		t.Fatalf("err %v, want one naming xapp-", err)
	}
}
