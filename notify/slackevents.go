package notify

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SlackEvent is one thread reply under a release's Slack message.
type SlackEvent struct {
	// Key identifies the reply, so that it is posted once: the same view
	// and the same record of what was told give the same keys.
	Key       string
	Kind      string // blocked | unblocked | override | rollback | rollback-failed | failed | approval
	ReleaseID int64
	Stage     string
	Target    string
	Blocker   string
	Reason    string
	Help      string
	By        string
	// Lasts is an override's "until 14:05 UTC"; "" when it lasts for the
	// release.
	Lasts string
}

// SlackSeen is what a release's thread has told so far, stored with its
// message.
type SlackSeen struct {
	// Told counts the replies of each kind and subject, so that a blocker
	// that comes back is told again under a new key.
	Told map[string]int `json:"told,omitempty"`
	// Blocked are the blockers the thread last said hold the release.
	Blocked []string `json:"blocked,omitempty"`
	// Pending are the replies being posted: after a crash their keys are
	// looked for in the thread before any is posted again.
	Pending []string `json:"pending,omitempty"`
}

// SlackEvents says which replies the thread owes for view v, given what it
// has told, and what it will have told once they are posted.
func SlackEvents(seen SlackSeen, v ReleaseView) ([]SlackEvent, SlackSeen) {
	next := SlackSeen{Told: map[string]int{}}
	for k, n := range seen.Told {
		next.Told[k] = n
	}
	var out []SlackEvent
	tell := func(subject string, ev SlackEvent) {
		n := next.Told[subject] + 1
		next.Told[subject] = n
		ev.Key, ev.ReleaseID = subject+"#"+strconv.Itoa(n), v.ReleaseID
		out = append(out, ev)
	}
	once := func(subject string, ev SlackEvent) {
		if next.Told[subject] == 0 {
			tell(subject, ev)
		}
	}
	current := map[string]BlockedView{}
	for _, b := range v.Blocked {
		k := blockedKey(b)
		if _, dup := current[k]; !dup {
			current[k] = b
			next.Blocked = append(next.Blocked, k)
		}
	}
	for _, k := range seen.Blocked {
		if _, still := current[k]; !still {
			stage, target, kind := splitBlockedKey(k)
			tell("unblocked/"+k, SlackEvent{Kind: "unblocked", Stage: stage, Target: target, Blocker: kind})
		}
	}
	for _, k := range next.Blocked {
		if !slices.Contains(seen.Blocked, k) {
			b := current[k]
			tell("blocked/"+k, SlackEvent{Kind: "blocked", Stage: b.Stage, Target: b.Target, Blocker: b.Kind, Reason: b.Reason, Help: b.Help})
		}
	}
	for i, o := range v.Overrides {
		once(fmt.Sprintf("override/%d", i), SlackEvent{Kind: "override", Stage: o.Stage, Target: o.Target, Blocker: o.Kind, By: o.By, Reason: o.Reason, Lasts: o.Lasts})
	}
	for _, s := range v.Stages {
		switch s.Status {
		case "approval":
			once("approval/"+s.Name, SlackEvent{Kind: "approval", Stage: s.Name})
		case "failed":
			kind := "failed"
			if slices.ContainsFunc(s.Targets, func(t TargetView) bool { return rollingBack(t.State) }) {
				kind = "rollback"
			}
			once("failed/"+s.Name, SlackEvent{Kind: kind, Stage: s.Name, Reason: s.Detail})
		}
		for _, t := range s.Targets {
			if t.State == "rollback failed" {
				once("rollback-failed/"+s.Name+"/"+t.Name, SlackEvent{Kind: "rollback-failed", Stage: s.Name, Target: t.Name})
			}
		}
	}
	if len(next.Told) == 0 {
		next.Told = nil
	}
	return out, next
}

func rollingBack(state string) bool {
	switch state {
	case "rolling back", "rolled back", "rollback failed":
		return true
	}
	return false
}

// blockedKey names a blocker on a deploy; stage, target and blocker names
// cannot hold "/".
func blockedKey(b BlockedView) string { return b.Stage + "/" + b.Target + "/" + b.Kind }

func splitBlockedKey(k string) (stage, target, kind string) {
	parts := strings.SplitN(k, "/", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return parts[0], parts[1], parts[2]
}

// SlackEventText renders a thread reply.
func (r *Renderer) SlackEventText(ev SlackEvent) (string, error) {
	s, err := r.slackText("event.mrkdwn.tmpl", ev)
	return cutRunes(strings.TrimSpace(s), slackMaxSectionText), err
}
