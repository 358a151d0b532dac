package store

import (
	"context"
	"errors"
	"time"
)

// ErrConflict is returned when a state was changed by someone else since it
// was loaded.
var ErrConflict = errors.New("changed since it was loaded")

// EngineKey names one pipeline of one repository.
type EngineKey struct {
	Repository string
	Pipeline   string
}

// EngineState is a pipeline's serialized engine state.
type EngineState struct {
	EngineKey
	// Version is 0 for a state never saved.
	Version int64
	State   []byte
	// WakeAt is when the engine must look again; zero for never.
	WakeAt time.Time
	// History is recorded with the save, in its transaction; it is never
	// loaded back. A row already recorded (same repository, pipeline,
	// release, kind and stage) is kept as it is; a restored row is recorded
	// only when its stage has a failure not yet restored.
	History []HistoryEvent
	// Decisions are recorded with the save, in its transaction, and read
	// back only by ReleaseDecisions.
	Decisions []DecisionEvent
}

// DecisionEvent is one decision the engine took about a release.
type DecisionEvent struct {
	Repository string
	Pipeline   string
	ReleaseID  int64
	// Stage and Target say what it was about: "" for the release or the
	// stage as a whole.
	Stage, Target string
	// What was decided ("entered", "onebox-baking", "held", "failed", ...)
	// and why, as the planner says it.
	What, Reason string
	At           time.Time
}

// Decisions reads the decisions saved with engine states.
type Decisions interface {
	// ReleaseDecisions lists the last limit decisions about a release,
	// oldest first (all of them when limit is 0); the repository is
	// compared without regard to case.
	ReleaseDecisions(ctx context.Context, repository, pipeline string, releaseID int64, limit int) ([]DecisionEvent, error)
}

// Engine persists the deployment engine's state.
type Engine interface {
	// LoadEngineState returns the stored state, or Version 0 and no State
	// when none is stored.
	LoadEngineState(ctx context.Context, key EngineKey) (EngineState, error)
	// SaveEngineState stores st if the stored version is still st.Version
	// (ErrConflict otherwise) and adds effects to the outbox, in one
	// transaction: a decision and the side effects it needs are kept
	// together or not at all. It returns the new version.
	SaveEngineState(ctx context.Context, st EngineState, effects []Effect, now time.Time) (int64, error)
	// DueEngineStates lists up to limit pipelines whose wake time has come.
	DueEngineStates(ctx context.Context, now time.Time, limit int) ([]EngineKey, error)
	// NextEngineWake is the earliest wake time stored; ok is false when none.
	NextEngineWake(ctx context.Context) (time.Time, bool, error)
	// NextReleaseID allocates the next release id of a repository.
	NextReleaseID(ctx context.Context, repository string) (int64, error)
}
