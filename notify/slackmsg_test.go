package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestSlackReleaseKeepsToSlackLimits(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		stages, targets int
		more            bool
	}{{3, 3, false}, {40, 20, false}, {400, 30, true}} {
		t.Run(fmt.Sprintf("%dx%d", tc.stages, tc.targets), func(t *testing.T) {
			v := bigView(tc.stages, tc.targets)
			v.Blocked = []BlockedView{{Stage: "stage-1", Kind: "alarm", Reason: "p99 latency", Help: "/deploy override alarm"}}
			m, err := r.SlackRelease(v)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Blocks) > slackMaxBlocks {
				t.Fatalf("%d blocks; Slack takes %d", len(m.Blocks), slackMaxBlocks)
			}
			var all strings.Builder
			for _, b := range m.Blocks {
				text := b.(*slack.SectionBlock).Text.Text
				if len(text) > slackMaxSectionText {
					t.Errorf("a section of %d characters; Slack takes %d", len(text), slackMaxSectionText)
				}
				all.WriteString(text + "\n")
			}
			if got := strings.Contains(all.String(), "more stages"); got != tc.more {
				t.Errorf("says more stages = %v, want %v", got, tc.more)
			}
			if !strings.Contains(all.String(), "*Waiting:*") {
				t.Error("what holds the release is cut off")
			}
		})
	}
}

func TestSlackEventsTellEachChangeOnce(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	alarm := BlockedView{Stage: "prod", Target: "eu", Kind: "alarm", Reason: "<!here> error rate", Help: `/deploy override alarm --stage prod --reason "..."`}
	window := BlockedView{Stage: "prod", Target: "eu", Kind: "window", Reason: "outside Mon-Fri 09:00-16:00"}
	base := ReleaseView{ReleaseID: 4, Stages: []StageView{{Name: "prod", Status: "active"}}}
	with := func(f func(*ReleaseView)) ReleaseView {
		v := base
		v.Stages = append([]StageView(nil), base.Stages...)
		f(&v)
		return v
	}
	steps := []struct {
		name string
		view ReleaseView
		want []string // event keys, in order
	}{
		{"nothing yet", base, nil},
		{"an alarm holds it", with(func(v *ReleaseView) { v.Blocked = []BlockedView{alarm} }), []string{"blocked/prod/eu/alarm#1"}},
		{"still held: nothing new", with(func(v *ReleaseView) { v.Blocked = []BlockedView{alarm} }), nil},
		{"the alarm clears, a window holds", with(func(v *ReleaseView) { v.Blocked = []BlockedView{window} }),
			[]string{"unblocked/prod/eu/alarm#1", "blocked/prod/eu/window#1"}},
		{"the alarm again, overridden", with(func(v *ReleaseView) {
			v.Blocked = []BlockedView{window, alarm}
			v.Overrides = []OverrideView{{Kind: "alarm", Stage: "prod", By: "sre", Reason: "known noise"}}
		}), []string{"blocked/prod/eu/alarm#2", "override/0#1"}},
		{"approval, then nothing held", with(func(v *ReleaseView) {
			v.Overrides = []OverrideView{{Kind: "alarm", Stage: "prod", By: "sre", Reason: "known noise"}}
			v.Stages = []StageView{{Name: "prod", Status: "succeeded"}, {Name: "sign-off", Status: "approval"}}
		}), []string{"unblocked/prod/eu/window#1", "unblocked/prod/eu/alarm#2", "approval/sign-off#1"}},
		{"failed and rolling back", with(func(v *ReleaseView) {
			v.Overrides = []OverrideView{{Kind: "alarm", Stage: "prod", By: "sre", Reason: "known noise"}}
			v.Stages = []StageView{{Name: "prod", Status: "failed", Detail: "the full deploy failed",
				Targets: []TargetView{{Name: "eu", State: "rolling back"}}}}
		}), []string{"failed/prod#1"}},
		{"the rollback fails", with(func(v *ReleaseView) {
			v.Overrides = []OverrideView{{Kind: "alarm", Stage: "prod", By: "sre", Reason: "known noise"}}
			v.Stages = []StageView{{Name: "prod", Status: "failed", Detail: "the full deploy failed",
				Targets: []TargetView{{Name: "eu", State: "rollback failed"}}}}
		}), []string{"rollback-failed/prod/eu#1"}},
	}
	var seen SlackSeen
	for _, step := range steps {
		events, next := SlackEvents(seen, step.view)
		var keys []string
		for _, ev := range events {
			keys = append(keys, ev.Key)
			text, err := r.SlackEventText(ev)
			if err != nil || text == "" {
				t.Errorf("%s: event %s renders %q, %v", step.name, ev.Key, text, err)
			}
			if strings.Contains(text, "<!here>") {
				t.Errorf("%s: unescaped mention in %q", step.name, text)
			}
		}
		if strings.Join(keys, " ") != strings.Join(step.want, " ") {
			t.Errorf("%s: events %v, want %v", step.name, keys, step.want)
		}
		// What is stored is what comes back.
		data, err := json.Marshal(next)
		if err != nil {
			t.Fatal(err)
		}
		seen = SlackSeen{}
		if err := json.Unmarshal(data, &seen); err != nil {
			t.Fatal(err)
		}
		// The same view again owes nothing.
		if again, _ := SlackEvents(seen, step.view); len(again) != 0 {
			t.Errorf("%s: told twice: %+v", step.name, again)
		}
	}
}

func TestSlackEventTextsGolden(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	hostile := "<!channel> <@U123> *bold* `code` & <https://evil|click>"
	var out strings.Builder
	for _, ev := range []SlackEvent{
		{Kind: "blocked", Stage: "prod", Target: "eu", Blocker: "alarm", Reason: hostile, Help: `/deploy override alarm --stage prod --reason "..."`},
		{Kind: "unblocked", Stage: "prod", Target: "eu", Blocker: "alarm"},
		{Kind: "override", Stage: "prod", Blocker: "window", By: "sre-lead", Reason: hostile},
		{Kind: "override", Blocker: "alarm", By: "sre-lead", Reason: "flaky", Lasts: "until 10:00 UTC"},
		{Kind: "rollback", ReleaseID: 7, Stage: "prod", Reason: hostile},
		{Kind: "rollback-failed", Stage: "prod", Target: "eu"},
		{Kind: "failed", ReleaseID: 7, Stage: "sign-off", Reason: "rejected by lead: " + hostile},
		{Kind: "approval", ReleaseID: 7, Stage: "sign-off"},
	} {
		text, err := r.SlackEventText(ev)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s: %s\n", ev.Kind, text)
	}
	golden(t, "slack-events.txt", out.String())
}
