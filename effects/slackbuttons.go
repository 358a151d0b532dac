package effects

import (
	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
)

// slackButtons are the release message's buttons: the check run's
// (deployActions), plus Reject beside Approve, which Slack has room for.
func slackButtons(st pipeline.State, r *pipeline.Release, v notify.ReleaseView) []string {
	if v.Status == "released" && runsAnywhere(st, r) {
		return []string{notify.SlackActionRollback}
	}
	if v.Status != "in progress" {
		return nil
	}
	var out []string
	for _, s := range v.Stages {
		if s.Status == "approval" {
			out = append(out, notify.SlackActionApprove, notify.SlackActionReject)
			break
		}
	}
	if st.Paused != "" || len(st.Holds) > 0 {
		out = append(out, notify.SlackActionResume)
	} else {
		out = append(out, notify.SlackActionPause)
	}
	if runsAnywhere(st, r) {
		out = append(out, notify.SlackActionRollback)
	}
	return out
}
