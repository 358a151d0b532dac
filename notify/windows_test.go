package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/pipeline"
)

// A deploy held by the pipeline's windows and freezes is reported in the
// PR comment (the check run's summary) and the Slack message with its
// reason, when it lifts and the override that lifts it.
func TestWindowAndFreezeBlockersAreReported(t *testing.T) {
	f, diags := config.Parse("wavegate.yml", []byte(`pipelines:
  app:
    alarms: {queries: {q: up}}
    windows:
      timezone: America/Los_Angeles
      allow: ["Mon-Thu 09:00-17:00", "Fri 09:00-12:00"]
      freeze: [{from: 2026-12-20, to: 2027-01-04, reason: Holiday freeze}]
    stages: [{name: wave-1, targets: [prod-1], bake: 1h, onebox: true}]
`))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ps, diags := pipeline.Parse("wavegate.yml", f.Pipelines)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := ps[0]
	var st pipeline.State
	now := time.Date(2026, 12, 22, 4, 0, 0, 0, time.UTC) // Mon Dec 21 20:00 PST
	if err := pipeline.AddRelease(&st, pipeline.Release{ID: 1, SHA: "def5678901234567890123456789012345678901", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	res := pipeline.Plan(p, st, pipeline.Inputs{}, now)
	v, err := BuildReleaseView("acme/api", p, res.State, 1, res.Held, now, Links{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	body, err := r.ReleaseComment(v)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := r.SlackRelease(v)
	if err != nil {
		t.Fatal(err)
	}
	// Compare the text as people read it: without Markdown's escapes and
	// the joiners that keep Slack from linking names.
	plainBody := strings.ReplaceAll(body, `\`, "")
	plainSlack := strings.ReplaceAll(msg.Blocks[len(msg.Blocks)-1].(*slack.SectionBlock).Text.Text, "\u200d", "")
	for _, want := range []string{
		"Holiday freeze, until Tue Jan 5 2027 00:00 PST (America/Los_Angeles)",
		"outside the deploy windows (Mon-Thu 09:00-17:00, Fri 09:00-12:00 America/Los_Angeles); opens Tue Jan 5 2027 09:00 PST",
		"`/deploy override freeze --reason ...`",
		"`/deploy override window --reason ...`",
	} {
		if !strings.Contains(plainBody, want) {
			t.Errorf("the comment does not say %q:\n%s", want, body)
		}
		if !strings.Contains(plainSlack, want) {
			t.Errorf("the Slack message does not say %q:\n%s", want, plainSlack)
		}
	}
}
