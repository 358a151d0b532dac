package web

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
)

// The view models hold strings ready to print: the templates only lay them
// out, so what a page says is decided (and tested) here.

// overviewPage is /ui/: every pipeline Wavegate keeps state for.
type overviewPage struct {
	Frame     frame // who is signed in; render fills it
	Title     string
	Now       string
	Pipelines []pipelineRow
	// Page of Pages shows pipelines First to Last of Total (from 1).
	Page, Pages        int
	First, Last, Total int
	PrevURL, NextURL   string
	// Unreadable names the pipelines whose state could not be read; the
	// log says why.
	Unreadable []string
}

// pipelineRow is one pipeline: its stages in order, each with the release
// in it, and what blocks it.
type pipelineRow struct {
	Index                int // on the page, for its heading's id
	Repository, Pipeline string
	Stages               []stageCell
	// Queued are the releases in progress that have reached no stage yet.
	Queued   []releaseRef
	Blockers []blockerView
	Act      *pipelineAct // pause and resume forms, for a signed-in user
}

// stageCell is one stage of a pipeline with the newest release that
// reached it; Release is nil when none has.
type stageCell struct {
	Name    string
	Release *releaseRef
	Status  string
	Detail  string
	// Targets are one line each ("beta-1: baking, 22m left (...)"): few
	// template actions keep a page of a thousand pipelines fast.
	Targets []string
}

// releaseRef names a release and links to its page.
type releaseRef struct {
	ID      int64
	URL     string
	SHA     string // short
	Status  string
	Pulls   []pullRef
	Authors string // "@bo, @cy"
}

type pullRef struct {
	Number int
	URL    string // "" when Wavegate does not know GitHub's address
}

// blockerView is one blocker in force: Where says what it holds.
type blockerView struct {
	Kind, Where, Reason string
	Lifts               string // "at 13:00 UTC", "no set time"
}

// releasePage is the release page: the PR comment's view, with the steps
// and times the state keeps.
type releasePage struct {
	Frame        frame // who is signed in, the form tokens; render fills it
	Title        string
	Now          string
	OverviewURL  string
	View         notify.ReleaseView
	SHA          string
	Pulls        []pullRef
	Authors      string
	Created      string
	Stages       []releaseStage
	Blockers     []blockerView
	PipelineHeld []blockerView
	// CommitURL is the release's commit on GitHub ("" when Wavegate does
	// not know GitHub's address).
	CommitURL string
	// SlackURL is the release's Slack message, whose thread tells its
	// events ("" when it has none).
	SlackURL string
	Timeline []timelineEntry
}

type releaseStage struct {
	Name, Status, Detail string
	Started, Finished    string
	Targets              []releaseTarget
}

type releaseTarget struct {
	notify.TargetView
	Steps []stepView
}

// stepView is one deploy step to a target; Replaced marks the step a
// rollback undid.
type stepView struct {
	Action, Variant, SHA       string
	Started, Finished, Outcome string
	Reason                     string
	Replaced                   bool
	// Output is the end of what a command deployer printed (filled by the
	// handler from the outbox; "" for other deployers).
	Output string
	step   pipeline.Step
}

// builder turns states into views at one instant.
type builder struct {
	now    time.Time
	webURL string // GitHub's web address with a trailing slash, or ""
}

func (b builder) pipelineRow(repo string, p pipeline.Pipeline, st pipeline.State) pipelineRow {
	row := pipelineRow{Repository: repo, Pipeline: p.Name, Blockers: b.pipelineBlockers(st)}
	views := map[int64]notify.ReleaseView{}
	for _, s := range p.Stages {
		cell := stageCell{Name: s.Name, Status: "no release yet"}
		r := newestIn(st, s.Name)
		if r != nil {
			v, ok := views[r.ID]
			if !ok {
				// No held list: the row's blockers say what holds it.
				v, _ = notify.BuildReleaseView(repo, p, st, r.ID, nil, b.now, notify.Links{})
				views[r.ID] = v
			}
			ref := b.releaseRef(repo, p.Name, r)
			ref.Status = v.Status
			cell.Release = &ref
			for _, sv := range v.Stages {
				if sv.Name == s.Name {
					cell.Status, cell.Detail = sv.Status, sv.Detail
					for _, tv := range sv.Targets {
						cell.Targets = append(cell.Targets, targetLine(tv))
					}
				}
			}
		}
		row.Stages = append(row.Stages, cell)
	}
	for _, r := range st.Releases {
		if r.Status == pipeline.ReleaseActive && len(r.Stages) == 0 {
			ref := b.releaseRef(repo, p.Name, r)
			ref.Status = "waiting for its first stage"
			row.Queued = append(row.Queued, ref)
		}
	}
	return row
}

// newestIn is the release a stage shows: the newest one active there, else
// the newest that reached it at all.
func newestIn(st pipeline.State, stage string) *pipeline.Release {
	var reached *pipeline.Release
	for _, r := range slices.Backward(st.Releases) {
		run := r.Stages[stage]
		if run == nil {
			continue
		}
		if run.Status == pipeline.StageActive {
			return r
		}
		if reached == nil {
			reached = r
		}
	}
	return reached
}

// pipelineBlockers are the pauses, the holds after rollbacks and what Plan
// last found holding deploys, each said once.
func (b builder) pipelineBlockers(st pipeline.State) []blockerView {
	var out []blockerView
	if st.OrgPaused != "" {
		out = append(out, blockerView{Kind: "organization paused", Where: "every pipeline", Reason: st.OrgPaused, Lifts: "no set time"})
	}
	if st.Paused != "" {
		out = append(out, blockerView{Kind: "paused", Where: "the whole pipeline", Reason: st.Paused, Lifts: "no set time"})
	}
	for _, stage := range slices.Sorted(maps.Keys(st.Holds)) {
		h := st.Holds[stage]
		out = append(out, blockerView{Kind: "held after rollback", Where: "stage " + stage,
			Reason: fmt.Sprintf("%s (release #%d, since %s)", h.Reason, h.ReleaseID, b.clock(h.Since)), Lifts: "no set time"})
	}
	for _, h := range st.Held {
		for _, bl := range h.Blockers {
			// Pauses and rollback holds are listed above, once for all.
			if bl.Kind == pipeline.BlockerPaused || bl.Kind == pipeline.BlockerRollback {
				continue
			}
			out = append(out, b.heldView(h, bl, true))
		}
	}
	return out
}

// releaseBlockers are what Plan last found holding release id.
func (b builder) releaseBlockers(st pipeline.State, id int64) []blockerView {
	var out []blockerView
	for _, h := range st.Held {
		if h.ReleaseID != id {
			continue
		}
		for _, bl := range h.Blockers {
			out = append(out, b.heldView(h, bl, false))
		}
	}
	return out
}

func (b builder) heldView(h pipeline.Held, bl pipeline.Blocker, withRelease bool) blockerView {
	where := h.Stage
	if h.Target != "" {
		where += " / " + h.Target
	}
	if withRelease {
		where = fmt.Sprintf("release #%d at %s", h.ReleaseID, where)
	}
	v := blockerView{Kind: string(bl.Kind), Where: where, Reason: bl.Reason, Lifts: "no set time"}
	if !bl.Until.IsZero() {
		v.Lifts = "at " + b.clock(bl.Until)
	}
	return v
}

func (b builder) releasePage(repo string, p pipeline.Pipeline, st pipeline.State, id int64, links notify.Links) (releasePage, error) {
	v, err := notify.BuildReleaseView(repo, p, st, id, st.Held, b.now, links)
	if err != nil {
		return releasePage{}, err
	}
	r := st.Release(id)
	ref := b.releaseRef(repo, p.Name, r)
	page := releasePage{
		Title:       fmt.Sprintf("Release #%d of %s · %s", id, p.Name, repo),
		Now:         b.clock(b.now),
		OverviewURL: "/ui/",
		View:        v, SHA: ref.SHA, Pulls: ref.Pulls, Authors: ref.Authors, Created: b.clock(r.CreatedAt),
		Blockers: b.releaseBlockers(st, id),
	}
	if b.webURL != "" {
		page.CommitURL = b.webURL + repo + "/commit/" + r.SHA
	}
	// The pipeline's pauses and holds, whichever releases they keep waiting.
	page.PipelineHeld = b.pipelineBlockers(pipeline.State{OrgPaused: st.OrgPaused, Paused: st.Paused, Holds: st.Holds})
	pl := st.PipelineOf(r, p)
	for i, s := range pl.Stages {
		rs := releaseStage{Name: s.Name, Status: v.Stages[i].Status, Detail: v.Stages[i].Detail}
		run := r.Stages[s.Name]
		if run != nil {
			rs.Started, rs.Finished = b.clock(run.StartedAt), b.clock(run.FinishedAt)
		}
		for _, tv := range v.Stages[i].Targets {
			rt := releaseTarget{TargetView: tv}
			if run != nil {
				if tr := run.Targets[tv.Name]; tr != nil {
					if tr.Undone != nil {
						rt.Steps = append(rt.Steps, b.stepView(*tr.Undone, true))
					}
					if tr.Step != nil {
						rt.Steps = append(rt.Steps, b.stepView(*tr.Step, false))
					}
				}
			}
			rs.Targets = append(rs.Targets, rt)
		}
		page.Stages = append(page.Stages, rs)
	}
	return page, nil
}

func (b builder) stepView(s pipeline.Step, replaced bool) stepView {
	out := "in flight"
	if s.Outcome != "" {
		out = s.Outcome
	}
	return stepView{Action: s.Action, Variant: s.Variant, SHA: short(s.SHA), Started: b.clock(s.StartedAt),
		Finished: b.clock(s.FinishedAt), Outcome: out, Reason: s.Reason, Replaced: replaced, step: s}
}

func (b builder) releaseRef(repo, pipe string, r *pipeline.Release) releaseRef {
	ref := releaseRef{ID: r.ID, URL: ReleaseURL(repo, pipe, r.ID), SHA: short(r.SHA)}
	if len(r.Authors) > 0 {
		ref.Authors = "@" + strings.Join(r.Authors, ", @")
	}
	for _, n := range r.Pulls {
		pr := pullRef{Number: n}
		if b.webURL != "" {
			pr.URL = b.webURL + repo + "/pull/" + strconv.Itoa(n)
		}
		ref.Pulls = append(ref.Pulls, pr)
	}
	return ref
}

// targetLine is a target as the overview lists it.
func targetLine(tv notify.TargetView) string {
	s := tv.Name + ": " + tv.State
	if tv.Left != "" {
		s += ", " + tv.Left + " left"
	}
	if tv.Detail != "" {
		s += " (" + tv.Detail + ")"
	}
	return s
}

// ReleaseURL is the path of a release's page. Each segment is escaped:
// names come from repositories and configuration files.
func ReleaseURL(repo, pipe string, id int64) string {
	owner, name, _ := strings.Cut(repo, "/")
	return "/ui/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/" + url.PathEscape(pipe) +
		"/releases/" + strconv.FormatInt(id, 10)
}

// clock is t as people read it beside now; "" for the zero time.
func (b builder) clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t, now := t.UTC(), b.now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04 UTC")
	}
	return t.Format("2 Jan 2006 15:04 UTC")
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
