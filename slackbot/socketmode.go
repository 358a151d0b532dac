package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// SocketOptions configures Socket Mode.
type SocketOptions struct {
	// AppToken is the app-level token (xapp-...) with connections:write.
	AppToken string
	// APIURL is the Web API base URL; "" means Slack's own.
	APIURL string
	// OnCommand and OnInteraction take a slash command or a button press
	// durably and return what to acknowledge it with (nil: an empty ack).
	// An error is acknowledged with a message saying to try again.
	OnCommand     func(ctx context.Context, sc slack.SlashCommand) (any, error)
	OnInteraction func(ctx context.Context, ic slack.InteractionCallback) (any, error)
	// OnConnected, when set, is told each (re)connection (tests wait on it).
	OnConnected func()
	Logger      *slog.Logger
}

// RunSocketMode receives slash commands and button presses over Socket
// Mode until ctx ends: the transport for a Wavegate Slack cannot reach,
// behind a firewall. Each request is acknowledged once OnCommand or
// OnInteraction has taken it, as over HTTP. slack-go reconnects by itself
// when Slack asks to or the connection drops; RunSocketMode returns only
// when ctx ends or Slack refuses the token, which needs a person.
func RunSocketMode(ctx context.Context, o SocketOptions) error {
	if !strings.HasPrefix(o.AppToken, "xapp-") {
		return errors.New("slackbot: socket mode: the app-level token must start with xapp-")
	}
	if o.OnCommand == nil || o.OnInteraction == nil {
		return errors.New("slackbot: socket mode: OnCommand and OnInteraction are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	opts := []slack.Option{slack.OptionAppLevelToken(o.AppToken)}
	if o.APIURL != "" {
		if u, err := url.Parse(o.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("slackbot: socket mode: API URL %q is not an http(s) URL", o.APIURL)
		}
		if !strings.HasSuffix(o.APIURL, "/") {
			o.APIURL += "/"
		}
		opts = append(opts, slack.OptionAPIURL(o.APIURL))
	}
	// Socket Mode connects with the app-level token alone.
	client := socketmode.New(slack.New("", opts...))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- client.RunContext(ctx)
		cancel()
	}()
	for {
		select {
		case <-ctx.Done():
			err := <-done
			if err != nil && !errors.Is(err, context.Canceled) {
				return redactToken(fmt.Errorf("slackbot: socket mode: %w", err), o.AppToken)
			}
			return nil
		case ev, ok := <-client.Events:
			if !ok {
				continue
			}
			handleSocketEvent(ctx, client, ev, o)
		}
	}
}

func handleSocketEvent(ctx context.Context, client *socketmode.Client, ev socketmode.Event, o SocketOptions) {
	switch ev.Type {
	case socketmode.EventTypeConnected:
		o.Logger.Info("Slack Socket Mode connected")
		if o.OnConnected != nil {
			o.OnConnected()
		}
		return
	case socketmode.EventTypeConnectionError:
		o.Logger.Warn("Slack Socket Mode connection failed; retrying", "error", redactToken(fmt.Errorf("%v", ev.Data), o.AppToken))
		return
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
	default:
		return
	}
	if ev.Request == nil {
		return
	}
	var ack any
	var err error
	switch data := ev.Data.(type) {
	case slack.SlashCommand:
		ack, err = o.OnCommand(ctx, data)
	case slack.InteractionCallback:
		ack, err = o.OnInteraction(ctx, data)
	default:
		o.Logger.Warn("Slack Socket Mode request Wavegate cannot read; acknowledged and ignored", "type", ev.Type)
	}
	if err != nil {
		o.Logger.Error("Slack Socket Mode request not stored", "type", ev.Type, "error", err)
		ack = map[string]string{"response_type": "ephemeral", "text": "Wavegate could not store the command; try again"}
	}
	var payload []any
	if ack != nil {
		payload = append(payload, ack)
	}
	if err := client.Ack(*ev.Request, payload...); err != nil {
		o.Logger.Warn("acknowledge Slack Socket Mode request", "type", ev.Type, "error", err)
	}
}

// redactToken keeps the token out of an error's text.
func redactToken(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), token, "[redacted]"), err: err}
}
