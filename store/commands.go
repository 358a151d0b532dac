package store

import (
	"context"
	"time"
)

// What people command is kept: every command in the audit log, accepted or
// refused, and the links that let a Slack user act as a GitHub login.

// Command surfaces, as the audit log names them.
const (
	SurfaceComment = "comment" // a PR comment
	SurfaceButton  = "button"  // a check run's button
	SurfaceSlack   = "slack"   // a Slack slash command or button
	SurfaceWeb     = "web"     // the web page
)

// Audit decisions.
const (
	AuditAccepted = "accepted"
	AuditRefused  = "refused" // not authorized, or the engine refused it
	AuditInvalid  = "invalid" // the line did not parse
)

// AuditEntry is one command as it was run.
type AuditEntry struct {
	Seq int64 // assigned by the store
	// RequestID is the idempotency key of the command (delivery id and line
	// number, Slack trigger id): an entry is recorded once per RequestID.
	RequestID      string
	At             time.Time
	InstallationID int64
	Repository     string // "owner/repo"; "" for commands about no repository (link)
	Pipeline       string
	ReleaseID      int64
	Login          string // GitHub login; "" for an unlinked Slack user
	SlackUser      string // "TEAM/USER" when from Slack
	Surface        string
	Source         string // comment URL, Slack channel, check run URL
	Line           string // the command as typed
	Verb           string
	Reason         string // --reason given
	Decision       string // AuditAccepted, AuditRefused, AuditInvalid
	Why            string // why refused or invalid; what it did when accepted
}

// AuditFilter selects audit entries; zero fields select all.
type AuditFilter struct {
	Repository string
	Since      time.Time
	ReleaseID  int64 // with Repository
	Limit      int   // 0: no limit
}

// Audit is the audit log of commands.
type Audit interface {
	// RecordCommand stores e; a second entry with the same RequestID changes
	// nothing and reports false (a redelivery or retry).
	RecordCommand(ctx context.Context, e AuditEntry) (bool, error)
	// AuditLog returns entries oldest first.
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// SlackLink ties a Slack user to a GitHub login.
type SlackLink struct {
	SlackTeam, SlackUser string
	Login                string
	LinkedAt             time.Time
}

// Links keeps Slack users' verified GitHub logins and the one-time codes
// that prove them. Codes are stored as hashes, never in clear.
type Links interface {
	// AddLinkCode stores a code's hash for a Slack user, valid until expires;
	// a user's earlier unused codes stop working.
	AddLinkCode(ctx context.Context, codeHash, slackTeam, slackUser string, expires time.Time) error
	// RedeemLinkCode binds the code's Slack user to login and uses the code
	// up. ErrNotFound when no unused, unexpired code has that hash.
	RedeemLinkCode(ctx context.Context, codeHash, login string, now time.Time) (SlackLink, error)
	// SlackLink returns a Slack user's link (ErrNotFound when unlinked).
	SlackLink(ctx context.Context, slackTeam, slackUser string) (SlackLink, error)
	// Unlink removes a Slack user's link; false when there was none.
	Unlink(ctx context.Context, slackTeam, slackUser string) (bool, error)
}

// EngineIndex lists the pipelines that have engine state: what repository-
// and installation-wide commands (pause --all, block) apply to.
type EngineIndex interface {
	// EngineKeys lists the keys of repository's pipelines, sorted; every
	// key when repository is "".
	EngineKeys(ctx context.Context, repository string) ([]EngineKey, error)
}
