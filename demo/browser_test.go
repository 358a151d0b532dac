package demo

import (
	"context"
	"testing"
	"time"

	chromium "github.com/wavegate/wavegate/internal/browser"
	"github.com/wavegate/wavegate/pipeline"
)

// The demo in Chromium, as a newcomer meets it: sign in as @you, watch the
// overview while the story plays (it updates by itself: the page is never
// reloaded), see release 3 rolled back and wave-1 held, then resume the
// stage from release 3's page and see the hold go.
func TestBrowserDemo(t *testing.T) {
	chromium.Chromium(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	d, err := Start(ctx, Options{Listen: "127.0.0.1:0", Speed: 6000, ApproveAfter: time.Hour, ResumeAfter: -1, Out: &out})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	// Registered before Chromium starts, so it runs after Chromium stops.
	t.Cleanup(func() {
		cancel()
		<-d.Done()
		if err := d.Err(); err != nil {
			t.Errorf("the demo stopped badly: %v", err)
		}
	})
	b := chromium.Start(t)
	b.Viewport(1280, 800, false)

	if code := b.Navigate(d.URL()); code != 401 {
		t.Fatalf("signed out, the pipelines page answered %d, want 401", code)
	}
	b.Follow(`main a[href^="/ui/signin"]`)
	b.WaitText("body", "Sign in as you")
	if code := b.Follow(`form:has(input[name="login"][value="you"]) button`); code != 200 {
		t.Fatalf("signing in as you answered %d", code)
	}
	b.WaitText("header", "Sign out (you)")
	loaded := chromium.Eval[float64](b, "performance.timeOrigin")

	select {
	case <-d.Finished():
	case <-d.Done():
		t.Fatalf("the demo stopped before its story finished: %v\n%s", d.Err(), out.String())
	case <-time.After(90 * time.Second): // a deadlock guard, not a wait for time to pass
		t.Fatalf("the story did not finish:\n%s", out.String())
	}
	// The overview, open since sign-in, shows the end of the story.
	b.WaitText("main", alarmTarget+": rolled back")
	if again := chromium.Eval[float64](b, "performance.timeOrigin"); again != loaded {
		t.Errorf("the overview was reloaded; it should have updated in place")
	}

	b.Navigate(d.URL() + "demo/shop/" + pipelineName + "/releases/3")
	b.WaitText("h1", "Release #3")
	b.WaitText("main", "rolled back")
	b.WaitVisible(`dd a[href^="` + d.url + `/demo/slack#archives/"]`) // its Slack thread, simulated
	b.Click(`details:has(input[name="verb"][value="resume"]) summary`)
	if code := b.Follow(`form:has(input[name="verb"][value="resume"]) button[type="submit"]`); code != 200 {
		t.Fatalf("pressing Resume answered %d", code)
	}
	b.WaitText("main", "Done: ")
	if err := d.until(ctx, func(st pipeline.State) bool { return st.Holds[alarmStage] == nil }); err != nil {
		t.Fatalf("after Resume on the page: %v", err)
	}
}
