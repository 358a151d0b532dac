package deploy

import "time"

// Action is what a deploy step does to a target.
type Action string

// The actions.
const (
	ActionDeploy   Action = "deploy"
	ActionRollback Action = "rollback"
)

// Variant says how much of a target a step covers.
type Variant string

// The variants.
const (
	VariantOnebox Variant = "onebox"
	VariantFull   Variant = "full"
)

// Request is one deploy step as a deployer sees it.
type Request struct {
	// Key is the idempotency key of this step, recorded before the call, so a
	// deployer that talks to a remote system can avoid doing the step twice.
	Key        string
	Repository string // owner/name
	Release    string // the release id, as text
	Pipeline   string
	Stage      string
	Target     string
	Action     Action
	Variant    Variant
	// SHA is what is put in place: the release's sha for a deploy, the last
	// good sha for a rollback.
	SHA string
	// PreviousSHA is what the target runs now; "" when unknown.
	PreviousSHA string
	// Timeout is the pipeline's deploy_timeout; 0 means no limit.
	Timeout time.Duration
	// Inputs are the pipeline's values for a command deployer, passed to
	// the program as WAVEGATE_INPUT_<KEY> variables, never as arguments.
	Inputs map[string]string
}

// Outcome is how a step ended.
type Outcome string

// The outcomes.
const (
	Succeeded Outcome = "succeeded"
	Failed    Outcome = "failed"
	// Interrupted means Wavegate itself stopped the step (it is shutting
	// down), so nothing is known about the target: the engine must reconcile
	// rather than treat it as a failed deploy and roll back.
	Interrupted Outcome = "interrupted"
)

// OutputTail bounds Result.Output, in bytes.
const OutputTail = 8 << 10

// Result is what a deployer reports for one step.
type Result struct {
	Outcome Outcome
	// Reason is one line for a human: "exit status 3", "could not start
	// ./deploy.sh: permission denied", "killed after the 30m0s deploy timeout".
	// Empty when the step succeeded.
	Reason string
	// Output is the end of what the step printed, at most OutputTail bytes;
	// when cut it starts with "…" on a rune boundary.
	Output   string
	Started  time.Time
	Finished time.Time
}
