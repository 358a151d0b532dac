package pipeline

import "time"

// Inputs are what Plan needs besides the state: the signals it cannot know
// by itself. Any may be nil (none).
type Inputs struct {
	Blockers   BlockerSource
	Alarms     AlarmSource
	Datapoints DatapointSource
}

// DeployEffect asks the runner to perform one deploy step.
type DeployEffect struct {
	ReleaseID  int64
	Pipeline   string
	Stage      string
	Target     string
	Production bool
	Timeout    time.Duration
	Step       Step
}

// NoticeKind names something people must be told.
type NoticeKind string

// Notices.
const (
	NoticeApprovalNeeded  NoticeKind = "approval-needed"
	NoticeReleaseFailed   NoticeKind = "release-failed"
	NoticeRollbackFailed  NoticeKind = "rollback-failed"
	NoticeNothingToRevert NoticeKind = "nothing-to-roll-back"
)

// Notice is a report the runner sends (PR comment, Slack) through the outbox.
type Notice struct {
	Kind      NoticeKind
	ReleaseID int64
	Stage     string
	Target    string
	Text      string
}

// Decision is one state change Plan made, with its reason, for logs and
// reports.
type Decision struct {
	ReleaseID int64
	Stage     string
	Target    string
	What      string
	Reason    string
}

// Held is a deploy that would start now but for its blockers.
type Held struct {
	ReleaseID int64
	Stage     string
	Target    string
	Blockers  []Blocker
}

// Result is what Plan decided.
type Result struct {
	State     State
	Deploys   []DeployEffect
	Notices   []Notice
	Decisions []Decision
	// Held is State.Held: the deploys held by blockers.
	Held []Held
	// WakeAt is when Plan must run again if nothing else happens first:
	// the nearest bake end, deploy timeout, approval timeout or blocker
	// lifting. Zero when nothing is pending.
	WakeAt time.Time
}
