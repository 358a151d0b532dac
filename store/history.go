package store

import (
	"context"
	"time"
)

// HistoryKind says what happened to a release.
type HistoryKind string

// History kinds.
const (
	// HistoryReleased: the release finished the pipeline's last stage.
	HistoryReleased HistoryKind = "released"
	// HistoryFailed: the release failed in a deploy stage (a failed or
	// timed-out deploy, an alarm, or a manual rollback). An approval that
	// timed out is not a failure of the change and is not recorded.
	HistoryFailed HistoryKind = "failed"
	// HistoryRestored: a stage that had failed is healthy again, which is
	// when a later release first succeeds in it. Resuming a held stage does
	// not count: it only lets the next release try.
	HistoryRestored HistoryKind = "restored"
)

// HistoryEvent is one row of the release history, what delivery metrics
// are computed from.
type HistoryEvent struct {
	Repository string
	Pipeline   string
	ReleaseID  int64
	SHA        string
	// Stage is where the release failed or the stage restored; "" for
	// released.
	Stage string
	Kind  HistoryKind
	At    time.Time
	// StartedAt is when what At ends began. For released and failed, the
	// change's start: the release's creation, that is when its push reached
	// the deployment branch, since merge times of its pull requests are not
	// known. For restored, when the stage first failed since it was last
	// restored; the store sets it and ignores what it is given.
	StartedAt time.Time
}

// History reads the release history. Rows are written with engine states
// (EngineState.History), in the same transaction.
type History interface {
	// ReleaseHistory lists the rows with At >= since, oldest first (rows at
	// the same time in the order they were written).
	ReleaseHistory(ctx context.Context, since time.Time) ([]HistoryEvent, error)
}
