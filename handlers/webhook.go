package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

// MaxWebhookBody is GitHub's cap on webhook payloads: 25 MiB.
const MaxWebhookBody = 25 << 20

// WebhookConfig configures the GitHub webhook endpoint.
type WebhookConfig struct {
	// Secret returns the webhook secret in force; empty means none is
	// configured, and the endpoint refuses everything with 503. A function,
	// because the setup flow can install a secret while the server runs.
	Secret func() []byte
	Inbox  Enqueuer
	// Notify wakes the inbox workers after a delivery is stored, for an
	// Inbox that does not see to it itself.
	Notify     func()
	Clock      clock.Clock
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// MaxBody overrides MaxWebhookBody (tests).
	MaxBody int64
}

// Webhook is the POST /webhooks/github endpoint.
type Webhook struct {
	cfg         WebhookConfig
	received    *prometheus.CounterVec
	dupes       *prometheus.CounterVec
	redelivered *prometheus.CounterVec
	rejected    *prometheus.CounterVec
}

// NewWebhook returns the endpoint; its metrics are registered on cfg.Registerer.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if cfg.Secret == nil || cfg.Inbox == nil {
		return nil, errors.New("webhook endpoint: Secret and Inbox are required")
	}
	intakeDefaults(&cfg.Notify, &cfg.Clock, &cfg.Logger)
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = MaxWebhookBody
	}
	w := &Webhook{
		cfg: cfg,
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_webhook_deliveries_received_total",
			Help: "Signed webhook deliveries stored in the inbox, by event.",
		}, []string{"event"}),
		dupes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_webhook_deliveries_duplicate_total",
			Help: "Webhook deliveries whose delivery id was already stored and not dead, by event.",
		}, []string{"event"}),
		redelivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_webhook_deliveries_redelivered_total",
			Help: "Redeliveries of dead deliveries, stored again to be processed again, by event.",
		}, []string{"event"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_webhook_deliveries_rejected_total",
			Help: "Webhook requests refused, by reason.",
		}, []string{"reason"}),
	}
	if err := registerAll(cfg.Registerer, "webhook", w.received, w.dupes, w.redelivered, w.rejected); err != nil {
		return nil, err
	}
	return w, nil
}

// ServeHTTP verifies, persists and acknowledges one delivery.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		w.refuse(rw, http.StatusMethodNotAllowed, "method", "webhooks are POSTed")
		return
	}
	secret := w.cfg.Secret()
	if len(secret) == 0 {
		w.refuse(rw, http.StatusServiceUnavailable, "no_secret",
			"no webhook secret is configured, so no delivery can be verified; finish setup at / or set --github-webhook-secret")
		return
	}
	if r.ContentLength > w.cfg.MaxBody {
		w.refuse(rw, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("payload exceeds %d bytes", w.cfg.MaxBody))
		return
	}
	body, err := readBody(http.MaxBytesReader(rw, r.Body, w.cfg.MaxBody), r.ContentLength)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			w.refuse(rw, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("payload exceeds %d bytes", w.cfg.MaxBody))
			return
		}
		w.refuse(rw, http.StatusBadRequest, "read_error", "could not read the payload")
		return
	}
	if err := VerifySignature(secret, body, r.Header.Get("X-Hub-Signature-256")); err != nil {
		w.refuse(rw, http.StatusUnauthorized, signatureReason(err), err.Error())
		return
	}
	event, id := r.Header.Get("X-GitHub-Event"), r.Header.Get("X-GitHub-Delivery")
	if event == "" || id == "" {
		w.refuse(rw, http.StatusBadRequest, "missing_headers", "X-GitHub-Event and X-GitHub-Delivery are required")
		return
	}
	if event == "ping" {
		w.cfg.Logger.Info("ping received", "delivery", id)
		writeText(rw, http.StatusOK, "pong")
		return
	}
	payload := formPayload(r.Header.Get("Content-Type"), body)
	meta := readMeta(payload)
	d := store.Delivery{
		ID: id, Event: event, Action: meta.Action,
		InstallationID: meta.InstallationID, Repository: meta.Repository,
		Payload: payload, ReceivedAt: w.cfg.Clock.Now(),
	}
	// Persisting must not be cut short by a client that hangs up: once
	// verified, the delivery is ours to keep.
	res, err := w.cfg.Inbox.Enqueue(context.WithoutCancel(r.Context()), d)
	if err != nil {
		w.cfg.Logger.Error("store webhook delivery", "delivery", id, "event", event, "error", err)
		w.rejected.WithLabelValues("store_error").Inc()
		writeText(rw, http.StatusInternalServerError, "could not store the delivery; redeliver it")
		return
	}
	if res.Duplicate {
		w.dupes.WithLabelValues(event).Inc()
		writeText(rw, http.StatusOK, "duplicate delivery: already stored and not dead, so not processed again")
		return
	}
	w.received.WithLabelValues(event).Inc()
	if res.Redelivered {
		// The dead row is replaced: this line records that it died, why,
		// and that it was sent again.
		p := res.Previous
		w.cfg.Logger.Info("dead delivery redelivered; processing it again", "delivery", id, "event", event,
			"action", d.Action, "repository", d.Repository, "previous_error", p.LastError,
			"previous_attempts", p.Attempts, "died_at", p.ProcessedAt)
		w.redelivered.WithLabelValues(event).Inc()
	}
	w.cfg.Notify()
	writeText(rw, http.StatusAccepted, "accepted")
}

func (w *Webhook) refuse(rw http.ResponseWriter, status int, reason, msg string) {
	w.rejected.WithLabelValues(reason).Inc()
	writeText(rw, status, msg)
}

func signatureReason(err error) string {
	switch {
	case errors.Is(err, errSignatureMissing):
		return "signature_missing"
	case errors.Is(err, errSignatureMalformed):
		return "signature_malformed"
	default:
		return "signature_mismatch"
	}
}

func writeText(rw http.ResponseWriter, status int, msg string) {
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	rw.WriteHeader(status)
	_, _ = io.WriteString(rw, msg+"\n")
}

// formPayload unwraps a delivery sent as application/x-www-form-urlencoded
// (a webhook's content type is the owner's choice); the signature covers the
// form body, so this runs only after verification.
func formPayload(contentType string, body []byte) []byte {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return body
	}
	values, err := url.ParseQuery(string(body))
	if err != nil || values.Get("payload") == "" {
		return body
	}
	return []byte(values.Get("payload"))
}
