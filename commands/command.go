package commands

import (
	"time"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/pipeline"
)

// Verb is the first word after /deploy.
type Verb string

// The verbs of DESIGN.md (Commands), plus unlink.
const (
	VerbHelp     Verb = "help"
	VerbStatus   Verb = "status"
	VerbApprove  Verb = "approve"
	VerbReject   Verb = "reject"
	VerbOverride Verb = "override"
	VerbRollback Verb = "rollback"
	VerbPause    Verb = "pause"
	VerbResume   Verb = "resume"
	VerbBlock    Verb = "block"
	VerbUnblock  Verb = "unblock"
	VerbLink     Verb = "link"
	VerbUnlink   Verb = "unlink"
)

// MaxReason is the longest --reason accepted, in characters.
const MaxReason = 1000

// Command is one parsed /deploy line. Fields a verb does not take are zero.
type Command struct {
	Verb Verb
	// Line is the line as typed, trimmed: what the audit log and replies quote.
	Line string
	// Repository is "owner/repo" when the line names one (Slack: the first
	// argument may name it); "" otherwise.
	Repository string
	// Pipeline is status's, pause's and resume's optional pipeline.
	Pipeline string
	// Stage is approve's and reject's optional stage, or --stage.
	Stage  string
	Target string // --target
	// Blocker is override's blocker kind.
	Blocker pipeline.BlockerKind
	SHA     string // block, unblock
	Code    string // link CODE; "" for a Slack user asking for a code
	Reason  string // --reason
	// TTL is --ttl: an override that lapses by itself; 0 lasts for the release.
	TTL time.Duration
	// Release is --release N: another release of the same repository; 0 for
	// the one the surface implies (the PR's merge commit).
	Release int64
	All     bool // pause --all, resume --all: every pipeline of the repository
	Org     bool // pause --org, resume --org: every repository of the installation
}

// ParseKind is the tri-state result of Parse.
type ParseKind int

const (
	// NotCommand is ordinary text: ignored silently.
	NotCommand ParseKind = iota
	// Valid is a command to authorize and run.
	Valid
	// Invalid is a /deploy line with an error: answered with Err and Usage.
	Invalid
)

// Parsed is what Parse makes of one line.
type Parsed struct {
	Kind    ParseKind
	Command Command // Valid only; Command.Line and Verb (when known) also for Invalid
	// Err says precisely what is wrong with an Invalid line.
	Err error
	// Usage is the usage of the verb (or of every verb when the verb is
	// unknown), for Invalid lines.
	Usage string
}

// Actor is who runs a command, as the surfaces verified them.
type Actor struct {
	// Login is the GitHub login (a Slack user acts through a verified link).
	Login string
	// Role is the actor's repository role, asked fresh from GitHub.
	Role checks.Permission
	// Teams are the "org/team" slugs among the stage's approvers that the
	// actor belongs to (asked fresh from GitHub's teams API).
	Teams []string
	// OrgOwner says the actor owns the installation's organization (pause --org).
	OrgOwner bool
}

// Subject is what a command acts on, as far as authorization cares.
type Subject struct {
	// Approvers of the approval stage concerned ("login", "@org/team");
	// empty: anyone with write.
	Approvers []string
	// AllowAuthors lets a release's own authors approve its stage.
	AllowAuthors bool
	// Authors of the release concerned.
	Authors []string
	// OverridePermission is the pipeline's overrides.permission
	// (PermissionNone: the default, maintain).
	OverridePermission checks.Permission
	// Repository ("owner/repo") and Stage (the approval stage concerned)
	// only make refusals read better; either may be "".
	Repository string
	Stage      string
}

// Decision is Authorize's answer.
type Decision struct {
	Allowed bool
	// Need is the least role the command needs here ("maintain",
	// "an approver of release-approval", "an organization owner").
	Need string
	// Why explains a refusal in words the actor can act on: the role
	// needed and the role they have.
	Why string
}
