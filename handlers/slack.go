package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/slackbot"
	"github.com/wavegate/wavegate/store"
)

// MaxSlackBody caps a Slack request: slash commands and button presses are
// a few KiB, so anything near this is not Slack.
const MaxSlackBody = 64 << 10

// SlackConfig configures the Slack endpoints.
type SlackConfig struct {
	// SigningSecret is the Slack app's signing secret; empty turns the
	// HTTP endpoints off (503). Socket Mode needs none.
	SigningSecret []byte
	Inbox         Enqueuer
	// Notify wakes the inbox workers after a request is stored, for an
	// Inbox that does not see to it itself.
	Notify     func()
	Clock      clock.Clock
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Slack takes Slack slash commands and button presses: over HTTP (POST
// /slack/commands, POST /slack/interactions), where each is verified
// before anything else, and from Socket Mode. Each is stored in the inbox
// like a GitHub delivery and acknowledged at once; the command runs from
// the inbox (SlackRun), so a crash after the acknowledgement loses nothing.
type Slack struct {
	cfg      SlackConfig
	received *prometheus.CounterVec
	dupes    *prometheus.CounterVec
	rejected *prometheus.CounterVec
}

// NewSlack returns the endpoints; their metrics are registered on cfg.Registerer.
func NewSlack(cfg SlackConfig) (*Slack, error) {
	if cfg.Inbox == nil {
		return nil, errors.New("slack endpoints: Inbox is required")
	}
	intakeDefaults(&cfg.Notify, &cfg.Clock, &cfg.Logger)
	s := &Slack{
		cfg: cfg,
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_slack_requests_received_total",
			Help: "Slack commands and button presses stored in the inbox, by kind.",
		}, []string{"kind"}),
		dupes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_slack_requests_duplicate_total",
			Help: "Slack retries and duplicates of requests already stored, by kind.",
		}, []string{"kind"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_slack_requests_rejected_total",
			Help: "Slack requests refused, by reason.",
		}, []string{"reason"}),
	}
	if err := registerAll(cfg.Registerer, "Slack", s.received, s.dupes, s.rejected); err != nil {
		return nil, err
	}
	return s, nil
}

// Commands is POST /slack/commands.
func (s *Slack) Commands() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, ok := s.verified(w, r)
		if !ok {
			return
		}
		ack, err := s.Command(r.Context(), slashCommand(form))
		s.answer(w, ack, err)
	})
}

// Interactions is POST /slack/interactions.
func (s *Slack) Interactions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, ok := s.verified(w, r)
		if !ok {
			return
		}
		var ic slack.InteractionCallback
		if err := json.Unmarshal([]byte(form.Get("payload")), &ic); err != nil {
			s.refuse(w, http.StatusBadRequest, "bad_payload", "the payload field is not a Slack interaction payload")
			return
		}
		ack, err := s.Interaction(r.Context(), ic)
		s.answer(w, ack, err)
	})
}

// verified reads, caps and verifies a request, answering it when it is
// refused: nothing about a refused request is stored.
func (s *Slack) verified(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.refuse(w, http.StatusMethodNotAllowed, "method", "Slack requests are POSTed")
		return nil, false
	}
	if len(s.cfg.SigningSecret) == 0 {
		s.refuse(w, http.StatusServiceUnavailable, "no_secret",
			"Slack commands are off: no Slack signing secret is configured, so no request can be verified; set --slack-signing-secret-file (or use Socket Mode with --slack-app-token-file)")
		return nil, false
	}
	tooLarge := fmt.Sprintf("request exceeds %d bytes", MaxSlackBody)
	if r.ContentLength > MaxSlackBody {
		s.refuse(w, http.StatusRequestEntityTooLarge, "too_large", tooLarge)
		return nil, false
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, MaxSlackBody), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.refuse(w, http.StatusRequestEntityTooLarge, "too_large", tooLarge)
			return nil, false
		}
		s.refuse(w, http.StatusBadRequest, "read_error", "could not read the request")
		return nil, false
	}
	if err := slackbot.Verify(s.cfg.SigningSecret, r.Header, body, s.cfg.Clock.Now()); err != nil {
		s.refuse(w, http.StatusUnauthorized, verifyReason(err), err.Error())
		return nil, false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.refuse(w, http.StatusBadRequest, "bad_form", "the body is not form-encoded")
		return nil, false
	}
	return form, true
}

func verifyReason(err error) string {
	switch {
	case errors.Is(err, slackbot.ErrUnsigned):
		return "unsigned"
	case errors.Is(err, slackbot.ErrStale):
		return "stale"
	}
	return "forged"
}

// answer writes an acknowledgement: a message Slack shows the person
// alone, or an empty 200.
func (s *Slack) answer(w http.ResponseWriter, ack *SlackAck, err error) {
	if err != nil {
		s.rejected.WithLabelValues("store_error").Inc()
		writeText(w, http.StatusInternalServerError, "Wavegate could not store the command; try again")
		return
	}
	if ack == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(ack)
}

func (s *Slack) refuse(w http.ResponseWriter, status int, reason, msg string) {
	s.rejected.WithLabelValues(reason).Inc()
	writeText(w, status, msg)
}

// slashCommand reads a slash command's form.
func slashCommand(f url.Values) slack.SlashCommand {
	return slack.SlashCommand{
		TeamID: f.Get("team_id"), TeamDomain: f.Get("team_domain"),
		EnterpriseID: f.Get("enterprise_id"), ChannelID: f.Get("channel_id"),
		ChannelName: f.Get("channel_name"), UserID: f.Get("user_id"), UserName: f.Get("user_name"),
		Command: f.Get("command"), Text: f.Get("text"),
		ResponseURL: f.Get("response_url"), TriggerID: f.Get("trigger_id"), APIAppID: f.Get("api_app_id"),
	}
}

// keep stores a verified request in the inbox; duplicate is true for a
// retry or a duplicate of one stored already.
func (s *Slack) keep(ctx context.Context, kind string, req slackRequest) (duplicate bool, err error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return false, fmt.Errorf("encode Slack %s %s: %w", kind, req.ID, err)
	}
	d := store.Delivery{
		ID: req.ID, Event: kind, Repository: req.lane(),
		Payload: payload, ReceivedAt: s.cfg.Clock.Now(),
	}
	// A verified request is ours to keep even if Slack hangs up.
	res, err := s.cfg.Inbox.Enqueue(context.WithoutCancel(ctx), d)
	if err != nil {
		s.cfg.Logger.Error("store Slack request", "id", req.ID, "kind", kind, "error", err)
		return false, fmt.Errorf("store Slack %s %s: %w", kind, req.ID, err)
	}
	if res.Duplicate {
		s.dupes.WithLabelValues(kind).Inc()
		return true, nil
	}
	s.received.WithLabelValues(kind).Inc()
	s.cfg.Notify()
	return false, nil
}
