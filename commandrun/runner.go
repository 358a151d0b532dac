package commandrun

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// Engine applies an operation to a pipeline's state and saves the result
// with its effects (engine.Runner).
type Engine interface {
	Apply(ctx context.Context, key pipeline.Key, op func(p pipeline.Pipeline, st *pipeline.State) error) (pipeline.Result, error)
}

// States reads a pipeline's saved state with the pipeline it was planned
// with (engine.PipelineStore).
type States interface {
	LoadWithPipeline(ctx context.Context, key pipeline.Key) (pipeline.Pipeline, pipeline.State, int64, error)
}

// Installations is what the runner reads of the installations table.
type Installations interface {
	Installation(ctx context.Context, id int64) (store.Installation, error)
	Repositories(ctx context.Context, installationID int64) ([]store.Repository, error)
	InstallationForRepository(ctx context.Context, fullName string) (int64, error)
}

// Roles answers who an actor is on GitHub, as GitHub says it now: a role
// taken away a moment ago must not still authorize a command.
type Roles interface {
	// Role is login's repository role (PermissionNone when not a collaborator).
	Role(ctx context.Context, installationID int64, repository, login string) (checks.Permission, error)
	// TeamMember says whether login is an active member of org's team.
	TeamMember(ctx context.Context, installationID int64, org, team, login string) (bool, error)
	// OrgOwner says whether login owns organization org.
	OrgOwner(ctx context.Context, installationID int64, org, login string) (bool, error)
}

// Options are the runner's parts.
type Options struct {
	Engine        Engine
	States        States
	Index         store.EngineIndex
	Audit         store.Audit
	Links         store.Links
	Installations Installations
	Roles         Roles
	Clock         clock.Clock
	// Random makes link codes; crypto/rand when nil.
	Random io.Reader
	Logger *slog.Logger
	// Authorize decides; commands.Authorize when nil.
	Authorize func(commands.Command, commands.Actor, commands.Subject) commands.Decision
}

type runner struct{ Options }

// New returns a Runner over o.
func New(o Options) (Runner, error) {
	switch {
	case o.Engine == nil, o.States == nil, o.Index == nil, o.Audit == nil, o.Links == nil,
		o.Installations == nil, o.Roles == nil, o.Clock == nil:
		return nil, errors.New("command runner: engine, states, index, audit, links, installations, roles and clock are all needed")
	}
	if o.Random == nil {
		o.Random = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Authorize == nil {
		o.Authorize = commands.Authorize
	}
	return &runner{o}, nil
}

// refusal is a command turned down, with what to say. It travels as an
// error through the steps of a run so that each can stop it in one line;
// Run turns it into a Refused response, never an error.
type refusal struct{ text string }

func (r *refusal) Error() string { return r.text }

func refuse(format string, args ...any) error {
	return &refusal{fmt.Sprintf(format, args...)}
}

// job is one request as it is being run: what was resolved so far, for the
// audit entry and the response.
type job struct {
	req   Request
	login string
	repo  string // canonical "owner/repo" once resolved
	inst  int64
	key   pipeline.Key
	relID int64
	// replayed says the last apply found the request already applied: a
	// retry, which must answer as the first run did.
	replayed bool
}

func (r *runner) Run(ctx context.Context, req Request) (Response, error) {
	j := &job{req: req, login: req.Login, inst: req.InstallationID}
	text, err := r.run(ctx, j)
	resp := Response{Outcome: Accepted, Text: text, Repository: j.repo, Pipeline: j.key.Pipeline, ReleaseID: j.relID}
	var ref *refusal
	switch {
	case errors.As(err, &ref):
		resp.Outcome, resp.Text = Refused, ref.text
	case err != nil:
		return Response{}, err
	}
	if j.repo == "" {
		// Refused before the repository was settled (an unlinked Slack
		// user, say): the audit log still files it under the repository
		// named, so `wavegate audit --repo` shows the attempt.
		j.repo = cmp.Or(req.Repository, req.Command.Repository)
	}
	if err := r.audit(ctx, j, resp); err != nil {
		return Response{}, err
	}
	return resp, nil
}

func (r *runner) RunInvalid(ctx context.Context, req Request, p commands.Parsed) (Response, error) {
	why := "not a valid command"
	if p.Err != nil {
		why = p.Err.Error()
	}
	text := why
	if p.Usage != "" {
		text += "\n\n" + p.Usage
	}
	j := &job{req: req, login: req.Login, inst: req.InstallationID, repo: req.Repository}
	if j.req.Command.Line == "" {
		j.req.Command = p.Command
	}
	if j.login == "" && req.SlackUser != "" {
		// The audit log says who, when it is known: a mistyped line of
		// an unlinked user is still recorded, without a login.
		if err := r.identify(ctx, j); err != nil {
			if _, refused := err.(*refusal); !refused {
				return Response{}, err
			}
		}
	}
	resp := Response{Outcome: Invalid, Text: text, Repository: req.Repository}
	if err := r.audit(ctx, j, Response{Outcome: Invalid, Text: why}); err != nil {
		return Response{}, err
	}
	return resp, nil
}

// run resolves, identifies, authorizes and applies; it returns what to say
// when the command is accepted.
func (r *runner) run(ctx context.Context, j *job) (string, error) {
	c := j.req.Command
	switch c.Verb {
	case commands.VerbHelp:
		return commands.Help(), nil
	case commands.VerbLink:
		return r.link(ctx, j)
	case commands.VerbUnlink:
		return r.unlink(ctx, j)
	}
	if err := r.identify(ctx, j); err != nil {
		return "", err
	}
	if err := r.resolveRepository(ctx, j); err != nil {
		return "", err
	}
	if c.Org {
		return r.orgWide(ctx, j)
	}
	pipes, err := r.pipelines(ctx, j.repo)
	if err != nil {
		return "", err
	}
	switch c.Verb {
	case commands.VerbStatus:
		return r.status(ctx, j, pipes)
	case commands.VerbApprove, commands.VerbReject, commands.VerbOverride, commands.VerbRollback:
		return r.onRelease(ctx, j, pipes)
	case commands.VerbPause, commands.VerbResume:
		return r.pauseResume(ctx, j, pipes)
	case commands.VerbBlock, commands.VerbUnblock:
		return r.blockUnblock(ctx, j, pipes)
	}
	return "", refuse("`%s` is not a command Wavegate runs; try `/deploy help`", c.Verb)
}

// identify finds the GitHub login a Slack user acts as.
func (r *runner) identify(ctx context.Context, j *job) error {
	if j.login != "" {
		return nil
	}
	if j.req.SlackUser == "" {
		return refuse("this command has no verified GitHub user to act as")
	}
	l, err := r.Links.SlackLink(ctx, j.req.SlackTeam, j.req.SlackUser)
	if errors.Is(err, store.ErrNotFound) {
		return refuse("link your GitHub account first: /deploy link")
	}
	if err != nil {
		return fmt.Errorf("link of Slack user %s/%s: %w", j.req.SlackTeam, j.req.SlackUser, err)
	}
	j.login = l.Login
	return nil
}

// authorize asks GitHub who the actor is now and lets commands decide.
func (r *runner) authorize(ctx context.Context, j *job, s commands.Subject) error {
	c := j.req.Command
	a := commands.Actor{Login: j.login}
	role, err := r.Roles.Role(ctx, j.inst, j.repo, j.login)
	if err != nil {
		return fmt.Errorf("role of %s on %s: %w", j.login, j.repo, err)
	}
	a.Role = role
	for _, ap := range s.Approvers {
		org, team, ok := strings.Cut(strings.TrimPrefix(ap, "@"), "/")
		if !strings.HasPrefix(ap, "@") || !ok {
			continue
		}
		member, err := r.Roles.TeamMember(ctx, j.inst, org, team, j.login)
		if err != nil {
			return fmt.Errorf("membership of %s in %s/%s: %w", j.login, org, team, err)
		}
		if member {
			a.Teams = append(a.Teams, org+"/"+team)
		}
	}
	if c.Org {
		org, _, _ := strings.Cut(j.repo, "/")
		if a.OrgOwner, err = r.orgOwner(ctx, j, org); err != nil {
			return err
		}
	}
	s.Repository = j.repo
	if d := r.Authorize(c, a, s); !d.Allowed {
		if d.Why == "" {
			return refuse("@%s may not run `%s`: it needs %s", j.login, c.Line, d.Need)
		}
		return refuse("%s", d.Why)
	}
	return nil
}

// orgOwner says whether the actor owns the installation's account: an
// organization's owner, or the user a personal installation belongs to.
func (r *runner) orgOwner(ctx context.Context, j *job, org string) (bool, error) {
	inst, err := r.Installations.Installation(ctx, j.inst)
	if err != nil {
		return false, fmt.Errorf("installation %d: %w", j.inst, err)
	}
	if !strings.EqualFold(inst.AccountType, "Organization") {
		return strings.EqualFold(inst.Account, j.login), nil
	}
	owner, err := r.Roles.OrgOwner(ctx, j.inst, inst.Account, j.login)
	if err != nil {
		return false, fmt.Errorf("membership of %s in %s: %w", j.login, org, err)
	}
	return owner, nil
}

// apply runs op on key's state through the engine exactly once per
// request: a retry of a request already applied changes nothing. An error
// op returns is the engine refusing; any other is a failure to retry.
func (r *runner) apply(ctx context.Context, j *job, key pipeline.Key, op func(p pipeline.Pipeline, st *pipeline.State) error) error {
	var refused error
	_, err := r.Engine.Apply(ctx, key, func(p pipeline.Pipeline, st *pipeline.State) error {
		refused, j.replayed = nil, false
		if pipeline.Applied(st, j.req.ID) {
			j.replayed = true
			return nil
		}
		if err := op(p, st); err != nil {
			refused = err
			return err
		}
		pipeline.MarkApplied(st, j.req.ID)
		return nil
	})
	if refused != nil {
		return refuse("%s", refused.Error())
	}
	if err != nil {
		return fmt.Errorf("apply %s to %s/%s: %w", j.req.Command.Verb, key.Repository, key.Pipeline, err)
	}
	return nil
}

// audit records the request once, whatever became of it.
func (r *runner) audit(ctx context.Context, j *job, resp Response) error {
	c := j.req.Command
	e := store.AuditEntry{
		RequestID: j.req.ID, At: j.req.At, InstallationID: j.inst, Repository: j.repo,
		Pipeline: j.key.Pipeline, ReleaseID: j.relID, Login: j.login,
		Surface: j.req.Surface, Source: j.req.Source, Line: auditLine(c), Verb: string(c.Verb),
		Reason: c.Reason, Decision: store.AuditAccepted, Why: resp.Text,
	}
	if e.At.IsZero() {
		e.At = r.Clock.Now()
	}
	if j.req.SlackUser != "" {
		e.SlackUser = j.req.SlackTeam + "/" + j.req.SlackUser
	}
	switch resp.Outcome {
	case Refused:
		e.Decision = store.AuditRefused
	case Invalid:
		e.Decision = store.AuditInvalid
	}
	switch {
	case resp.Outcome != Accepted:
	case c.Verb == commands.VerbStatus || c.Verb == commands.VerbHelp:
		e.Why = "answered" // the answer is long and says nothing of the decision
	case c.Verb == commands.VerbLink && c.Code == "":
		e.Why = "gave a link code valid 10 minutes" // the answer holds the code: never stored
	}
	if _, err := r.Audit.RecordCommand(ctx, e); err != nil {
		return fmt.Errorf("audit command %s: %w", j.req.ID, err)
	}
	level := slog.LevelInfo
	if resp.Outcome != Accepted {
		level = slog.LevelWarn
	}
	r.Logger.Log(ctx, level, "command", "request", j.req.ID, "surface", j.req.Surface, "login", j.login,
		"repository", j.repo, "verb", c.Verb, "decision", e.Decision, "why", e.Why)
	return nil
}

// auditLine is the line as typed, less a link code: a code is a secret
// until used, and the audit log keeps none.
func auditLine(c commands.Command) string {
	if c.Verb == commands.VerbLink && c.Code != "" {
		return "/deploy link [redacted]"
	}
	return c.Line
}
