package app

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	chromium "github.com/wavegate/wavegate/internal/browser"
	"github.com/wavegate/wavegate/pipeline"
)

// The pages in a real browser: Chromium renders what Wavegate serves under
// --ui-public from a world where the engine did the work (a release
// deployed to alpha, approved, then held at beta by a pause) beside a
// second repository's pipeline with releases in several stages.

// browserWorld is newCommandWorld serving the pages, with release 1 of
// acme/api app held at beta by a pause, and acme/web prod from webState.
func browserWorld(t *testing.T) (*commandWorld, *chromium.Browser) {
	t.Helper()
	chromium.Chromium(t) // a missing Chromium skips before the world is built
	w := newCommandWorldWith(t, nil, func(cfg *Config, opts *Options) {
		cfg.UIPublic = true
		// A deployer that says what it did: the release page shows it.
		writeScript(t, opts.WorkDir, deployScript+`echo "rolled out $WAVEGATE_SHA to $WAVEGATE_TARGET"`+"\n")
	})
	w.until("sign-off", func(st pipeline.State) bool { return stageStatus(st, "sign-off") == pipeline.StageActive })
	w.comment("c-1", "max", `/deploy pause --reason "incident 42: error rate up in alpha"`)
	w.comment("c-2", "lead", `/deploy approve --reason "dashboards clean"`)
	w.until("the paused hold at beta", func(st pipeline.State) bool {
		return slices.ContainsFunc(st.Held, func(h pipeline.Held) bool { return h.Stage == "beta" })
	})
	now := w.clk.Now()
	if err := w.r.app.engine.Save(t.Context(), pipeline.Key{Repository: "acme/web", Pipeline: "prod"}, 0,
		webPipeline(), pipeline.Result{State: webState(now)}, now); err != nil {
		t.Fatal(err)
	}
	// Started last, so stopped first: Chromium's spare connections would
	// hold the server's shutdown for its timeout.
	return w, chromium.Start(t)
}

func webPipeline() pipeline.Pipeline {
	return pipeline.Pipeline{Name: "prod", Stages: []pipeline.Stage{
		{Name: "canary", Targets: []string{"canary-1"}},
		{Name: "eu", Targets: []string{"eu-1", "eu-2"}},
		{Name: "us", Targets: []string{"us-1", "us-2"}},
	}}
}

// webState: release 41 is out everywhere; 42 passed canary and bakes in
// eu, held at us by the deploy window; 43 waits for its first stage.
func webState(now time.Time) pipeline.State {
	step := func(sha string, start, took time.Duration) *pipeline.Step {
		return &pipeline.Step{Action: "deploy", Variant: "full", SHA: sha, StartedAt: now.Add(-start),
			Outcome: "succeeded", FinishedAt: now.Add(-start + took)}
	}
	done := func(sha string, start time.Duration, targets ...string) *pipeline.StageRun {
		run := &pipeline.StageRun{Status: pipeline.StageSucceeded, StartedAt: now.Add(-start), FinishedAt: now.Add(-start + 40*time.Minute),
			Targets: map[string]*pipeline.TargetRun{}}
		for _, tg := range targets {
			run.Targets[tg] = &pipeline.TargetRun{Phase: pipeline.PhaseDone, Step: step(sha, start, 3*time.Minute)}
		}
		return run
	}
	const sha41, sha42, sha43 = "41aa5e0c9d2b7f18", "42bc0de19f3a6e27", "43cd1ef2a04b5d36"
	return pipeline.State{
		Releases: []*pipeline.Release{
			{ID: 41, SHA: sha41, Authors: []string{"ana"}, Pulls: []int{310}, CreatedAt: now.Add(-26 * time.Hour), Status: pipeline.ReleaseSucceeded,
				Stages: map[string]*pipeline.StageRun{
					"canary": done(sha41, 25*time.Hour, "canary-1"),
					"eu":     done(sha41, 24*time.Hour, "eu-1", "eu-2"),
					"us":     done(sha41, 23*time.Hour, "us-1", "us-2"),
				}},
			{ID: 42, SHA: sha42, Authors: []string{"bo", "cy"}, Pulls: []int{312, 315}, CreatedAt: now.Add(-3 * time.Hour), Status: pipeline.ReleaseActive,
				Stages: map[string]*pipeline.StageRun{
					"canary": done(sha42, 150*time.Minute, "canary-1"),
					"eu": {Status: pipeline.StageActive, StartedAt: now.Add(-40 * time.Minute), Targets: map[string]*pipeline.TargetRun{
						"eu-1": {Phase: pipeline.PhaseDone, Step: step(sha42, 40*time.Minute, 4*time.Minute)},
						"eu-2": {Phase: pipeline.PhaseFullBaking, BakeUntil: now.Add(22 * time.Minute), Step: step(sha42, 30*time.Minute, 4*time.Minute),
							Datapoints: pipeline.DatapointProgress{Count: 1240, Min: 3000, At: now}},
					}},
				}},
			{ID: 43, SHA: sha43, Authors: []string{"dee"}, Pulls: []int{318}, CreatedAt: now.Add(-20 * time.Minute), Status: pipeline.ReleaseActive},
		},
		Held: []pipeline.Held{{ReleaseID: 42, Stage: "us", Target: "us-1", Blockers: []pipeline.Blocker{
			{Kind: pipeline.BlockerWindow, Reason: "outside the deploy window (Mon–Thu 09:00–16:00 America/New_York)", Until: now.Add(17 * time.Hour)},
		}}},
	}
}

// stageRow is one row of a pipeline's stage table on the overview, each
// cell as shown.
type stageRow struct {
	Stage, Release, State, Targets string
}

// stageRows reads the stage table of the pipeline headed heading
// ("acme/api app") on the overview, and the text of its whole section.
func stageRows(t *testing.T, b *chromium.Browser, heading string) (map[string]stageRow, string) {
	t.Helper()
	type section struct {
		Found bool
		Text  string
		Rows  [][]string
	}
	got := chromium.Eval[section](b, fmt.Sprintf(`(() => {
  const clean = s => s.replace(/\s+/g, " ").trim();
  for (const s of document.querySelectorAll("section.pipeline")) {
    const h = s.querySelector("h2");
    if (!h || clean(h.innerText) !== %q) continue;
    const rows = [...s.querySelectorAll("table.stages tbody tr")].map(tr => [...tr.children].map(c => clean(c.innerText)));
    return {Found: true, Text: clean(s.innerText), Rows: rows};
  }
  return {Found: false, Text: "", Rows: []};
})()`, heading))
	if !got.Found {
		t.Fatalf("the overview has no pipeline headed %q:\n%s", heading, chromium.Eval[string](b, "document.body.innerText"))
	}
	rows := map[string]stageRow{}
	for _, r := range got.Rows {
		if len(r) != 4 {
			t.Fatalf("%s: a stage row of %d cells, want 4: %q", heading, len(r), r)
		}
		rows[r[0]] = stageRow{r[0], r[1], r[2], r[3]}
	}
	return rows, got.Text
}

// shows fails the test unless text holds every one of want.
func shows(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not show %q:\n%s", what, w, text)
		}
	}
}

// One world and one Chromium for the checks below, each a subtest:
// starting them takes longer than the checks.
func TestBrowserPages(t *testing.T) {
	w, b := browserWorld(t)
	t.Run("OverviewAndReleasePage", func(t *testing.T) { browserOverviewAndReleasePage(t, w, b.For(t)) })
	t.Run("FitAPhoneAndADesktop", func(t *testing.T) { browserPagesFit(t, w, b.For(t)) })
	t.Run("Screenshots", func(t *testing.T) { browserScreenshots(t, w, b.For(t)) })
}

// The overview shows each pipeline with its stages in order, the release
// in each and what blocks it; a release's link opens its page, with the
// stages, the deploy steps, the blockers and the approval.
func browserOverviewAndReleasePage(t *testing.T, w *commandWorld, b *chromium.Browser) {
	b.Viewport(1280, 800, false)
	if code := b.Navigate(w.r.url + "/ui/"); code != 200 {
		t.Fatalf("GET /ui/ = %d", code)
	}
	b.WaitText("h1", "Pipelines")

	api, apiText := stageRows(t, b, "acme/api app")
	for _, want := range []stageRow{
		{"alpha", "#1 c1 #7 @dave", "succeeded", "alpha: done"},
		{"sign-off", "#1 c1 #7 @dave", "succeeded approved by @lead", ""},
		{"beta", "#1 c1 #7 @dave", "active", "beta: waiting"},
	} {
		if got := api[want.Stage]; got != want {
			t.Errorf("acme/api app, stage %s shows %+v, want %+v", want.Stage, got, want)
		}
	}
	if len(api) != 3 {
		t.Errorf("acme/api app shows stages %v, want alpha, sign-off, beta", api)
	}
	shows(t, "acme/api app", apiText, "Blockers in force", "paused", "the whole pipeline", "paused by @max: incident 42: error rate up in alpha")

	web, webText := stageRows(t, b, "acme/web prod")
	for stage, want := range map[string][]string{
		"canary": {"#42 42bc0de", "succeeded", "canary-1: done"},
		"eu":     {"#42 42bc0de", "active", "eu-1: done", "eu-2: baking, 22m left (1,240 of 3,000 data points)"},
		"us":     {"#41 41aa5e0", "succeeded", "us-1: done us-2: done"},
	} {
		r := web[stage]
		shows(t, "acme/web prod, stage "+stage, r.Release+" | "+r.State+" | "+r.Targets, want...)
	}
	shows(t, "acme/web prod", webText, "window", "release #42 at us / us-1", "outside the deploy window", "Waiting for the first stage: #43 43cd1ef")

	if code := b.Follow(`a[href="/ui/acme/api/app/releases/1"]`); code != 200 {
		t.Fatalf("the link to release #1 answered %d", code)
	}
	b.WaitText("h1", "Release #1")
	page := chromium.Eval[string](b, "document.body.innerText")
	shows(t, "release #1's page", page,
		"acme/api", "in progress", "@dave",
		"paused by @max: incident 42: error rate up in alpha", "/deploy resume",
		"deploy full c1, succeeded", "output",
		// The timeline, from the engine's decision log and the audit log.
		"alpha: entered", "alpha / alpha: done", "sign-off: approved",
		`/deploy approve --reason "dashboards clean" (comment, accepted)`,
		"sign-off: approved by @lead at 14:02 UTC: dashboards clean")
	b.Click("details.output summary")
	b.WaitText("details.output pre", "rolled out c1 to alpha")
	stages := chromium.Eval[[]string](b, `[...document.querySelectorAll("section.stage h3")].map(h => h.innerText.replace(/\s+/g, " ").trim())`)
	if want := []string{"alpha succeeded", "sign-off succeeded", "beta active"}; !slices.Equal(stages, want) {
		t.Errorf("release #1's stages: %q, want %q", stages, want)
	}

	if code := b.Follow(`a[href="/ui/"]:not(header a)`); code != 200 {
		t.Fatalf("All pipelines answered %d", code)
	}
	if code := b.Follow(`a[href="/ui/acme/web/prod/releases/42"]`); code != 200 {
		t.Fatalf("the link to release #42 answered %d", code)
	}
	b.WaitText("h1", "Release #42")
	shows(t, "release #42's page", chromium.Eval[string](b, "document.body.innerText"),
		"outside the deploy window", "/deploy override window",
		"baking, 22m left", "1,240 of 3,000 data points",
		"deploy full 42bc0de, succeeded, started 13:32 UTC, finished 13:36 UTC")
}

// On a phone (390×844) and on a desktop (1280×800) nothing makes the page
// scroll sideways (wide tables fold into one column, or scroll in their
// box), and no column is squeezed so narrow that it breaks words.
func browserPagesFit(t *testing.T, w *commandWorld, b *chromium.Browser) {
	for _, vp := range []struct {
		name          string
		width, height int
		mobile        bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 800, false}} {
		b.Viewport(vp.width, vp.height, vp.mobile)
		for _, path := range []string{"/ui/", "/ui/acme/api/app/releases/1", "/ui/acme/web/prod/releases/42"} {
			if code := b.Navigate(w.r.url + path); code != 200 {
				t.Fatalf("GET %s = %d", path, code)
			}
			if width := chromium.Eval[int](b, "document.documentElement.clientWidth"); width != vp.width {
				t.Fatalf("%s: the page is laid out %dpx wide, want %d", vp.name, width, vp.width)
			}
			if over, wider := b.Overflow(); over != 0 {
				t.Errorf("%s %dpx: %s is %dpx wider than the screen; sticking out: %q", vp.name, vp.width, path, over, wider)
			}
			if split := b.SplitWords(); len(split) > 0 {
				t.Errorf("%s %dpx: %s breaks words across lines: %q", vp.name, vp.width, path, split)
			}
		}
	}
}

// The screenshots in docs/ come from this world: with
// WAVEGATE_UPDATE_SCREENSHOTS=1 the test writes docs/overview.png and
// docs/release.png; without, it takes them into a temporary directory,
// so the path is exercised everywhere.
func browserScreenshots(t *testing.T, w *commandWorld, b *chromium.Browser) {
	dir := t.TempDir()
	if os.Getenv("WAVEGATE_UPDATE_SCREENSHOTS") == "1" {
		dir = filepath.Join("..", "docs")
	}
	b.Viewport(1280, 800, false)
	for name, path := range map[string]string{"overview.png": "/ui/", "release.png": "/ui/acme/web/prod/releases/42"} {
		b.Navigate(w.r.url + path)
		b.WaitVisible("main h1")
		shot := b.Screenshot(filepath.Join(dir, name))
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("%s is not a PNG: %v", name, err)
		}
		if bd := img.Bounds(); bd.Dx() != 1280 || bd.Dy() < 400 {
			t.Errorf("%s is %d×%d, want 1280 wide and the whole page tall", name, bd.Dx(), bd.Dy())
		}
		// A blank or unstyled render has few colours; the page has text,
		// borders and a coloured blocker box.
		colours := map[[4]uint32]bool{}
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y && len(colours) < 50; y += 7 {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 7 {
				r, g, bl, a := img.At(x, y).RGBA()
				colours[[4]uint32{r, g, bl, a}] = true
			}
		}
		if len(colours) < 50 {
			t.Errorf("%s has only %d colours: a blank page?", name, len(colours))
		}
	}
}
