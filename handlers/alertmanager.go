package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

// MaxAlertmanagerBody caps a notification. An alert is about half a KiB
// to a KiB of JSON, so 4 MiB holds a group of some four thousand alerts;
// a larger group should be cut with max_alerts on the receiver (what is
// cut is lost to Wavegate either way, but a 413 loses the whole group).
const MaxAlertmanagerBody = 4 << 20

// AlertmanagerConfig configures POST /webhooks/alertmanager.
type AlertmanagerConfig struct {
	// Token is the bearer token Alertmanager sends
	// (http_config.authorization); empty refuses everything with 503.
	Token []byte
	Inbox Enqueuer
	// Notify wakes the inbox workers after a notification is stored, for
	// an Inbox that does not see to it itself.
	Notify     func()
	Clock      clock.Clock
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// MaxBody overrides MaxAlertmanagerBody (tests).
	MaxBody int64
}

// Alertmanager is the POST /webhooks/alertmanager endpoint: it checks the
// bearer token before reading anything, checks the notification, stores
// it in the inbox like a GitHub delivery and answers 202; the alerts are
// kept from the inbox (AlertmanagerRun), so a crash after the answer
// loses nothing.
type Alertmanager struct {
	cfg       AlertmanagerConfig
	tokenHash [sha256.Size]byte
	outcomes  *prometheus.CounterVec
}

// NewAlertmanager returns the endpoint; its metrics are registered on
// cfg.Registerer.
func NewAlertmanager(cfg AlertmanagerConfig) (*Alertmanager, error) {
	if cfg.Inbox == nil {
		return nil, errors.New("alertmanager endpoint: Inbox is required")
	}
	intakeDefaults(&cfg.Notify, &cfg.Clock, &cfg.Logger)
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = MaxAlertmanagerBody
	}
	a := &Alertmanager{
		cfg:       cfg,
		tokenHash: sha256.Sum256(cfg.Token),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wavegate_alertmanager_notifications_total",
			Help: "Alertmanager notifications received, by outcome (accepted, duplicate, or why refused).",
		}, []string{"outcome"}),
	}
	if err := registerAll(cfg.Registerer, "Alertmanager", a.outcomes); err != nil {
		return nil, err
	}
	return a, nil
}

// ServeHTTP authenticates, checks, stores and acknowledges one notification.
func (a *Alertmanager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		a.refuse(w, http.StatusMethodNotAllowed, "method", "Alertmanager notifications are POSTed")
		return
	}
	if len(a.cfg.Token) == 0 {
		a.refuse(w, http.StatusServiceUnavailable, "no_token",
			"Alertmanager notifications are off: no token is configured, so none can be authenticated; set --alertmanager-token-file and give Alertmanager the same token (http_config.authorization)")
		return
	}
	if !a.authorized(r.Header.Get("Authorization")) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="wavegate"`)
		a.refuse(w, http.StatusUnauthorized, "unauthorized",
			"missing or wrong bearer token: set http_config.authorization in the Alertmanager receiver to the token given to --alertmanager-token-file")
		return
	}
	tooLarge := fmt.Sprintf("notification exceeds %d bytes; set max_alerts on the webhook receiver to send fewer alerts at once", a.cfg.MaxBody)
	if r.ContentLength > a.cfg.MaxBody {
		a.refuse(w, http.StatusRequestEntityTooLarge, "too_large", tooLarge)
		return
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, a.cfg.MaxBody), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			a.refuse(w, http.StatusRequestEntityTooLarge, "too_large", tooLarge)
			return
		}
		a.refuse(w, http.StatusBadRequest, "read_error", "could not read the notification")
		return
	}
	p, err := DecodeAlertmanager(body)
	if err != nil {
		a.refuse(w, http.StatusBadRequest, "malformed", err.Error())
		return
	}
	now := a.cfg.Clock.Now()
	d := store.Delivery{
		ID: alertmanagerID(p.Receiver, p.GroupKey, body, now), Event: EventAlertmanager, Action: p.Status,
		Repository: alertmanagerLane(p.Receiver, p.GroupKey), Payload: body, ReceivedAt: now,
	}
	// Authenticated, it is ours to keep even if Alertmanager hangs up.
	res, err := a.cfg.Inbox.Enqueue(context.WithoutCancel(r.Context()), d)
	if err != nil {
		a.cfg.Logger.Error("store Alertmanager notification", "id", d.ID, "receiver", p.Receiver, "error", err)
		a.refuse(w, http.StatusInternalServerError, "store_error", "could not store the notification; Alertmanager will send it again")
		return
	}
	if res.Duplicate {
		a.outcomes.WithLabelValues("duplicate").Inc()
		writeText(w, http.StatusOK, "duplicate notification: already stored")
		return
	}
	a.outcomes.WithLabelValues("accepted").Inc()
	a.cfg.Notify()
	writeText(w, http.StatusAccepted, "accepted")
}

// authorized compares the bearer token in constant time: over hashes, so
// that neither the content nor the length of the configured token leaks.
func (a *Alertmanager) authorized(header string) bool {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], a.tokenHash[:]) == 1
}

func (a *Alertmanager) refuse(w http.ResponseWriter, status int, outcome, msg string) {
	a.outcomes.WithLabelValues(outcome).Inc()
	writeText(w, status, msg)
}
