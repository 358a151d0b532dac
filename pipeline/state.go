package pipeline

import "time"

// The engine's state is plain data: the runner loads it, Plan computes the
// next state and the effects it needs, and the runner stores both in one
// transaction. Nothing here performs I/O.

// ReleaseStatus is where a release stands in its pipeline.
type ReleaseStatus string

// Release statuses.
const (
	ReleaseActive     ReleaseStatus = "active"
	ReleaseSucceeded  ReleaseStatus = "succeeded"
	ReleaseFailed     ReleaseStatus = "failed"
	ReleaseSuperseded ReleaseStatus = "superseded"
)

// Release is one commit of the deployment branch travelling through one
// pipeline.
type Release struct {
	ID        int64
	SHA       string
	Authors   []string
	Pulls     []int
	CreatedAt time.Time
	// Unreviewed lists why commits the release contains were not reviewed
	// (from the review gate's verdicts); any entry is the unreviewed blocker.
	Unreviewed []string
	// Commits are the shas the push brought besides SHA (at most
	// MaxReleaseCommits, the newest): what a blocked commit is looked for in.
	Commits []string `json:",omitempty"`
	Status  ReleaseStatus
	Reason  string
	// Config names, in State.Configs, the pipeline as of the release's own
	// commit; "" means the pipeline the planner is given.
	Config string
	// Stages holds the release's progress by stage name; a stage it has not
	// reached is absent.
	Stages map[string]*StageRun
	// RollbackRequest is a manual rollback the next Plan has yet to act on.
	// Plan clears it once acted on: from then on the release's and its
	// stages' reasons say who rolled it back and why, and its targets'
	// phases say how far the rollback went.
	RollbackRequest *RollbackRequest
}

// RollbackRequest is what /deploy rollback asks for: the release's targets
// back to their last good release, in one stage or target or everywhere it
// went.
type RollbackRequest struct {
	Stage  string // "" for every stage the release reached
	Target string // "" for every target of those stages
	By     string
	Reason string
	At     time.Time
}

// StageStatus is where a release stands in one stage.
type StageStatus string

// Stage statuses.
const (
	StageActive     StageStatus = "active"
	StageSucceeded  StageStatus = "succeeded"
	StageFailed     StageStatus = "failed"
	StageSuperseded StageStatus = "superseded"
)

// StageRun is a release's progress through one stage.
type StageRun struct {
	Status     StageStatus
	StartedAt  time.Time
	FinishedAt time.Time
	Reason     string
	// Targets by name; a target not yet started is absent.
	Targets map[string]*TargetRun
	// Approval stages only.
	ApprovalRequestedAt time.Time
	Decision            *ApprovalDecision
}

// ApprovalDecision is an approve or reject of an approval stage.
type ApprovalDecision struct {
	Approved bool
	By       string
	Reason   string
	At       time.Time
}

// Phase is where one target stands in a stage.
type Phase string

// Target phases. A one-box target goes onebox-deploying → onebox-baking →
// full-deploying → full-baking → done; otherwise full-deploying →
// full-baking → done. After a failure in the stage, targets that received
// the release go rollback-deploying → rollback-baking → rolled-back.
const (
	PhaseOneboxDeploying   Phase = "onebox-deploying"
	PhaseOneboxBaking      Phase = "onebox-baking"
	PhaseFullDeploying     Phase = "full-deploying"
	PhaseFullBaking        Phase = "full-baking"
	PhaseDone              Phase = "done"
	PhaseRollbackPending   Phase = "rollback-pending" // waits for the deploy in flight to report or time out
	PhaseRollbackDeploying Phase = "rollback-deploying"
	PhaseRollbackBaking    Phase = "rollback-baking"
	PhaseRolledBack        Phase = "rolled-back"
	PhaseRollbackFailed    Phase = "rollback-failed"
	PhaseNothingToRollBack Phase = "nothing-to-roll-back"
)

// TargetRun is one target's progress in a stage for a release.
type TargetRun struct {
	Phase Phase
	Since time.Time
	// Step is the deploy step in flight or last finished.
	Step *Step
	// Undone is the deploy step a rollback replaced as Step: reports need
	// it to mark its deployment failed (when it timed out) or inactive.
	Undone *Step
	// BakeUntil is when the current bake ends.
	BakeUntil time.Time
	// RollbackTo is the target's last good sha from before this release
	// reached it: what a rollback puts back, even after the target itself
	// finished baking this release and recorded it as good.
	RollbackTo string
	// Datapoints is the current bake's data-point count as Plan last saw
	// it, when the stage waits for data points (Min > 0): reports read it
	// here, not from the source.
	Datapoints DatapointProgress `json:",omitzero"`
	// Waiting says why a bake whose time is up has not ended yet (data
	// points short, no data, an alarm query that cannot be evaluated);
	// empty otherwise.
	Waiting string `json:",omitempty"`
}

// Step is one deploy to a target: the unit a deployer performs.
type Step struct {
	// Key is the idempotency key, deterministic for (release, stage, target,
	// variant, action), so the same decision can never make two deploys.
	Key         string
	Action      string // deploy | rollback
	Variant     string // onebox | full
	SHA         string
	PreviousSHA string
	StartedAt   time.Time
	// Outcome is empty while the deployer has not reported.
	Outcome    string // succeeded | failed
	Reason     string
	FinishedAt time.Time
}

// Step actions, variants and outcomes, as the deploy package spells them.
const (
	ActionDeploy    = "deploy"
	ActionRollback  = "rollback"
	VariantOnebox   = "onebox"
	VariantFull     = "full"
	OutcomeSuccess  = "succeeded"
	OutcomeFailed   = "failed"
	OutcomeTimedOut = "timed-out"
)

// Inventory is what a target runs.
type Inventory struct {
	// Running is the sha last put in place (deploy or rollback).
	Running string
	// LastGood is the sha of the last release that finished its full bake
	// there: what a rollback puts back.
	LastGood string
}

// Hold keeps newer releases out of a stage after a rollback there, until
// someone resumes it.
type Hold struct {
	ReleaseID int64
	Reason    string
	Since     time.Time
}

// Override lifts one blocker for one release, optionally for one stage or
// target only, until it lapses.
type Override struct {
	ReleaseID int64
	Blocker   BlockerKind
	Stage     string // "" for any
	Target    string // "" for any
	By        string
	Reason    string
	At        time.Time
	// Until is when the override lapses (/deploy override --ttl); zero: it
	// lasts as long as the release.
	Until time.Time `json:",omitzero"`
}

// Lifts reports whether the override is in force at now.
func (o Override) Lifts(now time.Time) bool { return o.Until.IsZero() || now.Before(o.Until) }

// CommitBlock is a commit that /deploy block keeps from deploying anywhere
// in the repository.
type CommitBlock struct {
	// SHA is as given: at least 7 hexadecimal characters, lower case; it
	// matches the commits it is a prefix of.
	SHA    string
	By     string
	Reason string
	At     time.Time
	// FromRelease is the first release of the state that contains the
	// commit: it and every later release (which contain it too, being
	// later commits of the same branch) are held. Zero while no release
	// contains it.
	FromRelease int64
}

// State is one pipeline's engine state in one repository.
type State struct {
	// Releases in creation order (ascending ID). Finished releases may be
	// dropped by the runner once reported.
	Releases []*Release
	Targets  map[string]*Inventory
	Holds    map[string]*Hold
	// Paused, when set, says why no new deploy starts anywhere.
	Paused string
	// OrgPaused, when set, says why no new deploy starts in any repository
	// of the organization (/deploy pause --org): the runner sets it in every
	// state of the installation, and only ResumeOrg lifts it.
	OrgPaused string `json:",omitempty"`
	Overrides []Override
	// Blocked are the commits kept from deploying.
	Blocked []CommitBlock `json:",omitempty"`
	// Applied are the ids of the last MaxApplied commands applied to this
	// state, oldest first: a command retried after a crash is not applied
	// twice.
	Applied []string `json:",omitempty"`
	// Configs are the pipelines releases travel with, by content hash:
	// releases made from the same file share one.
	Configs map[string]Pipeline
	// Held is what held each release when Plan last ran, with the
	// blockers' reasons and when they lift; Plan sets it. Reports read it
	// here rather than plan again: only the runner knows the Inputs (alarms,
	// windows, freezes) the decisions were taken with. A state saved before
	// it was recorded has none until its next save.
	Held []Held
}

// Release returns the release with id, or nil when the state does not hold
// it (never made, or dropped once finished).
func (st State) Release(id int64) *Release {
	for _, r := range st.Releases {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// PipelineOf is the configuration r travels with: the one as of its own
// commit, so a pipeline change travels with the commit that made it; a
// release recorded without one uses current.
func (st State) PipelineOf(r *Release, current Pipeline) Pipeline {
	if c, ok := st.Configs[r.Config]; ok && r.Config != "" {
		return c
	}
	return current
}

// Key names one pipeline of one repository: the unit the engine's runner
// loads, plans and saves, and the one reports and commands are about. It
// lives here, beside State, so that those need not import the runner.
type Key struct {
	Repository string
	Pipeline   string
}
