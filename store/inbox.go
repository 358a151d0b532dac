package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotDead is returned by RetryDead for a delivery that is not dead.
var ErrNotDead = errors.New("not dead")

// Enqueued says what Enqueue did with a delivery.
type Enqueued struct {
	// Duplicate is true when a delivery with the same ID is stored pending,
	// processing or done: nothing was changed.
	Duplicate bool
	// Redelivered is true when the delivery with the same ID was dead: it is
	// stored again, as a new arrival (see Enqueue).
	Redelivered bool
	// Previous is the dead delivery as it was, without its payload, when
	// Redelivered.
	Previous Delivery
	// Head is true when the delivery stored is its repository's first
	// unfinished one: claimable at once, where a delivery stored behind
	// another waits for it (and is claimed by whoever works that one).
	Head bool
	// Claimed is true when EnqueueClaim claimed the delivery as it stored
	// it; Delivery is then the row claimed, payload included.
	Claimed  bool
	Delivery Delivery
}

// DeliveryFilter selects deliveries for ListDeliveries.
type DeliveryFilter struct {
	// State, when set, keeps only deliveries in that state.
	State DeliveryState
	// Limit caps how many are returned (newest first); 0 means no cap.
	Limit int
}

// Settling is what a worker records of one claimed delivery or effect.
type Settling int

const (
	// SettleDone: worked (or deliberately ignored); finished at At.
	SettleDone Settling = iota + 1
	// SettleRetry: failed transiently; pending again, due at At, with Error.
	SettleRetry
	// SettleDead: failed for good; finished at At, with Error.
	SettleDead
	// SettleUnworked: claimed but never attempted, because an earlier
	// delivery of its run failed or the worker is stopping. It goes back to
	// pending exactly as before the claim, which is not counted as an
	// attempt; its due time and last error are left alone.
	SettleUnworked
)

// Settlement is what became of one claimed delivery or effect.
type Settlement struct {
	Seq     int64
	Settles Settling
	// At is when a done or dead one finished, or when a retry is due.
	At time.Time
	// Error is the last error of a retry or a dead one.
	Error string
	// Result is what performing a done effect produced (the inbox keeps none).
	Result []byte
}

// InboxRuns is how workers take deliveries in runs: a run is a repository's
// consecutive due deliveries, claimed in one transaction and settled
// together in another, so that a worker pays for two commits per run
// rather than per delivery.
type InboxRuns interface {
	// ClaimRuns takes, for up to runs repositories whose first unfinished
	// delivery is due at now (pending and due, or processing with an expired
	// lease), that delivery and those that follow it in the repository,
	// unfinished and due, up to runLen in all, stopping at the first one
	// that is not due. Repositories are taken in the order of their first
	// unfinished delivery; each run is in arrival order. All are marked
	// processing with a lease until now+lease and each claim counts as an
	// attempt (SettleUnworked takes it back). While a run is leased its
	// repository has nothing more to claim: at most one run per repository
	// is in flight. Claim(now, limit, lease) is ClaimRuns(now, limit, 1,
	// lease), flattened.
	ClaimRuns(ctx context.Context, now time.Time, runs, runLen int, lease time.Duration) ([][]Delivery, error)
	// Settle records settlements of claimed deliveries in one transaction,
	// all or none: it fails, changing nothing, if one names an unknown
	// delivery (ErrNotFound) or one that is not processing (ErrNotClaimed).
	// Per-repository order is the caller's to keep: in a run, the deliveries
	// after one that did not end done must be SettleUnworked.
	Settle(ctx context.Context, settlements []Settlement) error
	// SettleAndClaim is Settle followed by ClaimRuns(now, 1, runLen,
	// lease) in the same transaction, all or none: a worker done with a
	// run takes its next one for the price of one commit. It returns the
	// run claimed, or none when nothing is due.
	SettleAndClaim(ctx context.Context, settlements []Settlement, now time.Time, runLen int, lease time.Duration) ([]Delivery, error)
}

// OutboxBatches settles effects together, as InboxRuns does deliveries.
type OutboxBatches interface {
	// SettleEffects records settlements of claimed effects in one
	// transaction, all or none, with the errors of Settle.
	SettleEffects(ctx context.Context, settlements []Settlement) error
}
