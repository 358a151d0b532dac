package app

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/githubfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

const enginePipelines = `pipelines:
  app:
    branch: release
    deployer: {command: ["./deploy.sh"]}
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
	w := &engineWorld{t: t, fake: fake, cfg: newConfig(t, fake, true), clock: clock.NewFake(time.Now()), workDir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(w.workDir, "deploy.sh"), []byte(deployScript), 0o755); err != nil {
		t.Fatal(err)
	}
	return w
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
	effects := make(chan store.Effect, 100)
	released := make(chan struct{}, 10)
	boot := func() *running {
		return startWith(t, w.cfg, w.fake, w.clock, Options{WorkDir: w.workDir,
			OnEffectDone: func(e store.Effect, err error) {
				if err != nil {
					t.Errorf("effect %s: %v", e.Key, err)
				}
				effects <- e
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
	if err := r.app.Store().UpsertInstallation(t.Context(), store.Installation{ID: 1, Account: "acme", UpdatedAt: w.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := r.app.Store().SetRepositories(t.Context(), 1, []store.Repository{{ID: 9, FullName: "acme/api"}}); err != nil {
		t.Fatal(err)
	}
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
			case e := <-effects:
				if e.Kind != effectDeploy {
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
	es := &engineStore{db: r.app.store}
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
