package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/wavegate/wavegate/store"
)

// EventAlertmanager is the inbox event of an Alertmanager notification;
// never a GitHub event name.
const EventAlertmanager = "alertmanager"

// maxFingerprint bounds a fingerprint: Alertmanager's are 16 hex digits,
// and one much longer is not Alertmanager's.
const maxFingerprint = 128

// AlertmanagerPayload is Alertmanager's webhook notification, version 4:
// one group of alerts sharing a route and receiver.
type AlertmanagerPayload struct {
	Version           string              `json:"version"`
	GroupKey          string              `json:"groupKey"`
	TruncatedAlerts   int                 `json:"truncatedAlerts"`
	Status            string              `json:"status"`
	Receiver          string              `json:"receiver"`
	GroupLabels       map[string]string   `json:"groupLabels"`
	CommonLabels      map[string]string   `json:"commonLabels"`
	CommonAnnotations map[string]string   `json:"commonAnnotations"`
	ExternalURL       string              `json:"externalURL"`
	Alerts            []AlertmanagerAlert `json:"alerts"`
}

// AlertmanagerAlert is one alert of a notification. EndsAt is zero while
// it fires: Alertmanager hides an end not reached yet.
type AlertmanagerAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// DecodeAlertmanager reads and checks a notification; its error says
// what is wrong in words a person fixing the receiver understands.
func DecodeAlertmanager(body []byte) (AlertmanagerPayload, error) {
	var p AlertmanagerPayload
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		return AlertmanagerPayload{}, fmt.Errorf("the body is not an Alertmanager webhook notification (JSON): %w", err)
	}
	if dec.More() {
		return AlertmanagerPayload{}, errors.New("the body holds more than one JSON value")
	}
	if p.Version != "4" {
		return AlertmanagerPayload{}, fmt.Errorf("version %q: Wavegate reads Alertmanager's webhook payload version 4", p.Version)
	}
	if len(p.Alerts) == 0 {
		return AlertmanagerPayload{}, errors.New("the notification has no alerts")
	}
	for i := range p.Alerts {
		if err := p.Alerts[i].check(); err != nil {
			return AlertmanagerPayload{}, fmt.Errorf("alerts[%d]: %w", i, err)
		}
	}
	return p, nil
}

func (a *AlertmanagerAlert) check() error {
	switch store.AlertStatus(a.Status) {
	case store.AlertFiring, store.AlertResolved:
	default:
		return fmt.Errorf("status %q is neither firing nor resolved", a.Status)
	}
	if len(a.Labels) == 0 {
		return errors.New("no labels: an alert is known by its labels")
	}
	if len(a.Fingerprint) > maxFingerprint {
		return fmt.Errorf("fingerprint of %d characters: Alertmanager's have 16", len(a.Fingerprint))
	}
	if a.Fingerprint == "" {
		// A sender other than Alertmanager may omit it; the labels are
		// what Alertmanager derives it from, so they identify the alert.
		a.Fingerprint = labelsFingerprint(a.Labels)
	}
	return nil
}

// labelsFingerprint identifies a label set, distinct from Alertmanager's
// 16-digit fingerprints by its prefix.
func labelsFingerprint(labels map[string]string) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		fmt.Fprintf(h, "%d:%s=%d:%s;", len(k), k, len(labels[k]), labels[k])
	}
	return "labels:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// StoreAlerts is the notification's alerts as the store keeps them,
// received at receivedAt.
func (p AlertmanagerPayload) StoreAlerts(receivedAt time.Time) []store.Alert {
	out := make([]store.Alert, 0, len(p.Alerts))
	for _, a := range p.Alerts {
		out = append(out, store.Alert{
			Fingerprint: a.Fingerprint, Status: store.AlertStatus(a.Status),
			Labels: a.Labels, Annotations: a.Annotations,
			StartsAt: a.StartsAt, EndsAt: a.EndsAt, GeneratorURL: a.GeneratorURL,
			ReceivedAt: receivedAt,
		})
	}
	return out
}

// alertmanagerID is a notification's idempotency key: its receiver,
// group, body and minute of arrival. Alertmanager repeats an unchanged
// group (repeat_interval) with the very same body, and that repeat is
// what keeps its alerts from going stale, so the minute is part of the
// key; a retry of a POST whose answer was lost comes within seconds and
// is recognised (a retry across a minute's edge is stored twice, which
// only refreshes the same alerts twice).
func alertmanagerID(receiver, groupKey string, body []byte, at time.Time) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s;%d:%s;", len(receiver), receiver, len(groupKey), groupKey)
	h.Write(body)
	return fmt.Sprintf("alertmanager:%s:%d", hex.EncodeToString(h.Sum(nil)[:16]), at.Unix()/60)
}

// alertmanagerLane orders the inbox: one group's notifications are
// processed in the order they came, and groups do not wait for each other.
func alertmanagerLane(receiver, groupKey string) string {
	lane := "alertmanager:" + receiver + "/" + groupKey
	if len(lane) > 256 {
		// Group keys hold the route's matchers and the group's labels: a
		// long one is kept by its hash.
		h := sha256.New()
		fmt.Fprintf(h, "%d:%s;%s", len(receiver), receiver, groupKey)
		lane = "alertmanager:" + hex.EncodeToString(h.Sum(nil)[:16])
	}
	return lane
}
