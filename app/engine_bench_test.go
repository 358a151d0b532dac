package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/engine"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
)

// BenchmarkEngineWake measures one wake-up of one pipeline that touches one
// release (load the state, plan, save it with its effects) while 10,000
// releases are in flight across 1,000 repositories: ten per pipeline, each
// baking in its own stage of a ten-stage pipeline. Bakes end a minute
// apart, and the clock stands where only the first has ended, so each
// wake-up moves exactly one release (the one in the last stage finishes).
func BenchmarkEngineWake(b *testing.B) {
	const repos, stages = 1000, 10
	ctx := context.Background()
	db, err := OpenStore(ctx, filepath.Join(b.TempDir(), "wavegate.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	p := pipeline.Pipeline{Name: "app", DeployTimeout: 30 * time.Minute}
	for i := range stages {
		p.Stages = append(p.Stages, pipeline.Stage{Name: fmt.Sprintf("s%d", i), Targets: []string{fmt.Sprintf("t%d", i)}, Bake: time.Hour, Parallel: 1})
	}
	es := &effects.EngineStore{DB: db}
	for r := range repos {
		key := pipeline.Key{Repository: fmt.Sprintf("acme/svc-%d", r), Pipeline: "app"}
		if err := es.Save(ctx, key, 0, p, pipeline.Result{State: inFlight(p, start), WakeAt: start.Add(time.Hour)}, start); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runner := &engine.Runner{Store: es, Clock: clk}
	key := pipeline.Key{Repository: "acme/svc-500", Pipeline: "app"}
	st, _, _ := es.Load(ctx, key)
	if n := len(st.Releases); n != stages {
		b.Fatalf("%d releases in flight in one pipeline, want %d", n, stages)
	}
	b.ResetTimer()
	clk.Set(start.Add(time.Hour + time.Minute))
	if b.N > repos {
		b.Fatalf("-benchtime at most %dx: each wake-up needs a pipeline not yet woken", repos)
	}
	for i := 0; b.Loop(); i++ {
		key.Repository = "acme/svc-" + strconv.Itoa(i%repos)
		res, err := runner.Apply(ctx, key, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Decisions) == 0 {
			b.Fatal("the wake-up moved no release")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	b.ReportMetric(rssMiB(), "rss-MiB")
}

// inFlight is a state with one release baking in each stage: release k
// (newest last) is in stage stages-k.
func inFlight(p pipeline.Pipeline, now time.Time) pipeline.State {
	var st pipeline.State
	n := len(p.Stages)
	for k := 1; k <= n; k++ {
		r := &pipeline.Release{ID: int64(k), SHA: fmt.Sprintf("%040d", k), Status: pipeline.ReleaseActive,
			Authors: []string{"octo"}, Pulls: []int{k}, CreatedAt: now, Stages: map[string]*pipeline.StageRun{}}
		at := n - k
		for i := 0; i <= at; i++ {
			s := p.Stages[i]
			run := &pipeline.StageRun{Status: pipeline.StageSucceeded, StartedAt: now, FinishedAt: now, Targets: map[string]*pipeline.TargetRun{}}
			tr := &pipeline.TargetRun{Phase: pipeline.PhaseDone, Since: now,
				Step: &pipeline.Step{Key: pipeline.StepKey(r.ID, s.Name, s.Targets[0], "full", "deploy"), Action: "deploy", Variant: "full",
					SHA: r.SHA, StartedAt: now, Outcome: pipeline.OutcomeSuccess, FinishedAt: now}}
			if i == at {
				run.Status = pipeline.StageActive
				tr.Phase, tr.BakeUntil = pipeline.PhaseFullBaking, now.Add(time.Hour+time.Duration(k)*time.Minute)
			}
			run.Targets[s.Targets[0]] = tr
			r.Stages[s.Name] = run
		}
		st.Releases = append(st.Releases, r)
	}
	return st
}

func rssMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return -1
}
