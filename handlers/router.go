package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/store"
)

// Event is a stored delivery with its payload parsed into go-github's type
// for that event (for example *github.PullRequestEvent).
type Event struct {
	Delivery store.Delivery
	Payload  any
}

// EventHandler handles one routed event. Its error decides retry or dead
// (see inbox.Handler).
type EventHandler func(ctx context.Context, ev Event) error

// Router sends deliveries to the handler registered for their event and
// action. Deliveries no handler wants are recorded as processed and ignored.
type Router struct {
	routes map[string][]EventHandler
	known  []string
	logger *slog.Logger
}

// NewRouter returns an empty router.
func NewRouter(logger *slog.Logger) *Router {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Events go-github cannot parse are ignored, not dead: GitHub adds
	// events faster than any client library.
	return &Router{routes: map[string][]EventHandler{}, known: github.MessageTypes(), logger: logger}
}

// On registers h for event with any of actions; no actions means every action.
// Several handlers for one route run in registration order.
func (r *Router) On(event string, h EventHandler, actions ...string) {
	if len(actions) == 0 {
		r.routes[event] = append(r.routes[event], h)
		return
	}
	for _, a := range actions {
		key := event + "." + a
		r.routes[key] = append(r.routes[key], h)
	}
}

// Routes lists the registered routes ("event" or "event.action"), sorted.
func (r *Router) Routes() []string {
	keys := make([]string, 0, len(r.routes))
	for k := range r.routes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Handle routes one delivery on its stored event and action, and parses the
// payload only when a handler wants it: a payload of an event no one handles
// is ignored unread, so GitHub's shapes that go-github cannot read (a
// package's published payload, for one) never make dead deliveries of events
// Wavegate does not act on. A wanted payload that cannot be parsed is a
// permanent error: retrying would not change it.
func (r *Router) Handle(ctx context.Context, d store.Delivery) error {
	hs := append(slices.Clone(r.routes[d.Event+"."+d.Action]), r.routes[d.Event]...)
	if len(hs) == 0 {
		r.logger.Debug("no handler for delivery; ignored", deliveryAttrs(d)...)
		return nil
	}
	if !slices.Contains(r.known, d.Event) {
		r.logger.Warn("a handler is registered for an event Wavegate cannot parse; delivery ignored",
			deliveryAttrs(d)...)
		return nil
	}
	payload, err := ParsePayload(d.Event, d.Payload)
	if err != nil {
		return fmt.Errorf("parse %s payload of delivery %s: %w", d.Event, d.ID, err)
	}
	ev := Event{Delivery: d, Payload: payload}
	for _, h := range hs {
		if err := h(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

func deliveryAttrs(d store.Delivery) []any {
	return []any{
		"delivery", d.ID, "event", d.Event, "action", d.Action,
		"installation", d.InstallationID, "repository", d.Repository,
	}
}
