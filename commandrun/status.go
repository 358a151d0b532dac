package commandrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/wavegate/wavegate/pipeline"
)

// maxStatusReleases bounds the releases listed per pipeline: the answer
// is a glance, the release's own report has the details.
const maxStatusReleases = 5

// status says where each pipeline's releases are and what holds them, as
// the engine last saw it.
func (r *runner) status(_ context.Context, j *job, pipes []pipe) (string, error) {
	c := j.req.Command
	if c.Pipeline != "" {
		p, err := namedPipe(pipes, j.repo, c.Pipeline)
		if err != nil {
			return "", err
		}
		pipes = []pipe{p}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n", j.repo)
	if len(pipes) == 0 {
		b.WriteString("\nNo pipeline has made a release yet: the first push to a deployment branch does.\n")
		return b.String(), nil
	}
	if pr := j.req.PullRequest; pr != 0 {
		var in []string
		for _, p := range pipes {
			for _, rel := range p.st.Releases {
				if containsPull(rel, pr) {
					in = append(in, fmt.Sprintf("release %d of %s", rel.ID, p.key.Pipeline))
				}
			}
		}
		if len(in) > 0 {
			fmt.Fprintf(&b, "\nPull request #%d is in %s.\n", pr, strings.Join(in, ", "))
		} else {
			fmt.Fprintf(&b, "\nPull request #%d is in no release yet: once merged, it deploys through %s.\n", pr, nameList(pipeRoutes(pipes)))
		}
	}
	for _, p := range pipes {
		fmt.Fprintf(&b, "\n- **%s**", p.key.Pipeline)
		if p.st.OrgPaused != "" {
			fmt.Fprintf(&b, " — %s (`/deploy resume --org`)", p.st.OrgPaused)
		}
		if p.st.Paused != "" {
			fmt.Fprintf(&b, " — %s (`/deploy resume %s`)", p.st.Paused, p.key.Pipeline)
		}
		b.WriteString("\n")
		for _, bl := range p.st.Blocked {
			fmt.Fprintf(&b, "  - %s (`/deploy unblock %s`)\n", pipeline.BlockReason(bl), short(bl.SHA))
		}
		shown := 0
		for i := len(p.st.Releases) - 1; i >= 0 && shown < maxStatusReleases; i-- {
			rel := p.st.Releases[i]
			if rel.Status != pipeline.ReleaseActive {
				continue
			}
			shown++
			fmt.Fprintf(&b, "  - release %d (%s) %s", rel.ID, short(rel.SHA), where(p, rel))
			if held := heldReasons(p.st, rel.ID); held != "" {
				b.WriteString(": held — " + held)
			}
			b.WriteString("\n")
		}
		if shown == 0 {
			b.WriteString("  - no release in flight\n")
		}
	}
	return b.String(), nil
}

// heldReasons joins what held a release when the engine last planned.
func heldReasons(st pipeline.State, id int64) string {
	var why []string
	for _, h := range st.Held {
		if h.ReleaseID != id {
			continue
		}
		for _, bl := range h.Blockers {
			reason := bl.Reason
			if h.Target != "" {
				reason = h.Target + ": " + reason
			}
			why = append(why, reason)
		}
	}
	return strings.Join(why, "; ")
}

// pipeRoutes names each pipeline with its stages in order.
func pipeRoutes(pipes []pipe) []string {
	out := make([]string, len(pipes))
	for i, p := range pipes {
		names := make([]string, len(p.p.Stages))
		for k, s := range p.p.Stages {
			names[k] = s.Name
		}
		out[i] = fmt.Sprintf("%s (%s)", p.key.Pipeline, strings.Join(names, " → "))
	}
	return out
}
