package notify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// The buttons end the message, carry what they act on, and still leave the
// message within Slack's block limit, however long the pipeline.
func TestSlackReleaseButtons(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, stages := range []int{3, 400} {
		v := bigView(stages, 20)
		v.Repository, v.Pipeline, v.ReleaseID = "acme/api", "app", 3
		v.Blocked = []BlockedView{{Stage: "stage-1", Kind: "approval", Reason: "waits for approval"}}
		m, err := r.SlackReleaseWithButtons(v, []string{SlackActionApprove, SlackActionReject, SlackActionPause, SlackActionRollback})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Blocks) > slackMaxBlocks {
			t.Fatalf("%d stages: %d blocks; Slack takes %d", stages, len(m.Blocks), slackMaxBlocks)
		}
		ab, ok := m.Blocks[len(m.Blocks)-1].(*slack.ActionBlock)
		if !ok {
			t.Fatalf("%d stages: last block %T, want the buttons", stages, m.Blocks[len(m.Blocks)-1])
		}
		var got []string
		for _, e := range ab.Elements.ElementSet {
			b := e.(*slack.ButtonBlockElement)
			if b.Value != "acme/api|app|3" {
				t.Errorf("button %s carries %q", b.ActionID, b.Value)
			}
			got = append(got, b.ActionID+"="+b.Text.Text)
		}
		want := "wavegate_approve=Approve wavegate_reject=Reject wavegate_pause=Pause wavegate_rollback=Roll back"
		if strings.Join(got, " ") != want {
			t.Fatalf("buttons %q, want %q", strings.Join(got, " "), want)
		}
		if _, err := json.Marshal(m.Blocks); err != nil {
			t.Fatal(err)
		}
	}
	m, err := r.SlackRelease(bigView(3, 3))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range m.Blocks {
		if _, ok := b.(*slack.ActionBlock); ok {
			t.Fatal("buttons on a message rendered without them")
		}
	}
}

func TestParseSlackButtonValue(t *testing.T) {
	repo, pl, id, err := ParseSlackButtonValue(SlackButtonValue("acme/api", "app", 12))
	if err != nil || repo != "acme/api" || pl != "app" || id != 12 {
		t.Fatalf("round trip: %q %q %d %v", repo, pl, id, err)
	}
	for _, bad := range []string{"", "acme/api|app", "acme/api|app|0", "acme/api|app|-3", "acme/api|app|3x", "acme/api|app|03",
		"acme|app|3", "acme/api||3", "acme/api|app|3|4", "acme/api|app| 3"} {
		if _, _, _, err := ParseSlackButtonValue(bad); err == nil {
			t.Errorf("ParseSlackButtonValue(%q) accepted", bad)
		}
	}
}
