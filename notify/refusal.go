package notify

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// RefusalView is a press of a deploy check run's button that was refused,
// shown on the check run because a button press has no reply of its own.
type RefusalView struct {
	By     string // the login that pressed
	Action string // the button's label, "Resume"
	At     time.Time
	// Reason says why, for the person refused, in the command runner's
	// words: "resume needs maintain on acme/api; @alice has read".
	Reason string
}

// Who is "@alice" for a login GitHub would accept, and a neutral word
// otherwise, so that the note can never mention anyone else.
func (v RefusalView) Who() string {
	if validLogin(v.By) {
		return "@" + v.By
	}
	return "someone"
}

// Time is the press's time of day in UTC, "14:02 UTC": the note is current
// until the release's next change replaces it.
func (v RefusalView) Time() string { return v.At.UTC().Format("15:04 UTC") }

// Why is the reason without its closing full stop, which the note adds.
func (v RefusalView) Why() string { return strings.TrimRight(strings.TrimSpace(v.Reason), ".") }

// DeployCheckSummary is a release's deploy check summary (body, as
// ReleaseComment renders it) with the note of a refused press above it, cut
// to a check run's limit.
func (r *Renderer) DeployCheckSummary(body string, refused *RefusalView) (string, error) {
	if refused == nil {
		return body, nil
	}
	var b bytes.Buffer
	if err := r.refusal.Execute(&b, refused); err != nil {
		return "", fmt.Errorf("render the refusal of %s by %s: %w", refused.Action, refused.By, err)
	}
	b.WriteString("\n")
	b.WriteString(body)
	return truncate(b.String(), CheckRunTextLimit), nil
}
