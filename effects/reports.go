package effects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// reportPayload asks for a release's reports to be brought up to date.
type reportPayload struct {
	Repository string `json:"repository"`
	Pipeline   string `json:"pipeline"`
	ReleaseID  int64  `json:"release"`
	// Refusal, when set, is a refused press of the deploy check's buttons,
	// shown on the check run until the release's next report.
	Refusal *RefusalNote `json:"refusal,omitempty"`
}

// reportEffects asks for a report of every release a save changed. Each
// renders the state as it is when performed, so a burst of saves costs at
// most one edit per visible change.
// A release whose pipeline names a Slack channel gets a Slack report too,
// as its own effect, so that one platform's outage never delays the other.
func reportEffects(key pipeline.Key, version int64, p pipeline.Pipeline, res pipeline.Result, slack bool, now time.Time) ([]store.Effect, error) {
	var ids []int64
	for _, d := range res.Decisions {
		if !slices.Contains(ids, d.ReleaseID) {
			ids = append(ids, d.ReleaseID)
		}
	}
	var out []store.Effect
	for _, id := range ids {
		r := res.State.Release(id)
		if r == nil {
			continue
		}
		payload, err := json.Marshal(reportPayload{Repository: key.Repository, Pipeline: key.Pipeline, ReleaseID: id})
		if err != nil {
			return nil, err
		}
		out = append(out, store.Effect{Key: OutboxKey(key, fmt.Sprintf("report/r%d/v%d", id, version+1)),
			Kind: KindReport, Payload: payload, CreatedAt: now})
		if slack && res.State.PipelineOf(r, p).SlackChannel != "" {
			out = append(out, store.Effect{Key: OutboxKey(key, fmt.Sprintf("slack/r%d/v%d", id, version+1)),
				Kind: KindSlack, Payload: payload, CreatedAt: now})
		}
	}
	return out, nil
}

// Reports performs report effects: a release's PR comments and its deploy
// check run.
type Reports struct {
	GitHub   GitHubSource
	Releases *Releases
	Store    interface {
		ReportStore
		CheckRuns
	}
	Renderer *notify.Renderer
	Clock    clock.Clock
	refusals shownRefusals
}

// ReportStore records the PR comments that report releases.
type ReportStore interface {
	ReportComment(ctx context.Context, repository string, pull int, releaseKey string) (store.ReportComment, error)
	SaveReportComment(ctx context.Context, c store.ReportComment) error
}

// Perform brings a release's reports up to date: its deploy check run, and
// its PR comments, edited in place, found again by their marker if the
// stored id is lost, recreated if someone deleted them, and left alone
// when nothing visible changed.
func (rp *Reports) Perform(ctx context.Context, e store.Effect) ([]byte, error) {
	rr, unlock, err := rp.Releases.load(ctx, e, KindReport)
	if err != nil || rr.r == nil {
		return nil, err
	}
	defer unlock()
	p, pl, st, r, v := rr.p, rr.pl, rr.st, rr.r, rr.v
	body, err := rp.Renderer.ReleaseComment(v)
	if err != nil {
		return nil, err
	}
	hash := contentHash([]byte(body))
	client, err := rp.GitHub(ctx, p.Repository)
	if err != nil {
		return nil, err
	}
	owner, name, _ := strings.Cut(p.Repository, "/")
	releaseKey := fmt.Sprintf("%s/%d", p.Pipeline, r.ID)
	marker := body[:strings.Index(body, "\n")]
	for _, pull := range r.Pulls {
		if err := rp.reportOnPull(ctx, client, owner, name, pull, releaseKey, marker, body, hash); err != nil {
			return nil, err
		}
	}
	summary := body
	if n := rp.refusals.show(strings.ToLower(p.Repository)+"/"+releaseKey, e.Seq, rr.p.Refusal); n != nil {
		summary, err = rp.Renderer.DeployCheckSummary(body, &notify.RefusalView{By: n.By, Action: n.Action, At: n.At, Reason: n.Reason})
		if err != nil {
			return nil, err
		}
	}
	return nil, rp.updateDeployCheck(ctx, client, p.Repository, pl, st, r, v, summary)
}

// shownRefusals keeps, per release, the refused press its deploy check
// shows. Reports are performed in parallel, so one queued before the press
// may be performed after the press's own; it shows the note too instead of
// wiping it. A report queued after the press replaces the note.
type shownRefusals struct {
	mu   sync.Mutex
	last map[string]shownRefusal
}

type shownRefusal struct {
	seq  int64
	note *RefusalNote
}

// show records n, the refusal the report seq carries, if any, and returns
// the refusal that report must show.
func (s *shownRefusals) show(release string, seq int64, n *RefusalNote) *RefusalNote {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n != nil {
		if s.last == nil || len(s.last) >= 1024 {
			s.last = map[string]shownRefusal{} // a crude bound: losing a note costs little
		}
		s.last[release] = shownRefusal{seq: seq, note: n}
		return n
	}
	last, ok := s.last[release]
	if ok && last.seq > seq {
		return last.note
	}
	delete(s.last, release)
	return nil
}

// releaseReport is the release a report effect is about.
type releaseReport struct {
	p  reportPayload
	pl pipeline.Pipeline
	st pipeline.State
	r  *pipeline.Release // nil: nothing to report
	v  notify.ReleaseView
}

// Releases loads the release a report effect is about, for Reports and
// Slack alike.
type Releases struct {
	States  States
	Pending EffectLookup
	Links   Links
	Clock   clock.Clock
	locks   keyedLocks
}

// load decodes a report effect of kind (KindReport, KindSlack)
// and loads its release under the release's lock for that kind: reports of
// one release go one at a time, since each renders the state as it loads
// it and two in parallel could put an older rendering last. A burst of
// changes queues a report per save; only the newest needs rendering, so an
// older one, or one of a release no longer tracked, loads nothing (r nil).
// A refusal's report is rendered even so: it alone carries its note, and it
// renders the state as it is when performed, like any other.
// The release's view is built from the state as loaded.
func (l *Releases) load(ctx context.Context, e store.Effect, kind string) (releaseReport, func(), error) {
	var rr releaseReport
	if err := json.Unmarshal(e.Payload, &rr.p); err != nil {
		return rr, nil, fmt.Errorf("decode %s effect %s: %w", kind, e.Key, err)
	}
	p := rr.p
	key := pipeline.Key{Repository: p.Repository, Pipeline: p.Pipeline}
	unlock := l.locks.lock(fmt.Sprintf("%s/%s/%s/%d", kind, strings.ToLower(p.Repository), p.Pipeline, p.ReleaseID))
	var newer bool
	var err error
	if p.Refusal == nil {
		newer, err = l.Pending.NewerEffectPending(ctx, OutboxKey(key, fmt.Sprintf("%s/r%d/", kind, p.ReleaseID)), e.Seq)
	}
	if err == nil && !newer {
		rr.pl, rr.st, _, err = l.States.LoadWithPipeline(ctx, key)
	}
	if err != nil || newer {
		unlock()
		return releaseReport{}, nil, err
	}
	if rr.r = rr.st.Release(p.ReleaseID); rr.r == nil {
		unlock()
		return releaseReport{}, nil, nil
	}
	now := l.Clock.Now()
	held := rr.st.Held // as the runner planned it, with inputs only it knows
	rr.v, err = notify.BuildReleaseView(p.Repository, rr.pl, rr.st, p.ReleaseID, held, now, l.Links.Release(ctx, p.Repository, rr.pl, rr.st, rr.r))
	if err != nil {
		unlock()
		return releaseReport{}, nil, err
	}
	return rr, unlock, nil
}

func (rp *Reports) reportOnPull(ctx context.Context, client *github.Client, owner, name string, pull int, releaseKey, marker, body, hash string) error {
	repo := owner + "/" + name
	saved, err := rp.Store.ReportComment(ctx, repo, pull, releaseKey)
	switch {
	case err == nil && saved.BodyHash == hash:
		return nil
	case err == nil:
		_, _, err = client.Issues.EditComment(ctx, owner, name, saved.CommentID, &github.IssueComment{Body: &body})
		if err == nil {
			saved.BodyHash = hash
			return rp.Store.SaveReportComment(ctx, saved)
		}
		if !isNotFound(err) {
			return fmt.Errorf("edit the report on %s#%d: %w", repo, pull, err)
		}
		// Deleted by someone: recreate it below.
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	id, err := findComment(ctx, client, owner, name, pull, marker)
	if err != nil {
		return err
	}
	if id != 0 {
		if _, _, err := client.Issues.EditComment(ctx, owner, name, id, &github.IssueComment{Body: &body}); err != nil {
			return fmt.Errorf("edit the report on %s#%d: %w", repo, pull, err)
		}
	} else {
		c, _, err := client.Issues.CreateComment(ctx, owner, name, pull, &github.IssueComment{Body: &body})
		if err != nil {
			return fmt.Errorf("post the report on %s#%d: %w", repo, pull, err)
		}
		id = c.GetID()
	}
	return rp.Store.SaveReportComment(ctx, store.ReportComment{Repository: repo, PullNumber: pull, ReleaseKey: releaseKey, CommentID: id, BodyHash: hash})
}

// findComment looks for the report by its hidden marker, for when its id
// was lost (a restored database, a crash between posting and recording).
func findComment(ctx context.Context, client *github.Client, owner, name string, pull int, marker string) (int64, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		cs, resp, err := client.Issues.ListComments(ctx, owner, name, pull, opts)
		if err != nil {
			return 0, fmt.Errorf("list comments of %s/%s#%d: %w", owner, name, pull, err)
		}
		for _, c := range cs {
			if strings.HasPrefix(c.GetBody(), marker) {
				return c.GetID(), nil
			}
		}
		if resp.NextPage == 0 {
			return 0, nil
		}
		opts.Page = resp.NextPage
	}
}

func isNotFound(err error) bool {
	var resp *github.ErrorResponse
	return errors.As(err, &resp) && resp.Response != nil && resp.Response.StatusCode == http.StatusNotFound
}
