// Package store says what Wavegate persists: the webhook inbox, the outbox of
// side effects, installations and their repositories, the review gate's and
// the engine's records. It holds the interfaces and their types only;
// store/sqlite implements them (the default) and store/storetest is the
// conformance suite every implementation passes (DESIGN.md: Storage).
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrNotClaimed is returned when a delivery or effect is completed, retried
// or killed while it is not processing: never claimed, already finished, or
// handed back by ReleaseAll.
var ErrNotClaimed = errors.New("not claimed")

// ErrClosed is returned by writes once the store is closing or closed.
var ErrClosed = errors.New("store closed")

// DeliveryState is where a webhook delivery stands in the inbox.
type DeliveryState string

const (
	// DeliveryPending waits to be processed (first time or retry).
	DeliveryPending DeliveryState = "pending"
	// DeliveryProcessing is claimed by a worker until its lease ends.
	DeliveryProcessing DeliveryState = "processing"
	// DeliveryDone was processed (or deliberately ignored).
	DeliveryDone DeliveryState = "done"
	// DeliveryDead failed permanently; LastError says why.
	DeliveryDead DeliveryState = "dead"
)

// Delivery is one GitHub webhook delivery as stored in the inbox.
type Delivery struct {
	// Seq is the arrival order, assigned by the store.
	Seq int64
	// ID is the X-GitHub-Delivery header: the idempotency key.
	ID             string
	Event          string
	Action         string
	InstallationID int64
	// Repository is "owner/name", or "" for deliveries about no repository.
	// Deliveries of one repository are processed in arrival order.
	Repository    string
	Payload       []byte
	ReceivedAt    time.Time
	State         DeliveryState
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	ProcessedAt   time.Time
}

// Inbox is the durable queue of webhook deliveries.
type Inbox interface {
	InboxRuns
	// Enqueue stores d durably (committed before it returns) as pending and
	// due at d.ReceivedAt. When a delivery with the same ID is already
	// stored, nothing is changed and the result says Duplicate, unless that
	// delivery is dead: then d replaces it as a new arrival, with no
	// attempts, and the result says Redelivered (GitHub's Redeliver reuses
	// the id). Concurrent calls may be committed together (group commit).
	Enqueue(ctx context.Context, d Delivery) (Enqueued, error)
	// EnqueueClaim is Enqueue that also claims d in the same commit when d
	// is stored as its repository's head (Enqueued.Head): processing, one
	// attempt counted, leased until leaseUntil, as a claim would. A worker
	// set aside beforehand then takes it at once, with no claim of its own.
	EnqueueClaim(ctx context.Context, d Delivery, leaseUntil time.Time) (Enqueued, error)
	// Claim takes up to limit deliveries that are due at now, marking them
	// processing with a lease until now+lease. It never returns a delivery
	// while an earlier delivery of the same repository is unfinished (pending
	// or processing with a live lease), and at most one per repository, so
	// each repository's deliveries are processed in arrival order. A delivery
	// whose lease expired is claimable again, still ahead of the later
	// deliveries of its repository. Each claim counts as an attempt.
	Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Delivery, error)
	// Complete marks a claimed delivery done. Complete, Retry and Kill
	// return an error wrapping ErrNotFound for an unknown seq and
	// ErrNotClaimed for a delivery that is not processing.
	Complete(ctx context.Context, seq int64, now time.Time) error
	// Retry hands a claimed delivery back as pending, due at next, recording errMsg.
	Retry(ctx context.Context, seq int64, next time.Time, errMsg string) error
	// Kill marks a claimed delivery dead with errMsg.
	Kill(ctx context.Context, seq int64, now time.Time, errMsg string) error
	// ReleaseAll hands every processing delivery back as pending, due now:
	// used at start (after a crash) and at shutdown for unfinished work.
	// Attempts stay counted, so a delivery that crashes the process is not
	// retried for ever.
	ReleaseAll(ctx context.Context, now time.Time) (int, error)
	// NextDue returns the earliest time at which Claim could return a
	// delivery: over the first unfinished delivery of each repository, its
	// next attempt when pending, its lease end when processing. Deliveries
	// waiting behind an earlier one of their repository do not count. ok is
	// false when nothing is unfinished.
	NextDue(ctx context.Context) (due time.Time, ok bool, err error)
	// Depth counts pending and processing deliveries.
	Depth(ctx context.Context) (int, error)
	// Prune deletes done and dead deliveries processed before cutoff.
	Prune(ctx context.Context, cutoff time.Time) (int, error)
	// Delivery returns one delivery by its ID (ErrNotFound when absent).
	Delivery(ctx context.Context, id string) (Delivery, error)
	// ListDeliveries returns stored deliveries, newest arrival first,
	// without their payloads: what an operator looks at to find a dead one.
	// A delivery stored again (redelivered or retried) counts as arriving
	// then.
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
	// RetryDead stores the dead delivery with the given id again, with its
	// own payload, as Enqueue does for a redelivery: pending, due at now,
	// with no attempts, its last error kept. It returns the dead delivery as
	// it was, without its payload; ErrNotFound when no delivery has that
	// id, ErrNotDead when it is not dead.
	RetryDead(ctx context.Context, id string, now time.Time) (Delivery, error)
}

// EffectState is where an outbox effect stands.
type EffectState string

const (
	EffectPending    EffectState = "pending"
	EffectProcessing EffectState = "processing"
	EffectDone       EffectState = "done"
	EffectDead       EffectState = "dead"
)

// Effect is one side effect (create deployment, update check run, post a
// Slack message) recorded in the outbox in the same transaction as the state
// change that needs it, and performed afterwards by an outbox worker.
type Effect struct {
	Seq int64
	// Key is the idempotency key: unique, recorded before the effect is performed.
	Key           string
	Kind          string
	Payload       []byte
	State         EffectState
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	// Result records what performing the effect produced (for example the id
	// of a created GitHub object), so a retry after a crash can reconcile.
	Result    []byte
	CreatedAt time.Time
}

// Outbox is the durable queue of side effects.
type Outbox interface {
	OutboxBatches
	// AddEffects stores effects as pending; an effect whose Key exists is
	// skipped. Each needs a Key and CreatedAt; it is due at NextAttemptAt, or
	// at CreatedAt when NextAttemptAt is zero.
	AddEffects(ctx context.Context, effects ...Effect) error
	// ClaimEffects takes up to limit due effects with a lease.
	ClaimEffects(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Effect, error)
	// CompleteEffect marks an effect done with its result. CompleteEffect,
	// RetryEffect and KillEffect return errors wrapping ErrNotFound or
	// ErrNotClaimed as Complete does.
	CompleteEffect(ctx context.Context, seq int64, now time.Time, result []byte) error
	// SetEffectResult records a claimed effect's result, leaving it claimed.
	SetEffectResult(ctx context.Context, seq int64, result []byte) error
	// ReleaseEffects hands every processing effect back as pending, due now.
	ReleaseEffects(ctx context.Context, now time.Time) (int, error)
	// RetryEffect hands an effect back as pending, due at next.
	RetryEffect(ctx context.Context, seq int64, next time.Time, errMsg string) error
	// KillEffect marks an effect dead.
	KillEffect(ctx context.Context, seq int64, now time.Time, errMsg string) error
	// NextEffectDue returns when ClaimEffects could next return an effect;
	// ok is false when nothing is pending or processing.
	NextEffectDue(ctx context.Context) (due time.Time, ok bool, err error)
	// PruneEffects deletes done and dead effects finished before cutoff.
	PruneEffects(ctx context.Context, cutoff time.Time) (int, error)
	// Effect returns one effect by its idempotency key (ErrNotFound when
	// absent): outbox workers reconcile through it.
	Effect(ctx context.Context, key string) (Effect, error)
	// NewerEffectPending says whether an unfinished effect whose key starts
	// with prefix was added after seq: a report that such a newer effect
	// will render anyway can be skipped, which is how a burst of changes
	// becomes one edit.
	NewerEffectPending(ctx context.Context, prefix string, seq int64) (bool, error)
}

// Installation is one installation of the GitHub App.
type Installation struct {
	ID          int64
	Account     string // login of the user or organization
	AccountType string // User | Organization
	Suspended   bool
	UpdatedAt   time.Time
}

// Repository is a repository an installation can access.
type Repository struct {
	ID       int64
	FullName string // owner/name
	Private  bool
}

// Installations keeps the table of installations and their repositories,
// maintained from installation and installation_repositories events.
type Installations interface {
	// UpsertInstallation creates or updates an installation.
	UpsertInstallation(ctx context.Context, inst Installation) error
	// DeleteInstallation removes an installation and its repositories;
	// deleting an unknown installation is not an error.
	DeleteInstallation(ctx context.Context, id int64) error
	// SetRepositories replaces the installation's repository list. It and
	// AddRepositories return ErrNotFound for an unknown installation.
	SetRepositories(ctx context.Context, installationID int64, repos []Repository) error
	// AddRepositories adds (or updates) repositories of an installation.
	AddRepositories(ctx context.Context, installationID int64, repos []Repository) error
	// RemoveRepositories removes repositories by ID from an installation.
	RemoveRepositories(ctx context.Context, installationID int64, repoIDs []int64) error
	// Installation returns one installation (ErrNotFound when absent).
	Installation(ctx context.Context, id int64) (Installation, error)
	// Repositories lists an installation's repositories ordered by full name.
	Repositories(ctx context.Context, installationID int64) ([]Repository, error)
	// InstallationForRepository finds the installation that covers owner/name,
	// compared case-insensitively as GitHub does (ErrNotFound when none).
	InstallationForRepository(ctx context.Context, fullName string) (int64, error)
}

// Store is everything Wavegate persists.
type Store interface {
	Inbox
	Outbox
	Installations
	ReviewGate
	Engine
	Reports
	Audit
	Links
	EngineIndex
	Alerts
	History
	Decisions
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// SchemaVersion returns the applied and the embedded latest migration version.
	SchemaVersion(ctx context.Context) (applied, latest int64, err error)
	Close() error
}
