package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
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

const (
	orgFreeze   = "windows:\n  freeze: [{from: 2026-12-20, to: 2027-01-04, reason: Holiday freeze}]\nalarms:\n  match: {team: platform}\n"
	repoOneWave = "pipelines:\n  app:\n    branch: main\n    stages:\n      - {name: wave-1, targets: [eu], bake: 0s}\n"
)

// orgEngine records what the release handlers ask of the engine.
type orgEngine struct {
	started      []pipeline.Pipeline
	reconfigured map[pipeline.Key]pipeline.Pipeline
	current      pipeline.Pipeline // what Reconfigure changes
}

func (e *orgEngine) Apply(context.Context, pipeline.Key, func(pipeline.Pipeline, *pipeline.State) error) (pipeline.Result, error) {
	return pipeline.Result{}, nil
}

func (e *orgEngine) ApplyWith(_ context.Context, _ pipeline.Key, p pipeline.Pipeline, _ func(pipeline.Pipeline, *pipeline.State) error) (pipeline.Result, error) {
	e.started = append(e.started, p)
	return pipeline.Result{}, nil
}

func (e *orgEngine) Reconfigure(_ context.Context, key pipeline.Key, change func(pipeline.Pipeline) pipeline.Pipeline) (pipeline.Result, error) {
	if e.reconfigured == nil {
		e.reconfigured = map[pipeline.Key]pipeline.Pipeline{}
	}
	e.reconfigured[key] = change(e.current)
	return pipeline.Result{}, nil
}

type keyIndex []store.EngineKey

func (k keyIndex) EngineKeys(context.Context, string) ([]store.EngineKey, error) { return k, nil }

func orgReleases(t *testing.T, orgFile string) (*Releases, *orgEngine) {
	t.Helper()
	fake := githubfake.New(t)
	fake.AddRepo("acme", "api", githubfake.RepoOpts{DefaultBranch: "main"})
	fake.AddRepo("acme", ".github", githubfake.RepoOpts{DefaultBranch: "main"})
	fake.SetFile("acme/api", pushedSHA, githubapp.RepoConfigPath, repoOneWave)
	if orgFile != "" {
		fake.SetFile("acme/.github", "main", githubapp.OrgConfigPath, orgFile)
	}
	client := github.NewClient(nil).WithAuthToken(fake.Token(githubfake.DefaultInstallationID))
	base, err := url.Parse(fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	client.BaseURL = base
	engine := &orgEngine{}
	return &Releases{
		GitHub: func(int64) (*github.Client, error) { return client, nil }, Engine: engine,
		Store: &verdictLog{verdicts: map[string]store.CommitVerdict{}}, Clock: clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)),
		Logger: slog.New(slog.DiscardHandler),
		Index:  keyIndex{{Repository: "acme/api", Pipeline: "app"}, {Repository: "Acme/web", Pipeline: "site"}, {Repository: "other/api", Pipeline: "app"}},
	}, engine
}

func pushEvent(t *testing.T, repo, file string) Event {
	t.Helper()
	owner, name, _ := strings.Cut(repo, "/")
	var e github.PushEvent
	doc := `{"ref":"refs/heads/main","after":"` + pushedSHA + `","repository":{"name":"` + name + `","default_branch":"main","owner":{"login":"` + owner + `"}},` +
		`"installation":{"id":1},"commits":[{"id":"` + pushedSHA + `","added":["` + file + `"]}]}`
	if err := json.Unmarshal([]byte(doc), &e); err != nil {
		t.Fatal(err)
	}
	return Event{Delivery: store.Delivery{ID: "d-1", Event: "push"}, Payload: &e}
}

func freezeReasons(ws *pipeline.Windows) []string {
	var out []string
	for ; ws != nil; ws = ws.Org {
		for _, f := range ws.Freezes {
			out = append(out, f.Reason)
		}
	}
	return out
}

// A release starts with the organization's windows merged into its
// pipeline; an organization file with errors starts none.
func TestPushMergesTheOrganizationsWindows(t *testing.T) {
	h, engine := orgReleases(t, orgFreeze)
	if err := h.onPush(t.Context(), pushEvent(t, "acme/api", "main.go")); err != nil {
		t.Fatal(err)
	}
	if len(engine.started) != 1 || !slices.Equal(freezeReasons(engine.started[0].Windows), []string{"Holiday freeze"}) {
		t.Fatalf("started %d releases, windows %+v", len(engine.started), engine.started)
	}
	if oa := engine.started[0].OrgAlarms; oa == nil || !pipeline.MatchAll(oa.Match, map[string]string{"team": "platform"}) {
		t.Fatalf("organization alarms not merged: %+v", oa)
	}

	h, engine = orgReleases(t, "windows:\n  freeze: [{from: 2026-12-20, to: 2027-01-04}]\n") // no reason
	if err := h.onPush(t.Context(), pushEvent(t, "acme/api", "main.go")); err != nil {
		t.Fatal(err)
	}
	if len(engine.started) != 0 {
		t.Fatalf("a release started with an organization file in error: %+v", engine.started)
	}
}

// A push changing the organization's file re-applies its windows to every
// pipeline of the organization, replacing the ones merged before, and to
// no other organization's.
func TestOrgFilePushReappliesWindows(t *testing.T) {
	h, engine := orgReleases(t, orgFreeze)
	old, _ := orgWindowsOf(t, "windows:\n  freeze: [{from: 2026-11-01, to: 2026-11-02, reason: Old freeze}]\n")
	engine.current = pipeline.Pipeline{Name: "app", Windows: pipeline.MergeWindows(old, nil)}

	if err := h.onPush(t.Context(), pushEvent(t, "acme/.github", "README.md")); err != nil {
		t.Fatal(err)
	}
	if len(engine.reconfigured) != 0 {
		t.Fatalf("a push not touching wavegate.yml re-applied windows: %v", engine.reconfigured)
	}
	if err := h.onPush(t.Context(), pushEvent(t, "acme/.github", githubapp.OrgConfigPath)); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k, p := range engine.reconfigured {
		keys = append(keys, k.Repository+"/"+k.Pipeline)
		if got := freezeReasons(p.Windows); !slices.Equal(got, []string{"Holiday freeze"}) {
			t.Errorf("%v: freezes %q, want the new organization's only", k, got)
		}
		if p.OrgAlarms == nil {
			t.Errorf("%v: organization alarms not re-applied", k)
		}
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"Acme/web/site", "acme/api/app"}) {
		t.Fatalf("re-applied to %q", keys)
	}
}

func orgWindowsOf(t *testing.T, src string) (*pipeline.Windows, error) {
	t.Helper()
	h, _ := orgReleases(t, src)
	client, _ := h.GitHub(1)
	org, err := readOrgPolicy(t.Context(), client, "acme")
	if err != nil || org.windows == nil {
		t.Fatalf("org policy %+v: %v", org, err)
	}
	return org.windows, err
}
