package pipeline

import (
	"time"

	"github.com/wavegate/wavegate/checks"
)

// Defaults for keys a file may leave out.
const (
	DefaultDeployTimeout      = 30 * time.Minute
	DefaultApprovalTimeout    = 7 * 24 * time.Hour
	DefaultParallel           = 1
	DefaultOverridePermission = checks.PermissionMaintain
)

// Pos locates a value in the file; Line and Column are 1-based.
type Pos struct{ Line, Column int }

// DeployerKind says how a pipeline puts a release on a target.
type DeployerKind string

const (
	// DeployerGitHub creates a GitHub deployment per step and learns its
	// result from deployment_status events.
	DeployerGitHub DeployerKind = "github"
	// DeployerCommand runs a program that the server's operator defines in
	// Wavegate's own config file; exit 0 is success.
	DeployerCommand DeployerKind = "command"
	// DeployerWorkflow dispatches a GitHub Actions workflow. Accepted by the
	// parser (with a warning) but not implemented yet.
	DeployerWorkflow DeployerKind = "workflow"
)

// Deployer is the pipeline's deployer: key.
type Deployer struct {
	Kind DeployerKind
	// Name is the command deployer's name, one of those the operator
	// defines (deployers: in Wavegate's config file). A repository names a
	// program; it never gives one, because whoever can merge to it would
	// otherwise run code of their choosing beside Wavegate's secrets. The
	// JSON name differs from the old argv's ("Command"), so that a state
	// stored before the change decodes to an empty name, which fails the
	// step with a reason rather than failing the decode.
	Name string
	// Inputs are values the repository passes to its command deployer, as
	// data: WAVEGATE_INPUT_<KEY> environment variables, never arguments.
	// Keys match inputKeyPattern.
	Inputs map[string]string `json:",omitempty"`
	// Workflow is the workflow file name (deploy.yml) of a workflow deployer.
	Workflow string
	// Pos is where a command deployer's name is written, for the errors of
	// CheckDeployers.
	Pos Pos `json:"-"`
}

// Overrides is the pipeline's overrides: key.
type Overrides struct {
	// Permission is the least role that may override blockers, roll back,
	// pause, resume and block commits.
	Permission checks.Permission
}

// Approval makes a stage a manual approval.
type Approval struct {
	// Approvers are GitHub logins (without "@") and teams ("@org/team").
	// Empty means anyone with write permission may approve.
	Approvers []string
	// AllowAuthors lets the release's own authors approve it; by default
	// someone who did not write it must.
	AllowAuthors bool
	// Timeout is how long the release waits before failing at this stage.
	Timeout time.Duration
}

// Pipeline is one entry of pipelines:, defaults applied.
type Pipeline struct {
	Name string
	// Branch is the deployment branch. Empty means the repository's default
	// branch, which only the caller knows: fill it in before Matches.
	Branch string
	// Paths selects the pushes this pipeline releases, in checks.MatchAny's
	// form ("!" excludes, the last match decides).
	Paths         []string
	Deployer      Deployer
	DeployTimeout time.Duration
	SlackChannel  string
	// Windows says when deploys may start; nil when absent.
	Windows *Windows `json:",omitempty"`
	// Alarms is the alarms: section; nil when absent.
	Alarms *Alarms `json:",omitempty"`
	// OrgAlarms is the organization's alarms: section, merged in with each
	// push (and again when the organization's file changes): the alerts it
	// matches concern this pipeline too. Nil when absent.
	OrgAlarms *Alarms `json:",omitempty"`
	// Datapoints is a Prometheus query template; empty when absent.
	Datapoints string
	// DatapointsTimeout is how long after its deploy finished a bake may
	// wait for its stage's min_datapoints before the release fails there;
	// zero: DatapointsTimeoutBakes times the stage's bake (DatapointsTimeoutFor).
	DatapointsTimeout time.Duration `json:",omitempty"`
	Overrides         Overrides
	Stages            []Stage

	// Pos is where the pipeline's name is written.
	Pos Pos `json:"-"`
	// Positions holds where each key's value is written, by key path as in
	// the file: "deploy_timeout", "paths[1]", "overrides.permission".
	Positions map[string]Pos `json:"-"`
}

// Stage is one entry of a pipeline's stages:, defaults applied. It either
// deploys to Targets or, when Approval is set, waits for a manual approval.
type Stage struct {
	Name    string
	Targets []string
	// Parallel is the most targets deployed at once; as written, so it may
	// exceed len(Targets).
	Parallel int
	// OneBox: each target is deployed to one host and baked before the
	// full deploy.
	OneBox bool
	// Bake is how long each step must stay healthy before the next; zero
	// means "as soon as the deploy succeeds".
	Bake          time.Duration
	MinDatapoints int
	// Production marks production stages (production_environment on GitHub
	// deployments, and the best-practice checks). Unless the file says,
	// it is true for the deploying stages after the first approval stage and
	// for those whose name starts with "wave" or "prod".
	Production bool
	Approval   *Approval

	// Pos is where the stage's entry in stages: begins.
	Pos Pos `json:"-"`
	// Positions holds where each key's value is written: "bake",
	// "targets[2]", "approval.timeout".
	Positions map[string]Pos `json:"-"`
}

// DatapointsTimeoutBakes is the default datapoints_timeout, in bakes of
// the stage.
const DatapointsTimeoutBakes = 4

// DatapointsTimeoutFor is how long after its deploy finished a bake of
// stage may wait for its data points.
func (p Pipeline) DatapointsTimeoutFor(stage Stage) time.Duration {
	if p.DatapointsTimeout > 0 {
		return p.DatapointsTimeout
	}
	return DatapointsTimeoutBakes * stage.Bake
}

// CountsDatapoints reports whether a bake of stage waits for data points.
func (p Pipeline) CountsDatapoints(stage Stage) bool {
	return stage.MinDatapoints > 0 && p.Datapoints != "" && !stage.IsApproval()
}

// IsApproval reports whether the stage waits for a manual approval instead
// of deploying.
func (s Stage) IsApproval() bool { return s.Approval != nil }

// At returns where the value of key (a path as in Positions) is written,
// or where the pipeline is when the file does not set it: a diagnostic
// about a default still points somewhere useful.
func (p Pipeline) At(key string) Pos {
	if pos, ok := p.Positions[key]; ok {
		return pos
	}
	return p.Pos
}

// At returns where the value of key is written, or the stage's position
// when the file does not set it.
func (s Stage) At(key string) Pos {
	if pos, ok := s.Positions[key]; ok {
		return pos
	}
	return s.Pos
}
