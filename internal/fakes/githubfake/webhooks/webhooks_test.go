package webhooks

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestExamples(t *testing.T) {
	examples, err := Examples()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for i, ex := range examples {
		count[ex.Event]++
		var payload map[string]any
		if err := json.Unmarshal(ex.Payload, &payload); err != nil {
			t.Errorf("%d (%s): %v", i, ex.Event, err)
			continue
		}
		if got, _ := payload["action"].(string); got != ex.Action {
			t.Errorf("%d (%s): Action %q, payload says %q", i, ex.Event, ex.Action, got)
		}
	}
	for _, event := range []string{
		"check_run", "check_suite", "deployment", "deployment_status", "installation",
		"installation_repositories", "issue_comment", "ping", "pull_request", "pull_request_review", "push",
	} {
		if count[event] == 0 {
			t.Errorf("no examples of %s", event)
		}
	}
	if !slices.IsSortedFunc(examples, func(a, b Example) int { return strings.Compare(a.Event, b.Event) }) {
		t.Error("examples not ordered by event")
	}
	t.Logf("%d examples: %v", len(examples), count)
	// The embedded file is the one SOURCE describes.
	source, err := os.ReadFile("examples/SOURCE")
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(source), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			fields[k] = v
		}
	}
	events := slices.Sorted(maps.Keys(count))
	if fields["payloads"] != strconv.Itoa(len(examples)) || fields["events"] != strings.Join(events, " ") {
		t.Errorf("SOURCE says payloads %q, events %q; the file holds %d payloads of %v",
			fields["payloads"], fields["events"], len(examples), events)
	}
}

// The events Wavegate acts on need the actions it acts on.
func TestExamplesCoverActions(t *testing.T) {
	examples, err := Examples()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, ex := range examples {
		have[ex.Event+"."+ex.Action] = true
	}
	for _, want := range []string{
		"check_run.requested_action", "check_run.rerequested", "check_suite.rerequested",
		"pull_request.opened", "pull_request.synchronize", "pull_request.closed",
		"pull_request_review.submitted", "issue_comment.created", "deployment.created",
		"deployment_status.created", "installation.created", "installation.deleted",
		"installation_repositories.added", "installation_repositories.removed", "push.", "ping.",
	} {
		if !have[want] {
			t.Errorf("no example of %s", want)
		}
	}
}

// Callers may edit a payload, e.g. to point it at their repository, without
// changing what the next caller sees.
func TestExamplesAreFresh(t *testing.T) {
	a, _ := Examples()
	a[0].Payload[0] = 'X'
	b, err := Examples()
	if err != nil {
		t.Fatal(err)
	}
	if b[0].Payload[0] != '{' {
		t.Error("Examples shares payload bytes between calls")
	}
}
