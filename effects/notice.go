package effects

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// Notices performs notice effects.
type Notices struct {
	GitHub   GitHubSource
	States   States
	Renderer *notify.Renderer
	Logger   *slog.Logger
}

// Perform tells people what they must act on or know at once: in
// the log, and as a new comment on each pull request the release brings
// (the release's own comment is edited quietly; this one notifies).
func (n *Notices) Perform(ctx context.Context, e store.Effect) ([]byte, error) {
	var p noticePayload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, fmt.Errorf("decode notice %s: %w", e.Key, err)
	}
	nt := p.Notice
	n.Logger.Warn("deployment notice", "repository", p.Repository, "pipeline", p.Pipeline,
		"kind", nt.Kind, "release", nt.ReleaseID, "stage", nt.Stage, "target", nt.Target, "text", nt.Text)
	_, st, _, err := n.States.LoadWithPipeline(ctx, pipeline.Key{Repository: p.Repository, Pipeline: p.Pipeline})
	if err != nil {
		return nil, err
	}
	r := st.Release(nt.ReleaseID)
	if r == nil || len(r.Pulls) == 0 {
		return nil, nil
	}
	body, err := n.Renderer.Notice(notify.NoticeView{Key: e.Key, Kind: string(nt.Kind), Pipeline: p.Pipeline,
		ReleaseID: nt.ReleaseID, Stage: nt.Stage, Text: nt.Text, Authors: r.Authors})
	if err != nil {
		return nil, err
	}
	client, err := n.GitHub(ctx, p.Repository)
	if err != nil {
		return nil, err
	}
	owner, name, _ := strings.Cut(p.Repository, "/")
	marker := body[:strings.Index(body, "\n")]
	for _, pull := range r.Pulls {
		// A retry after a crash may find the comment already posted.
		if e.Attempts > 1 {
			if id, err := findComment(ctx, client, owner, name, pull, marker); err != nil {
				return nil, err
			} else if id != 0 {
				continue
			}
		}
		if _, _, err := client.Issues.CreateComment(ctx, owner, name, pull, &github.IssueComment{Body: &body}); err != nil {
			return nil, fmt.Errorf("post notice on %s#%d: %w", p.Repository, pull, err)
		}
	}
	return nil, nil
}
