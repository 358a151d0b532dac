package handlers

import (
	"context"
	"errors"
	"log/slog"
)

// Handlers are the event handlers the route table sends deliveries to.
// Every one must be set: a missing one would drop its events silently.
type Handlers struct {
	Installations *Installations
	Roles         *Roles
	Review        *ReviewGate
	Releases      *Releases
	// Buttons answers the buttons on Wavegate's deploy check runs.
	Buttons *DeployButtons
	// Comments runs /deploy lines of pull-request comments.
	Comments *Comments
	// Unhandled receives the events Wavegate subscribes to whose features
	// have not landed yet, so that routing, retries and recording are
	// exercised end to end from the start.
	Unhandled EventHandler
}

// Route sends one event, with any of Actions (none: every action), to Handle.
type Route struct {
	Event   string
	Actions []string
	Handle  EventHandler
}

// Routes is the route table: which handler each event and action reach.
// Each route has one handler; an event that needs several steps in order
// gets one handler that runs them in that order (see push).
func (h Handlers) Routes() []Route {
	return []Route{
		{"installation", nil, h.Installations.installation},
		{"installation_repositories", nil, h.Installations.repositories},

		// GitHub sends role changes only to an App with the members
		// permission that subscribes to them (app.yml).
		{"member", []string{"added", "removed", "edited"}, h.Roles.forget},
		{"membership", []string{"added", "removed"}, h.Roles.forget},
		{"organization", []string{"member_added", "member_removed", "member_invited"}, h.Roles.forget},
		// A deleted team takes away the roles it granted, on repositories
		// the event does not list.
		{"team", []string{"added_to_repository", "removed_from_repository", "edited", "deleted"}, h.Roles.forget},

		// The events that can change a review result.
		{"pull_request", []string{"opened", "reopened", "edited", "synchronize", "ready_for_review", "converted_to_draft"}, h.Review.onPullRequest},
		{"pull_request_review", []string{"submitted", "edited", "dismissed"}, h.Review.onReview},
		{"check_run", []string{"rerequested"}, h.Review.onCheckRun},
		{"check_suite", []string{"requested", "rerequested"}, h.Review.onCheckSuite},

		{"push", nil, h.push},
		{"deployment_status", []string{"created"}, h.Releases.onDeploymentStatus},
		{"check_run", []string{"requested_action"}, h.Buttons.onCheckRunAction},

		// Only new comments command: an edit could otherwise run a line
		// again, or one that was never there when people read the thread.
		{"issue_comment", []string{"created"}, h.Comments.onComment},
		{"deployment", nil, h.Unhandled},
		{"deployment_protection_rule", nil, h.Unhandled},
	}
}

// push records the verdicts of the pushed commits, then starts the releases
// the push makes: a release reads those verdicts to list its unreviewed
// commits. A failed first step stops the push, and its retry runs both.
func (h Handlers) push(ctx context.Context, ev Event) error {
	if err := h.Review.onPush(ctx, ev); err != nil {
		return err
	}
	return h.Releases.onPush(ctx, ev)
}

// Register puts the route table in r; it is the only place events are
// routed to Wavegate's handlers.
func Register(r *Router, h Handlers) error {
	switch {
	case h.Installations == nil:
		return errors.New("route table: the installations handler is not set")
	case h.Roles == nil:
		return errors.New("route table: the roles handler is not set")
	case h.Review == nil:
		return errors.New("route table: the review gate is not set")
	case h.Releases == nil:
		return errors.New("route table: the releases handler is not set")
	case h.Buttons == nil:
		return errors.New("route table: the deploy check buttons handler is not set")
	case h.Comments == nil:
		return errors.New("route table: the comment commands handler is not set")
	case h.Unhandled == nil:
		return errors.New("route table: the handler of unhandled events is not set")
	}
	discard := slog.New(slog.DiscardHandler)
	if h.Roles.Logger == nil {
		h.Roles.Logger = discard
	}
	if h.Review.Logger == nil {
		h.Review.Logger = discard
	}
	if h.Releases.Logger == nil {
		h.Releases.Logger = discard
	}
	if h.Comments.Logger == nil {
		h.Comments.Logger = discard
	}
	if h.Buttons.Logger == nil {
		h.Buttons.Logger = discard
	}
	if h.Buttons.Notify == nil {
		h.Buttons.Notify = func() {}
	}
	if h.Comments.Notify == nil {
		h.Comments.Notify = func() {}
	}
	if h.Comments.BotLogin == nil {
		h.Comments.BotLogin = func() string { return "" }
	}
	for _, rt := range h.Routes() {
		r.On(rt.Event, rt.Handle, rt.Actions...)
	}
	return nil
}
