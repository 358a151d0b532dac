package handlers

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// tableHandlers returns a full set of handlers that do nothing when called
// for events a test does not deliver; tests replace the one they exercise.
func tableHandlers() Handlers {
	none := func(context.Context, Event) error { return nil }
	return Handlers{
		Installations: &Installations{}, Roles: &Roles{}, Review: &ReviewGate{}, Releases: &Releases{},
		Buttons: &DeployButtons{}, Comments: &Comments{}, Unhandled: none,
	}
}

// tableRouter routes through the route table, as the App does.
func tableRouter(t *testing.T, h Handlers) *Router {
	t.Helper()
	r := NewRouter(nil)
	if err := Register(r, h); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRouteTable(t *testing.T) {
	r := tableRouter(t, tableHandlers())
	want := []string{
		"check_run.requested_action", "check_run.rerequested",
		"check_suite.requested", "check_suite.rerequested",
		"deployment", "deployment_protection_rule", "deployment_status.created",
		"installation", "installation_repositories", "issue_comment.created",
		"member.added", "member.edited", "member.removed",
		"membership.added", "membership.removed",
		"organization.member_added", "organization.member_invited", "organization.member_removed",
		"pull_request.converted_to_draft", "pull_request.edited", "pull_request.opened",
		"pull_request.ready_for_review", "pull_request.reopened", "pull_request.synchronize",
		"pull_request_review.dismissed", "pull_request_review.edited", "pull_request_review.submitted",
		"push",
		"team.added_to_repository", "team.deleted", "team.edited", "team.removed_from_repository",
	}
	if got := r.Routes(); !slices.Equal(got, want) {
		t.Fatalf("routes\n got %v\nwant %v", got, want)
	}
	// One handler a route: no correctness hangs on registration order.
	for key, hs := range r.routes {
		if len(hs) != 1 {
			t.Errorf("route %s has %d handlers, want 1", key, len(hs))
		}
	}
}

func TestRegisterRefusesAMissingHandler(t *testing.T) {
	for name, unset := range map[string]func(*Handlers){
		"installations":        func(h *Handlers) { h.Installations = nil },
		"roles":                func(h *Handlers) { h.Roles = nil },
		"review gate":          func(h *Handlers) { h.Review = nil },
		"releases":             func(h *Handlers) { h.Releases = nil },
		"deploy check buttons": func(h *Handlers) { h.Buttons = nil },
		"comment commands":     func(h *Handlers) { h.Comments = nil },
		"unhandled events":     func(h *Handlers) { h.Unhandled = nil },
	} {
		h := tableHandlers()
		unset(&h)
		r := NewRouter(nil)
		if err := Register(r, h); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: err %v, want one naming it", name, err)
		}
		if len(r.Routes()) != 0 {
			t.Errorf("without %s: routes %v registered, want none", name, r.Routes())
		}
	}
}

// verdictLog keeps verdicts in memory and logs each store call in order.
type verdictLog struct {
	calls    []string
	verdicts map[string]store.CommitVerdict
}

func (v *verdictLog) SaveCheckRun(context.Context, string, string, string, int64, time.Time) error {
	return nil
}

func (v *verdictLog) CheckRun(context.Context, string, string, string) (int64, error) {
	return 0, store.ErrNotFound
}

func (v *verdictLog) SaveReviewResult(context.Context, store.ReviewResult) error { return nil }

func (v *verdictLog) ReviewResultFor(context.Context, string, int, string) (store.ReviewResult, error) {
	return store.ReviewResult{}, store.ErrNotFound
}

func (v *verdictLog) SaveVerdicts(_ context.Context, vs ...store.CommitVerdict) error {
	for _, c := range vs {
		v.calls = append(v.calls, "save verdict "+c.SHA)
		v.verdicts[c.SHA] = c
	}
	return nil
}

func (v *verdictLog) Verdict(_ context.Context, _, sha string) (store.CommitVerdict, error) {
	v.calls = append(v.calls, "read verdict "+sha)
	c, ok := v.verdicts[sha]
	if !ok {
		return c, store.ErrNotFound
	}
	return c, nil
}

func (v *verdictLog) NextReleaseID(context.Context, string) (int64, error) { return 1, nil }

// releaseLog is an engine that keeps the releases started.
type releaseLog struct{ st pipeline.State }

func (e *releaseLog) Apply(context.Context, pipeline.Key, func(pipeline.Pipeline, *pipeline.State) error) (pipeline.Result, error) {
	return pipeline.Result{}, errors.New("not expected")
}

func (e *releaseLog) Reconfigure(context.Context, pipeline.Key, func(pipeline.Pipeline) pipeline.Pipeline) (pipeline.Result, error) {
	return pipeline.Result{}, nil
}

func (e *releaseLog) ApplyWith(_ context.Context, _ pipeline.Key, p pipeline.Pipeline, op func(pipeline.Pipeline, *pipeline.State) error) (pipeline.Result, error) {
	return pipeline.Result{}, op(p, &e.st)
}

// A push to the deployment branch records its commits' verdicts before it
// starts the release that reads them: the release lists the unreviewed
// commit the same push brought.
func TestPushRecordsVerdictsBeforeStartingReleases(t *testing.T) {
	const branchMain = "pipelines:\n  app:\n    branch: main\n    stages:\n      - {name: prod, targets: [eu], bake: 0s}\n"
	st, engine := pushThroughTable(t, branchMain, "main")
	if want := []string{"save verdict " + pushedSHA, "read verdict " + pushedSHA}; !slices.Equal(st.calls, want) {
		t.Fatalf("store calls %v, want %v", st.calls, want)
	}
	if len(engine.st.Releases) != 1 || len(engine.st.Releases[0].Unreviewed) != 1 ||
		!strings.HasPrefix(engine.st.Releases[0].Unreviewed[0], pushedSHA[:7]) {
		t.Fatalf("releases %+v, want one listing %s as unreviewed", engine.st.Releases, pushedSHA[:7])
	}
}

// A pipeline without branch: releases from the repository's default branch,
// as the README promises, and from no other.
func TestPipelineWithoutBranchReleasesFromTheDefaultBranch(t *testing.T) {
	const noBranch = "pipelines:\n  app:\n    stages:\n      - {name: prod, targets: [eu], bake: 0s}\n"
	for _, tc := range []struct {
		pushedTo string
		releases int
	}{{"main", 1}, {"feature", 0}} {
		t.Run(tc.pushedTo, func(t *testing.T) {
			_, engine := pushThroughTable(t, noBranch, tc.pushedTo)
			if got := len(engine.st.Releases); got != tc.releases {
				t.Fatalf("a push to %s made %d releases, want %d", tc.pushedTo, got, tc.releases)
			}
		})
	}
}

const pushedSHA = "c0ffee0000000000000000000000000000000001"

// pushThroughTable delivers a push of pushedSHA to branch of acme/api, whose
// default branch is main and whose pipelines file is pipelines, through the
// route table.
func pushThroughTable(t *testing.T, pipelines, branch string) (*verdictLog, *releaseLog) {
	t.Helper()
	fake := githubfake.New(t)
	fake.AddRepo("acme", "api", githubfake.RepoOpts{DefaultBranch: "main"})
	fake.SetFile("acme/api", pushedSHA, githubapp.RepoConfigPath, pipelines)
	client := github.NewClient(nil).WithAuthToken(fake.Token(githubfake.DefaultInstallationID))
	base, err := url.Parse(fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	client.BaseURL = base
	clients := func(int64) (*github.Client, error) { return client, nil }

	st := &verdictLog{verdicts: map[string]store.CommitVerdict{}}
	engine := &releaseLog{}
	clk := clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	h := tableHandlers()
	h.Review = &ReviewGate{GitHub: clients, Store: st, Clock: clk}
	h.Releases = &Releases{GitHub: clients, Engine: engine, Store: st, Clock: clk}
	r := tableRouter(t, h)

	payload := `{"ref":"refs/heads/` + branch + `","before":"c0ffee0000000000000000000000000000000000","after":"` + pushedSHA + `",` +
		`"repository":{"name":"api","full_name":"acme/api","default_branch":"main","owner":{"login":"acme"}},` +
		`"installation":{"id":1},"commits":[{"id":"` + pushedSHA + `","author":{"username":"alice"},"added":["main.go"]}]}`
	if err := r.Handle(context.Background(), store.Delivery{ID: "d-1", Event: "push", Payload: []byte(payload)}); err != nil {
		t.Fatal(err)
	}
	return st, engine
}
