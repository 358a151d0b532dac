package commandrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// fakeEngine keeps states in memory and applies operations as the engine
// runner does: on a copy, saved only when the operation succeeds.
type fakeEngine struct {
	mu      sync.Mutex
	docs    map[pipeline.Key][]byte
	applies []pipeline.Key
	fail    error // returned by Apply, as a store that cannot save
}

type doc struct {
	P  pipeline.Pipeline
	St pipeline.State
}

func (e *fakeEngine) put(t *testing.T, p pipeline.Pipeline, repo string, st pipeline.State) {
	t.Helper()
	data, err := json.Marshal(doc{p, st})
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.docs == nil {
		e.docs = map[pipeline.Key][]byte{}
	}
	e.docs[pipeline.Key{Repository: repo, Pipeline: p.Name}] = data
}

func (e *fakeEngine) LoadWithPipeline(_ context.Context, key pipeline.Key) (pipeline.Pipeline, pipeline.State, int64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var d doc
	data, ok := e.docs[key]
	if !ok {
		return pipeline.Pipeline{}, pipeline.State{}, 0, nil
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return pipeline.Pipeline{}, pipeline.State{}, 0, err
	}
	return d.P, d.St, 1, nil
}

func (e *fakeEngine) state(t *testing.T, key pipeline.Key) pipeline.State {
	t.Helper()
	_, st, _, err := e.LoadWithPipeline(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (e *fakeEngine) Apply(ctx context.Context, key pipeline.Key, op func(pipeline.Pipeline, *pipeline.State) error) (pipeline.Result, error) {
	if e.fail != nil {
		return pipeline.Result{}, e.fail
	}
	p, st, _, err := e.LoadWithPipeline(ctx, key)
	if err != nil {
		return pipeline.Result{}, err
	}
	if err := op(p, &st); err != nil {
		return pipeline.Result{}, err
	}
	data, err := json.Marshal(doc{p, st})
	if err != nil {
		return pipeline.Result{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.docs[key] = data
	e.applies = append(e.applies, key)
	return pipeline.Result{State: st}, nil
}

func (e *fakeEngine) EngineKeys(_ context.Context, repo string) ([]store.EngineKey, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var keys []store.EngineKey
	for k := range e.docs {
		if repo == "" || strings.EqualFold(k.Repository, repo) {
			keys = append(keys, store.EngineKey(k))
		}
	}
	slices.SortFunc(keys, func(a, b store.EngineKey) int {
		return strings.Compare(a.Repository+"/"+a.Pipeline, b.Repository+"/"+b.Pipeline)
	})
	return keys, nil
}

type fakeAudit struct {
	mu      sync.Mutex
	entries []store.AuditEntry
	fail    error
}

func (a *fakeAudit) RecordCommand(_ context.Context, e store.AuditEntry) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return false, a.fail
	}
	for _, old := range a.entries {
		if old.RequestID == e.RequestID {
			return false, nil
		}
	}
	a.entries = append(a.entries, e)
	return true, nil
}

func (a *fakeAudit) AuditLog(context.Context, store.AuditFilter) ([]store.AuditEntry, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.entries), nil
}

func (a *fakeAudit) only(t *testing.T) store.AuditEntry {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.entries) != 1 {
		t.Fatalf("audit entries = %d, want 1: %+v", len(a.entries), a.entries)
	}
	return a.entries[0]
}

type linkCode struct {
	team, user string
	expires    time.Time
}

type fakeLinks struct {
	codes map[string]linkCode
	links map[string]store.SlackLink
}

func (l *fakeLinks) AddLinkCode(_ context.Context, hash, team, user string, expires time.Time) error {
	if c, ok := l.codes[hash]; ok && (c.team != team || c.user != user) {
		return store.ErrConflict
	}
	l.codes[hash] = linkCode{team, user, expires}
	return nil
}

func (l *fakeLinks) RedeemLinkCode(_ context.Context, hash, login string, now time.Time) (store.SlackLink, error) {
	c, ok := l.codes[hash]
	if !ok || !now.Before(c.expires) {
		return store.SlackLink{}, store.ErrNotFound
	}
	delete(l.codes, hash)
	link := store.SlackLink{SlackTeam: c.team, SlackUser: c.user, Login: login, LinkedAt: now}
	l.links[c.team+"/"+c.user] = link
	return link, nil
}

func (l *fakeLinks) SlackLink(_ context.Context, team, user string) (store.SlackLink, error) {
	link, ok := l.links[team+"/"+user]
	if !ok {
		return store.SlackLink{}, store.ErrNotFound
	}
	return link, nil
}

func (l *fakeLinks) Unlink(_ context.Context, team, user string) (bool, error) {
	_, ok := l.links[team+"/"+user]
	delete(l.links, team+"/"+user)
	return ok, nil
}

type fakeInstallations struct {
	inst  map[int64]store.Installation
	repos map[int64][]store.Repository
}

func (f *fakeInstallations) Installation(_ context.Context, id int64) (store.Installation, error) {
	i, ok := f.inst[id]
	if !ok {
		return store.Installation{}, store.ErrNotFound
	}
	return i, nil
}

func (f *fakeInstallations) Repositories(_ context.Context, id int64) ([]store.Repository, error) {
	return f.repos[id], nil
}

func (f *fakeInstallations) InstallationForRepository(_ context.Context, name string) (int64, error) {
	for id, rs := range f.repos {
		for _, r := range rs {
			if strings.EqualFold(r.FullName, name) {
				return id, nil
			}
		}
	}
	return 0, store.ErrNotFound
}

type fakeRoles struct {
	roles  map[string]checks.Permission // login
	teams  map[string][]string          // "org/team" -> logins
	owners []string
	asked  []string
	fail   error
}

func (f *fakeRoles) Role(_ context.Context, _ int64, repo, login string) (checks.Permission, error) {
	f.asked = append(f.asked, "role "+repo+" "+login)
	return f.roles[login], f.fail
}

func (f *fakeRoles) TeamMember(_ context.Context, _ int64, org, team, login string) (bool, error) {
	f.asked = append(f.asked, "team "+org+"/"+team+" "+login)
	return slices.Contains(f.teams[org+"/"+team], login), nil
}

func (f *fakeRoles) OrgOwner(_ context.Context, _ int64, org, login string) (bool, error) {
	f.asked = append(f.asked, "owner "+org+" "+login)
	return slices.Contains(f.owners, login), nil
}

// authorizer records what it was asked and answers with allow.
type authorizer struct {
	allow   bool
	actor   commands.Actor
	subject commands.Subject
	calls   int
}

func (a *authorizer) decide(_ commands.Command, ac commands.Actor, s commands.Subject) commands.Decision {
	a.calls++
	a.actor, a.subject = ac, s
	if a.allow {
		return commands.Decision{Allowed: true}
	}
	return commands.Decision{Need: "maintain", Why: "needs maintain; has read"}
}

type harness struct {
	engine *fakeEngine
	audit  *fakeAudit
	links  *fakeLinks
	roles  *fakeRoles
	auth   *authorizer
	clock  *clock.Fake
	runner Runner
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// appPipeline: alpha, an approval by @acme/release-managers, wave-1.
func appPipeline(name, channel string) pipeline.Pipeline {
	return pipeline.Pipeline{Name: name, SlackChannel: channel, Stages: []pipeline.Stage{
		{Name: "alpha", Targets: []string{"alpha"}},
		{Name: "release-approval", Approval: &pipeline.Approval{Approvers: []string{"@acme/release-managers", "carol"}}},
		{Name: "wave-1", Targets: []string{"prod-a", "prod-b"}},
	}}
}

// waiting is a release waiting for approval, having deployed alpha.
func waiting(id int64, sha string, pulls ...int) *pipeline.Release {
	return &pipeline.Release{ID: id, SHA: sha, Authors: []string{"dave"}, Pulls: pulls, Status: pipeline.ReleaseActive,
		Stages: map[string]*pipeline.StageRun{
			"alpha":            {Status: pipeline.StageSucceeded, Targets: map[string]*pipeline.TargetRun{"alpha": {Phase: pipeline.PhaseDone, RollbackTo: "0000000"}}},
			"release-approval": {Status: pipeline.StageActive},
		}}
}

// inAlpha is a release deploying alpha.
func inAlpha(id int64, sha string, pulls ...int) *pipeline.Release {
	return &pipeline.Release{ID: id, SHA: sha, Authors: []string{"erin"}, Pulls: pulls, Status: pipeline.ReleaseActive,
		Stages: map[string]*pipeline.StageRun{
			"alpha": {Status: pipeline.StageActive, Targets: map[string]*pipeline.TargetRun{"alpha": {Phase: pipeline.PhaseFullDeploying, RollbackTo: "1111111aaaa"}}},
		}}
}

func newHarness(t *testing.T) *harness { return newHarnessWith(t, true) }

// newHarnessWith decides with commands.Authorize itself unless fakeAuth.
func newHarnessWith(t *testing.T, fakeAuth bool) *harness {
	t.Helper()
	h := &harness{
		engine: &fakeEngine{},
		audit:  &fakeAudit{},
		links:  &fakeLinks{codes: map[string]linkCode{}, links: map[string]store.SlackLink{}},
		roles: &fakeRoles{roles: map[string]checks.Permission{"alice": checks.PermissionMaintain, "bob": checks.PermissionRead},
			teams: map[string][]string{"acme/release-managers": {"alice"}}, owners: []string{"olga"}},
		auth:  &authorizer{allow: true},
		clock: clock.NewFake(t0),
	}
	h.engine.put(t, appPipeline("app", "#deploys-api"), "acme/api", pipeline.State{Releases: []*pipeline.Release{
		waiting(11, "1111111aaaa", 7), inAlpha(12, "2222222bbbb", 8)},
		Targets: map[string]*pipeline.Inventory{"alpha": {Running: "2222222bbbb", LastGood: "1111111aaaa"}}})
	insts := &fakeInstallations{
		inst:  map[int64]store.Installation{1: {ID: 1, Account: "acme", AccountType: "Organization"}},
		repos: map[int64][]store.Repository{1: {{FullName: "acme/api"}, {FullName: "acme/web"}}, 2: {{FullName: "other/app"}}},
	}
	decide := h.auth.decide
	if !fakeAuth {
		decide = nil
	}
	var err error
	h.runner, err = New(Options{
		Engine: h.engine, States: h.engine, Index: h.engine, Audit: h.audit, Links: h.links,
		Installations: insts, Roles: h.roles, Clock: h.clock,
		// Two draws alike, then another: what a collision test needs.
		Random: io.MultiReader(bytes.NewReader(bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7}, 4)),
			bytes.NewReader(bytes.Repeat([]byte{8, 9, 10, 11, 12, 13, 14, 15}, 64))), Authorize: decide,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// comment is a request from a PR comment on acme/api#pr by login.
func comment(id, login string, pr int, c commands.Command) Request {
	return Request{ID: id, Surface: store.SurfaceComment, Source: "https://github.com/acme/api/pull/1#issuecomment-1",
		InstallationID: 1, Repository: "acme/api", PullRequest: pr, Login: login, Command: c, At: t0}
}

func (h *harness) run(t *testing.T, req Request) Response {
	t.Helper()
	resp, err := h.runner.Run(context.Background(), req)
	if err != nil {
		t.Fatalf("Run(%s): %v", req.Command.Line, err)
	}
	return resp
}

var appKey = pipeline.Key{Repository: "acme/api", Pipeline: "app"}

func wantOutcome(t *testing.T, resp Response, want Outcome, contains ...string) {
	t.Helper()
	if resp.Outcome != want {
		t.Fatalf("outcome = %d, want %d; text: %s", resp.Outcome, want, resp.Text)
	}
	for _, c := range contains {
		if !strings.Contains(resp.Text, c) {
			t.Errorf("answer %q does not say %q", resp.Text, c)
		}
	}
}

var errBoom = errors.New("database is locked")
