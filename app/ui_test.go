package app

import (
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
)

// The pages read what the engine stored, and only with --ui-public.
func TestUIPages(t *testing.T) {
	for _, public := range []bool{false, true} {
		fake := newFake(t)
		cfg := newConfig(t, fake, true)
		cfg.UIPublic = public
		clk := clock.NewFake(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
		r := start(t, cfg, fake, clk, nil)
		key := pipeline.Key{Repository: "acme/api", Pipeline: "prod"}
		p := pipeline.Pipeline{Name: "prod", Stages: []pipeline.Stage{{Name: "beta", Targets: []string{"beta-1"}}}}
		st := pipeline.State{Paused: "paused by @lead: incident 42"}
		if err := pipeline.AddRelease(&st, pipeline.Release{ID: 3, SHA: "c0ffee123456", Pulls: []int{7}, Authors: []string{"octo"}, CreatedAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := r.app.engine.Save(t.Context(), key, 0, p, pipeline.Result{State: st}, clk.Now()); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			path       string
			code       int
			want, also string
		}{
			{"/ui/", 200, `href="/ui/acme/api/prod/releases/3"`, "paused by @lead: incident 42"},
			{"/ui/acme/api/prod/releases/3", 200, "Release #3", "c0ffee1"},
			{"/ui/acme/api/prod/releases/4", 404, "holds no release #4", "All pipelines"},
		} {
			code, body := r.get(tc.path)
			if !public {
				// No OAuth client: nobody can sign in, so the pages are off.
				tc.code, tc.want, tc.also = 404, "--ui-public", "--github-client-id"
			}
			if code != tc.code || !strings.Contains(body, tc.want) || !strings.Contains(body, tc.also) {
				t.Errorf("public %t: GET %s = %d, want %d with %q and %q:\n%s", public, tc.path, code, tc.code, tc.want, tc.also, body)
			}
		}
		r.stop()
	}
}
