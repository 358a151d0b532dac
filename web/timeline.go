package web

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// timelineEntry is one moment of a release's life: what the engine
// decided or a deployer reported, or a command someone gave about it.
type timelineEntry struct {
	at   time.Time
	When string
	What string
	// Who is "@login" for a command or an approval; "" for the engine.
	Who string
	Why string
}

// timeline lists what the saved state remembers of release r (its
// making, each stage's start and end, each deploy or rollback step, the
// approval decisions) and the commands given about it, oldest first.
// The state keeps only the latest step per target and the one a rollback
// undid, so that is what shows.
func (b builder) timeline(p pipeline.Pipeline, st pipeline.State, r *pipeline.Release, commands []store.AuditEntry, decisions []store.DecisionEvent) []timelineEntry {
	var out []timelineEntry
	add := func(at time.Time, what, who, why string) {
		if !at.IsZero() {
			out = append(out, timelineEntry{at: at, When: b.clock(at), What: what, Who: who, Why: why})
		}
	}
	add(r.CreatedAt, fmt.Sprintf("release #%d made from %s", r.ID, short(r.SHA)), "", "")
	if len(decisions) > 0 {
		// The engine's own record: every decision, in the order taken.
		for _, d := range decisions {
			where := d.Stage
			if d.Target != "" {
				where += " / " + d.Target
			}
			what := d.What
			if where != "" {
				what = where + ": " + d.What
			}
			add(d.At, what, "", d.Reason)
		}
		b.addCommands(add, commands)
		slices.SortStableFunc(out, func(a, b timelineEntry) int { return a.at.Compare(b.at) })
		return out
	}
	// Releases older than the decision log: what the state remembers.
	for _, s := range st.PipelineOf(r, p).Stages {
		run := r.Stages[s.Name]
		if run == nil {
			continue
		}
		add(run.StartedAt, s.Name+" started", "", "")
		if d := run.Decision; d != nil {
			verb := "rejected"
			if d.Approved {
				verb = "approved"
			}
			add(d.At, s.Name+" "+verb, "@"+d.By, d.Reason)
		}
		for _, name := range slices.Sorted(maps.Keys(run.Targets)) {
			tr := run.Targets[name]
			for _, step := range []*pipeline.Step{tr.Undone, tr.Step} {
				if step == nil {
					continue
				}
				what := fmt.Sprintf("%s %s %s of %s to %s", step.Action, step.Variant, short(step.SHA), s.Name, name)
				add(step.StartedAt, what+" started", "", "")
				if step.Outcome != "" {
					add(step.FinishedAt, what+" "+step.Outcome, "", step.Reason)
				}
			}
		}
		if run.Status == pipeline.StageSucceeded || run.Status == pipeline.StageFailed {
			add(run.FinishedAt, s.Name+" "+string(run.Status), "", run.Reason)
		}
	}
	b.addCommands(add, commands)
	slices.SortStableFunc(out, func(a, b timelineEntry) int { return a.at.Compare(b.at) })
	return out
}

// addCommands adds the commands given about the release, with who gave
// them and why (or why they were refused).
func (b builder) addCommands(add func(at time.Time, what, who, why string), commands []store.AuditEntry) {
	for _, e := range commands {
		who := "@" + e.Login
		if e.Login == "" {
			who = "Slack user " + e.SlackUser
		}
		why := e.Reason
		if e.Decision != store.AuditAccepted {
			why = strings.TrimSpace(e.Why)
		}
		add(e.At, fmt.Sprintf("%s (%s, %s)", e.Line, e.Surface, e.Decision), who, why)
	}
}

// TimelineDecisions is how many of a release's latest decisions its page
// shows: a release held for days by a flapping alarm decides a lot.
const TimelineDecisions = 500

// releaseDecisions reads the engine's decisions about release id of key,
// when the pages have the decision log; a failure to read them is logged
// and the page shows what the state remembers.
func (p *Pages) releaseDecisions(ctx context.Context, key pipeline.Key, id int64) []store.DecisionEvent {
	if p.cfg.Decisions == nil {
		return nil
	}
	ds, err := p.cfg.Decisions.ReleaseDecisions(ctx, key.Repository, key.Pipeline, id, TimelineDecisions)
	if err != nil {
		p.cfg.Logger.Warn("web release: read its decisions", "repository", key.Repository, "release", id, "err", err)
		return nil
	}
	return ds
}

// releaseCommands reads the commands given about release id of key, when
// the pages have the audit log; a failure to read them is logged and the
// page shows the rest.
func (p *Pages) releaseCommands(ctx context.Context, key pipeline.Key, id int64) []store.AuditEntry {
	if p.cfg.Audit == nil {
		return nil
	}
	entries, err := p.cfg.Audit.AuditLog(ctx, store.AuditFilter{Repository: key.Repository, ReleaseID: id, Limit: AuditLimit})
	if err != nil {
		p.cfg.Logger.Warn("web release: read its commands", "repository", key.Repository, "release", id, "err", err)
		return nil
	}
	return slices.DeleteFunc(entries, func(e store.AuditEntry) bool { return e.Pipeline != "" && e.Pipeline != key.Pipeline })
}

// fillOutputs adds to each finished step what its command deployer
// printed; a step whose output cannot be read is logged and shown without.
func (p *Pages) fillOutputs(ctx context.Context, key pipeline.Key, stages []releaseStage) {
	if p.cfg.StepOutput == nil {
		return
	}
	for i := range stages {
		for j := range stages[i].Targets {
			steps := stages[i].Targets[j].Steps
			for k := range steps {
				if steps[k].step.Outcome == "" {
					continue
				}
				out, err := p.cfg.StepOutput(ctx, key, steps[k].step)
				if err != nil {
					p.cfg.Logger.Warn("web release: a step's output", "repository", key.Repository, "pipeline", key.Pipeline, "step", steps[k].step.Key, "err", err)
					continue
				}
				steps[k].Output = out
			}
		}
	}
}

// slackThread is the release's Slack message's address, or "" (none, or
// Slack did not answer: logged, and the page shows the rest).
func (p *Pages) slackThread(ctx context.Context, key pipeline.Key, id int64) string {
	if p.cfg.SlackThread == nil {
		return ""
	}
	link, err := p.cfg.SlackThread(ctx, key, id)
	if err != nil {
		p.cfg.Logger.Warn("web release: its Slack message", "repository", key.Repository, "pipeline", key.Pipeline, "release", id, "err", err)
		return ""
	}
	return link
}
