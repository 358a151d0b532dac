package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

const enginePipelines = `pipelines:
  app:
    branch: release
    deployer: {command: deploy}
    stages:
      - {name: alpha, targets: [alpha], bake: 10m}
      - {name: beta, targets: [beta-1, beta-2], parallel: 2, onebox: true, bake: 10m}
`

// deployScript records each invocation, one line per step.
const deployScript = `#!/bin/sh
echo "$WAVEGATE_ACTION $WAVEGATE_TARGET $WAVEGATE_VARIANT $WAVEGATE_SHA" >> "$(dirname "$0")/invocations.log"
`

type engineWorld struct {
	t       *testing.T
	fake    *githubfake.Server
	cfg     Config
	clock   *clock.Fake
	workDir string
}

func newEngineWorld(t *testing.T) *engineWorld {
	fake := newFake(t)
	fake.AddCommit("acme/api", githubfake.Commit{SHA: "c1"})
	fake.SetFile("acme/api", "c1", ".github/wavegate.yml", enginePipelines)
	cfg, workDir := deployingConfig(t, fake, deployScript)
	return &engineWorld{t: t, fake: fake, cfg: cfg, clock: clock.NewFake(time.Now()), workDir: workDir}
}

func (w *engineWorld) invocations() []string {
	data, err := os.ReadFile(filepath.Join(w.workDir, "invocations.log"))
	if err != nil && !os.IsNotExist(err) {
		w.t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if lines[0] == "" {
		return nil
	}
	return lines
}

func TestEngineEndToEndWithRestarts(t *testing.T) {
	w := newEngineWorld(t)
	performed := make(chan store.Effect, 100)
	released := make(chan struct{}, 10)
	boot := func() *running {
		return startWith(t, w.cfg, w.fake, w.clock, Options{WorkDir: w.workDir,
			OnEffectDone: func(e store.Effect, err error) {
				if err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("effect %s: %v", e.Key, err)
				}
				if e.Kind == effects.KindDeploy {
					performed <- e
				}
			},
			OnEngineSaved: func(_ pipeline.Key, res pipeline.Result) {
				for _, d := range res.Decisions {
					if d.What == "released" {
						released <- struct{}{}
					}
				}
			},
		})
	}
	r := boot()
	installAcme(t, r.app.Store(), w.clock.Now())
	push := `{"ref":"refs/heads/release","before":"c0","after":"c1","installation":{"id":1},` +
		`"repository":{"id":9,"name":"api","full_name":"acme/api","default_branch":"main","owner":{"login":"acme"}},` +
		`"commits":[{"id":"c1","modified":["src/checkout.go"],"author":{"username":"octo"}}]}`
	if code := r.deliver("push", "p-1", push); code != http.StatusAccepted {
		t.Fatalf("push: %d", code)
	}
	if o := r.next(); o.State != store.DeliveryDone {
		t.Fatalf("push ended %s: %v", o.State, o.Err)
	}
	t0 := w.clock.Now()
	waitDeploys := func(n int) {
		t.Helper()
		for range n {
			select {
			case e := <-performed:
				if e.Kind != effects.KindDeploy {
					t.Fatalf("unexpected effect %s", e.Key)
				}
			case <-time.After(10 * time.Second): // deadlock guard only
				t.Fatalf("waiting for %d deploys; log %v", n, w.invocations())
			}
		}
	}
	// Every step boundary is followed by a stop and a fresh process.
	restart := func() {
		r.stop()
		r = boot()
	}
	waitDeploys(1) // alpha
	restart()
	bake := func(at time.Duration) {
		t.Helper()
		w.clock.BlockUntilTimerAt(t0.Add(at))
		w.clock.Set(t0.Add(at))
	}
	bake(10 * time.Minute)
	waitDeploys(2) // beta one-boxes, in parallel
	restart()
	bake(20 * time.Minute)
	waitDeploys(2) // beta full
	restart()
	bake(30 * time.Minute)
	select {
	case <-released:
	case <-time.After(10 * time.Second): // deadlock guard only
		t.Fatal("the release did not finish after its last bake")
	}
	es := &effects.EngineStore{DB: r.app.store}
	st, _, err := es.Load(t.Context(), pipeline.Key{Repository: "acme/api", Pipeline: "app"})
	if err != nil || len(st.Releases) != 1 || st.Releases[0].Status != pipeline.ReleaseSucceeded {
		t.Fatalf("release after the last bake: %v %v", stateDigest(st), err)
	}
	if inv := st.Targets["beta-2"]; inv == nil || inv.LastGood != "c1" {
		t.Fatalf("beta-2 inventory %+v", inv)
	}
	got := w.invocations()
	slices.Sort(got[1:3])
	slices.Sort(got[3:5])
	want := []string{
		"deploy alpha full c1",
		"deploy beta-1 onebox c1", "deploy beta-2 onebox c1",
		"deploy beta-1 full c1", "deploy beta-2 full c1",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("invocations:\n%s\nwant each step exactly once:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The release is in the history, with its lead time from the push, and
	// in the metrics of the process that released it.
	hist, err := r.app.store.ReleaseHistory(t.Context(), t0)
	if err != nil || len(hist) != 1 || hist[0].Kind != store.HistoryReleased || hist[0].SHA != "c1" ||
		hist[0].At.Sub(hist[0].StartedAt) != 30*time.Minute {
		t.Fatalf("release history %+v %v", hist, err)
	}
	_, metrics := r.get("/metrics")
	for _, want := range []string{
		`wavegate_releases_total{outcome="released",pipeline="app",repository="acme/api"} 1`,
		`wavegate_release_lead_time_seconds_sum{pipeline="app",repository="acme/api"} 1800`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func stateDigest(st pipeline.State) []string {
	var out []string
	for _, r := range st.Releases {
		out = append(out, string(r.Status)+" "+r.Reason)
		for name, run := range r.Stages {
			out = append(out, " "+name+" "+string(run.Status))
			for tname, tr := range run.Targets {
				out = append(out, "  "+tname+" "+string(tr.Phase)+" until "+tr.BakeUntil.String())
			}
		}
	}
	return out
}

// A crash after a command deploy finished and its result was recorded, but
// before the engine heard of it: the next process applies the recorded
// result and never runs the command again.
func TestCommandResultRecordedBeforeACrashIsAppliedNotRerun(t *testing.T) {
	w := newEngineWorld(t)
	ctx := t.Context()
	// Build a process without serving it, so nothing runs behind the test.
	a, err := New(ctx, w.cfg, Options{Clock: w.clock, WorkDir: w.workDir})
	if err != nil {
		t.Fatal(err)
	}
	ps := parsePipelines(t, enginePipelines)
	key := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
	if _, err := a.runner.ApplyWith(ctx, key, ps[0], func(_ pipeline.Pipeline, st *pipeline.State) error {
		return pipeline.AddRelease(st, pipeline.Release{ID: 1, SHA: "c1", CreatedAt: w.clock.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	claimed := claimDeploys(t, a, w.clock.Now())
	// The command ran (elsewhere) and succeeded; its result is recorded...
	if err := a.store.SetEffectResult(ctx, claimed[0].Seq, []byte(`{"outcome":"succeeded"}`)); err != nil {
		t.Fatal(err)
	}
	// ...and the process dies before applying it.
	if err := a.store.Close(); err != nil {
		t.Fatal(err)
	}

	saved := make(chan pipeline.Result, 10)
	r := startWith(t, w.cfg, w.fake, w.clock, Options{WorkDir: w.workDir,
		OnEngineSaved: func(_ pipeline.Key, res pipeline.Result) { saved <- res }})
	select {
	case res := <-saved:
		tr := res.State.Releases[0].Stages["alpha"].Targets["alpha"]
		if tr.Phase != pipeline.PhaseFullBaking {
			t.Fatalf("alpha after restart: %s, want baking on the recorded success", tr.Phase)
		}
	case <-time.After(10 * time.Second): // deadlock guard only
		t.Fatal("the recorded result was not applied after the restart")
	}
	r.stop()
	if got := w.invocations(); len(got) != 0 {
		t.Fatalf("the command ran again after the crash: %v", got)
	}
}

func parsePipelines(t *testing.T, yml string) []pipeline.Pipeline {
	t.Helper()
	f, diags := config.Parse(".github/wavegate.yml", []byte(yml))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ps, diags := pipeline.Parse(".github/wavegate.yml", f.Pipelines)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return ps
}

func TestGitHubDeployerEndToEnd(t *testing.T) {
	fake := newFake(t)
	fake.AddCommit("acme/api", githubfake.Commit{SHA: "c1"})
	fake.SetFile("acme/api", "c1", ".github/wavegate.yml", `pipelines:
  app:
    branch: release
    stages:
      - {name: alpha, targets: [alpha], bake: 10m}
`)
	clk := clock.NewFake(time.Now())
	cfg := newConfig(t, fake, true)
	performed := make(chan store.Effect, 10)
	saved := make(chan pipeline.Result, 10)
	r := startWith(t, cfg, fake, clk, Options{
		OnEffectDone:  func(e store.Effect, err error) { performed <- e },
		OnEngineSaved: func(_ pipeline.Key, res pipeline.Result) { saved <- res },
	})
	installAcme(t, r.app.Store(), clk.Now())
	repo := `"installation":{"id":1},"repository":{"id":9,"name":"api","full_name":"acme/api","default_branch":"main","owner":{"login":"acme"}}`
	r.deliver("push", "p-1", `{"ref":"refs/heads/release","before":"c0","after":"c1",`+repo+`,"commits":[{"id":"c1","modified":["a.go"]}]}`)
	if o := r.next(); o.State != store.DeliveryDone {
		t.Fatalf("push: %s %v", o.State, o.Err)
	}
	<-saved // the release
	select {
	case <-performed:
	case <-time.After(10 * time.Second): // deadlock guard only
		t.Fatal("no deployment created")
	}
	ds := fake.Deployments("acme/api")
	if len(ds) != 1 {
		t.Fatalf("%d deployments, want 1", len(ds))
	}
	d := ds[0]
	if d.Ref != "c1" || d.Environment != "alpha" || d.AutoMerge || d.RequiredContexts == nil || len(d.RequiredContexts) != 0 || d.ProductionEnvironment {
		t.Fatalf("deployment %+v", d)
	}

	// A status for a deployment Wavegate did not create is recorded and ignored.
	r.deliver("deployment_status", "s-0", `{"action":"created","deployment_status":{"state":"success"},`+
		`"deployment":{"id":999,"payload":{"other":"tool"}},`+repo+`}`)
	if o := r.next(); o.State != store.DeliveryDone {
		t.Fatalf("foreign status: %s %v", o.State, o.Err)
	}
	// Wavegate's own deployment succeeds: the target bakes.
	r.deliver("deployment_status", "s-1", fmt.Sprintf(`{"action":"created","deployment_status":{"state":"success","description":"deployed"},`+
		`"deployment":{"id":%d,"payload":%s},%s}`, d.ID, d.Payload, repo))
	if o := r.next(); o.State != store.DeliveryDone {
		t.Fatalf("status: %s %v", o.State, o.Err)
	}
	res := <-saved
	if tr := res.State.Releases[0].Stages["alpha"].Targets["alpha"]; tr.Phase != pipeline.PhaseFullBaking {
		t.Fatalf("alpha after the success status: %s", tr.Phase)
	}
	if n := fake.Count(http.MethodPost, "/repos/{owner}/{repo}/deployments"); n != 1 {
		t.Fatalf("%d deployments created, want 1", n)
	}
	// Wavegate marked it in progress, linking to the release's report.
	statuses := fake.Deployments("acme/api")[0].Statuses
	if len(statuses) < 1 || statuses[0].State != "in_progress" ||
		!regexp.MustCompile(`/acme/api/(runs/\d+|commit/c1/checks)$`).MatchString(statuses[0].LogURL) {
		t.Fatalf("statuses %+v, want in_progress with a log_url to the check run first", statuses)
	}
}

// A crash after GitHub created the deployment but before Wavegate recorded
// it: the next process finds the deployment by its idempotency key instead
// of creating a second one.
func TestGitHubDeploymentCreatedBeforeACrashIsNotRepeated(t *testing.T) {
	fake := newFake(t)
	clk := clock.NewFake(time.Now())
	cfg := newConfig(t, fake, true)
	ctx := t.Context()
	a, err := New(ctx, cfg, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	installAcme(t, a.store, clk.Now())
	fake.AddCommit("acme/api", githubfake.Commit{SHA: "c1"})
	ps := parsePipelines(t, "pipelines:\n  app:\n    branch: release\n    stages:\n      - {name: alpha, targets: [alpha], bake: 10m}\n")
	if _, err := a.runner.ApplyWith(ctx, pipeline.Key{Repository: "acme/api", Pipeline: "app"}, ps[0], func(_ pipeline.Pipeline, st *pipeline.State) error {
		return pipeline.AddRelease(st, pipeline.Release{ID: 1, SHA: "c1", CreatedAt: clk.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	claimed := claimDeploys(t, a, clk.Now())
	// The effect is performed: GitHub creates the deployment...
	if _, err := a.deploys.Perform(ctx, claimed[0]); err != nil {
		t.Fatal(err)
	}
	// ...and the process dies before recording that.
	if err := a.store.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan store.Effect, 10)
	r := startWith(t, cfg, fake, clk, Options{OnEffectDone: func(e store.Effect, err error) {
		if e.Kind != effects.KindDeploy {
			return
		}
		if err != nil {
			t.Errorf("effect %s: %v", e.Key, err)
		}
		done <- e
	}})
	select {
	case e := <-done:
		if e.Attempts != 2 {
			t.Fatalf("the effect was performed on attempt %d, want the retry (2)", e.Attempts)
		}
	case <-time.After(10 * time.Second): // deadlock guard only
		t.Fatal("the effect was not taken again after the restart")
	}
	r.stop()
	if n := len(fake.Deployments("acme/api")); n != 1 {
		t.Fatalf("%d deployments after the crash, want 1", n)
	}
	if n := fake.Count(http.MethodPost, "/repos/{owner}/{repo}/deployments"); n != 1 {
		t.Fatalf("%d deployments created, want 1", n)
	}
}

// One push can start releases in several pipelines, each selected by the
// paths it touches; a push whose file has errors starts none, and what is
// in flight carries on with the configuration it has.
func TestPushesStartReleasesPerPipeline(t *testing.T) {
	fake := newFake(t)
	const twoPipelines = `pipelines:
  app:
    branch: release
    paths: ["**", "!infra/**"]
    deployer: {command: deploy}
    stages:
      - {name: app-alpha, targets: [app-alpha], bake: 10m}
  infra:
    branch: release
    paths: ["infra/**"]
    deployer: {command: deploy}
    stages:
      - {name: infra-alpha, targets: [infra-alpha], bake: 10m}
`
	fake.AddCommit("acme/api", githubfake.Commit{SHA: "c1"})
	fake.SetFile("acme/api", "c1", ".github/wavegate.yml", twoPipelines)
	fake.AddCommit("acme/api", githubfake.Commit{SHA: "c2"})
	fake.SetFile("acme/api", "c2", ".github/wavegate.yml", "pipelines:\n  app:\n    stages: []\n")
	clk := clock.NewFake(time.Now())
	saved := make(chan pipeline.Key, 20)
	cfg, workDir := deployingConfig(t, fake, deployScript)
	r := startWith(t, cfg, fake, clk, Options{WorkDir: workDir,
		OnEngineSaved: func(k pipeline.Key, _ pipeline.Result) { saved <- k }})
	repo := `"installation":{"id":1},"repository":{"id":9,"name":"api","full_name":"acme/api","default_branch":"main","owner":{"login":"acme"}}`
	r.deliver("push", "p-1", `{"ref":"refs/heads/release","before":"c0","after":"c1",`+repo+
		`,"commits":[{"id":"c1","modified":["src/a.go","infra/main.tf"]}]}`)
	if o := r.next(); o.State != store.DeliveryDone {
		t.Fatalf("push: %s %v", o.State, o.Err)
	}
	got := map[string]bool{}
	for len(got) < 2 {
		select {
		case k := <-saved:
			got[k.Pipeline] = true
		case <-time.After(10 * time.Second): // deadlock guard only
			t.Fatalf("releases started in %v, want app and infra", got)
		}
	}
	// A push of a broken file starts nothing and leaves app's release be.
	r.deliver("push", "p-2", `{"ref":"refs/heads/release","before":"c1","after":"c2",`+repo+
		`,"commits":[{"id":"c2","modified":[".github/wavegate.yml"]}]}`)
	if o := r.next(); o.State != store.DeliveryDone {
		t.Fatalf("push of a broken file: %s %v", o.State, o.Err)
	}
	es := &effects.EngineStore{DB: r.app.store}
	st, _, err := es.Load(t.Context(), pipeline.Key{Repository: "acme/api", Pipeline: "app"})
	if err != nil || len(st.Releases) != 1 || st.Releases[0].SHA != "c1" {
		t.Fatalf("app's releases after the broken push: %v %v", stateDigest(st), err)
	}
	p, err := es.Pipeline(t.Context(), pipeline.Key{Repository: "acme/api", Pipeline: "app"})
	if err != nil || len(p.Stages) != 1 || p.Stages[0].Name != "app-alpha" {
		t.Fatalf("configuration in force after the broken push: %+v %v", p.Stages, err)
	}
}

// claimDeploys claims the outbox's effects as a process about to crash
// would, and returns the one deploy among them (reports are claimed too).
func claimDeploys(t *testing.T, a *App, now time.Time) []store.Effect {
	t.Helper()
	claimed, err := a.store.ClaimEffects(t.Context(), now, 10, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var deploys []store.Effect
	for _, e := range claimed {
		if e.Kind == effects.KindDeploy {
			deploys = append(deploys, e)
		}
	}
	if len(deploys) != 1 {
		t.Fatalf("claimed %d deploys, want alpha's", len(deploys))
	}
	return deploys
}

// installAcme records installation 1 of acme covering acme/api, as the
// installation event would.
func installAcme(t *testing.T, st store.Store, now time.Time) {
	t.Helper()
	if err := st.UpsertInstallation(t.Context(), store.Installation{ID: 1, Account: "acme", UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetRepositories(t.Context(), 1, []store.Repository{{ID: 9, FullName: "acme/api"}}); err != nil {
		t.Fatal(err)
	}
}

// writeScript writes an executable deploy.sh into dir.
// deployingConfig is a configuration for fake whose deployer "deploy" runs
// script, written to the returned work directory as ./deploy.sh.
func deployingConfig(t *testing.T, fake *githubfake.Server, script string) (Config, string) {
	t.Helper()
	workDir, deployers := deployWorkDir(t)
	writeScript(t, workDir, script)
	cfg := newConfig(t, fake, true)
	cfg.Deployers = deployers
	return cfg, workDir
}

func writeScript(t *testing.T, dir, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "deploy.sh"), []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// closedWindow holds every deploy until it opens: a blocker that only the
// runner's inputs know.
type closedWindow struct{ opens time.Time }

func (w closedWindow) Blockers(_ *pipeline.Release, _ pipeline.Stage, _ string, now time.Time) []pipeline.Blocker {
	if now.Before(w.opens) {
		return []pipeline.Blocker{{Kind: pipeline.BlockerWindow, Reason: "outside the deploy window until 09:00", Until: w.opens}}
	}
	return nil
}

// A report says what holds the release as the runner decided it, with the
// blockers the runner was given, read from the saved state: planning again
// without them would report nothing holding it.
func TestReportReadsWhatHoldsTheReleaseFromTheSavedState(t *testing.T) {
	fake := newFake(t)
	fake.AddPull("acme/api", githubfake.Pull{Number: 7, Title: "Faster checkout", User: "octo", HeadSHA: "h7"})
	clk := clock.NewFake(time.Now())
	performed := make(chan store.Effect, 100)
	cfg, workDir := deployingConfig(t, fake, deployScript)
	opens := clk.Now().Add(time.Hour)
	r := startWith(t, cfg, fake, clk, Options{WorkDir: workDir,
		OnEffectDone: func(e store.Effect, err error) {
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("effect %s: %v", e.Key, err)
			}
			performed <- e
		}}, func(a *App) {
		a.runner.Inputs = func(context.Context, pipeline.Key, pipeline.Pipeline, pipeline.State) (pipeline.Inputs, error) {
			return pipeline.Inputs{Blockers: closedWindow{opens: opens}}, nil
		}
	})
	installAcme(t, r.app.Store(), clk.Now())
	ps := parsePipelines(t, enginePipelines)
	key := pipeline.Key{Repository: "acme/api", Pipeline: "app"}
	if _, err := r.app.runner.ApplyWith(t.Context(), key, ps[0], func(_ pipeline.Pipeline, st *pipeline.State) error {
		return pipeline.AddRelease(st, pipeline.Release{ID: 1, SHA: "c1", Pulls: []int{7}, CreatedAt: clk.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	for reported := false; !reported; {
		select {
		case e := <-performed:
			reported = e.Kind == effects.KindReport
		case <-time.After(10 * time.Second): // deadlock guard only
			t.Fatal("waiting for the release's report")
		}
	}
	live := fake.Comments("acme/api", 7)
	if len(live) != 1 || !strings.Contains(live[0].Body, "alpha/alpha: outside the deploy window until 09:00") {
		t.Fatalf("comments on #7: %+v; want one saying the window holds alpha", live)
	}
}
