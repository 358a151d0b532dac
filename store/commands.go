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
	// Line is the command as typed, except that the store keeps no link
	// code: what follows a link verb is stored as "[redacted]".
	Line     string
	Verb     string
	Reason   string // --reason given
	Decision string // AuditAccepted, AuditRefused, AuditInvalid
	Why      string // why refused or invalid; what it did when accepted
}

// AuditFilter selects audit entries; zero fields select all.
type AuditFilter struct {
	Repository string    // compared without regard to case, as GitHub does
	Since      time.Time // entries at or after Since
	ReleaseID  int64     // only with Repository: release ids are per repository
	Limit      int       // the most recent Limit entries; 0: no limit
}

// Audit is the audit log of commands.
type Audit interface {
	// RecordCommand stores e; a second entry with the same RequestID changes
	// nothing and reports false (a redelivery or retry). An entry with no
	// RequestID, no time, or an unknown Surface or Decision is an error.
	RecordCommand(ctx context.Context, e AuditEntry) (bool, error)
	// AuditLog returns entries oldest first (by At, then Seq). A ReleaseID
	// without a Repository is an error.
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// AuditLogReader reads the audit log of a database it opens without writing
// to it: what `wavegate audit` uses beside a running server.
type AuditLogReader interface {
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	Close() error
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
	// AddLinkCode stores a code's hash (32 characters or more, so that a code
	// passed in clear by mistake is refused) for a Slack user, usable before
	// expires; a user's earlier unused codes stop working. ErrConflict when
	// another user's unused code has the same hash: the caller draws another
	// code (taking it over would bind that user to the wrong login).
	AddLinkCode(ctx context.Context, codeHash, slackTeam, slackUser string, expires time.Time) error
	// RedeemLinkCode binds the code's Slack user to login (replacing the
	// user's earlier link; LinkedAt is now) and uses the code up: of
	// concurrent redeems of one code exactly one succeeds. ErrNotFound when
	// no unused code has that hash or it expired (now is not before its
	// expiry).
	RedeemLinkCode(ctx context.Context, codeHash, login string, now time.Time) (SlackLink, error)
	// SlackLink returns a Slack user's link (ErrNotFound when unlinked).
	SlackLink(ctx context.Context, slackTeam, slackUser string) (SlackLink, error)
	// Unlink removes a Slack user's link and their unused codes; false when
	// there was no link.
	Unlink(ctx context.Context, slackTeam, slackUser string) (bool, error)
}

// EngineIndex lists the pipelines that have engine state: what repository-
// and installation-wide commands (pause --all, block) apply to.
type EngineIndex interface {
	// EngineKeys lists the keys of repository's pipelines (compared without
	// regard to case; the keys name repository as given), sorted by pipeline;
	// every key when repository is "", sorted by repository (lowercased, as
	// stored) then pipeline.
	EngineKeys(ctx context.Context, repository string) ([]EngineKey, error)
}
