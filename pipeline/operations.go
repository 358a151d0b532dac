package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Operations on the state that come from outside the planner: a release
// created by a push, a deployer's result, and what people command. Each
// changes st in place (the runner works on its loaded copy) and says what
// went wrong in words a person can act on.

// ErrNotFound is returned when a release, stage or step does not exist.
var ErrNotFound = errors.New("not found")

// AddReleaseWithConfig appends a new release that travels with p, the
// pipeline as of its own commit.
func AddReleaseWithConfig(st *State, r Release, p Pipeline) error {
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("release %d: encode its pipeline: %w", r.ID, err)
	}
	sum := sha256.Sum256(data)
	r.Config = hex.EncodeToString(sum[:8])
	if st.Configs == nil {
		st.Configs = map[string]Pipeline{}
	}
	st.Configs[r.Config] = p
	return AddRelease(st, r)
}

// AddRelease appends a new release; IDs must grow.
func AddRelease(st *State, r Release) error {
	if n := len(st.Releases); n > 0 && st.Releases[n-1].ID >= r.ID {
		return fmt.Errorf("release %d is not newer than release %d", r.ID, st.Releases[n-1].ID)
	}
	r.Status = ReleaseActive
	r.Stages = map[string]*StageRun{}
	if over := len(r.Commits) - MaxReleaseCommits; over > 0 {
		r.Commits = r.Commits[over:]
	}
	st.Releases = append(st.Releases, &r)
	blockNewRelease(st, &r)
	return nil
}

// RecordOutcome records a deployer's result for the step with key. A result
// for a step that is not in flight (a duplicate, or too late after a
// timeout) changes nothing and reports false.
func RecordOutcome(st *State, key, outcome, reason string, at time.Time) (bool, error) {
	if outcome != OutcomeSuccess && outcome != OutcomeFailed {
		return false, fmt.Errorf("outcome %q of step %s: want %s or %s", outcome, key, OutcomeSuccess, OutcomeFailed)
	}
	for _, r := range st.Releases {
		for _, run := range r.Stages {
			for _, tr := range run.Targets {
				if tr.Step == nil || tr.Step.Key != key {
					continue
				}
				if tr.Step.Outcome != "" {
					return false, nil
				}
				tr.Step.Outcome, tr.Step.Reason, tr.Step.FinishedAt = outcome, reason, at
				return true, nil
			}
		}
	}
	return false, fmt.Errorf("step %s: %w", key, ErrNotFound)
}

// Decide approves or rejects the approval stage a release waits in. Who
// may decide is the caller's to check (commands authorizes); an author
// approving their own release is refused unless allowAuthor or the stage's
// allow_authors.
func Decide(p Pipeline, st *State, releaseID int64, stage string, approved bool, by, reason string, allowAuthor bool, at time.Time) error {
	r := st.Release(releaseID)
	if r == nil {
		return fmt.Errorf("release %d: %w", releaseID, ErrNotFound)
	}
	p = st.PipelineOf(r, p)
	if stage == "" {
		stage = waitingApproval(p, r)
	}
	run := r.Stages[stage]
	if run == nil || run.Status != StageActive || !isApprovalStage(p, stage) {
		return fmt.Errorf("release %d is not waiting for approval in %q", releaseID, stage)
	}
	allowAuthor = allowAuthor || approvalOf(p, stage).AllowAuthors
	if approved && !allowAuthor && slices.ContainsFunc(r.Authors, func(a string) bool { return strings.EqualFold(a, by) }) {
		return fmt.Errorf("@%s wrote part of release %d and cannot approve it", by, releaseID)
	}
	if !approved && strings.TrimSpace(reason) == "" {
		return errors.New("a rejection needs --reason")
	}
	run.Decision = &ApprovalDecision{Approved: approved, By: by, Reason: reason, At: at}
	return nil
}

// Rollback asks for a manual rollback of a release (/deploy rollback, the
// check run's Rollback button): of stage only when stage is not "", of
// target only when target is not "". It only records the request; the next
// Plan acts on it exactly as on a failed deploy, so a manual rollback is
// deployed, baked, held and, when it fails, paused like any other. The
// request is checked against st now, so that whoever asked learns at once
// when there is nothing to roll back; st is then left unchanged.
func Rollback(p Pipeline, st *State, releaseID int64, stage, target, by, reason string, at time.Time) error {
	if strings.TrimSpace(reason) == "" {
		return errors.New("a rollback needs --reason")
	}
	r := st.Release(releaseID)
	if r == nil {
		return fmt.Errorf("release %d: %w", releaseID, ErrNotFound)
	}
	p = st.PipelineOf(r, p)
	if r.RollbackRequest != nil {
		return fmt.Errorf("release %d is already being rolled back", releaseID)
	}
	if _, err := scopeRollback(p, st, r, stage, target); err != nil {
		return err
	}
	r.RollbackRequest = &RollbackRequest{Stage: stage, Target: target, By: by, Reason: reason, At: at}
	return nil
}

// Pause stops new deploys anywhere in the pipeline; deploys in flight finish.
func Pause(st *State, by, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return errors.New("pausing needs --reason")
	}
	st.Paused = fmt.Sprintf("paused by @%s: %s", by, reason)
	return nil
}

// Resume lifts the pause and the rollback holds: of one stage, or of every
// stage when stage is "".
func Resume(st *State, stage string) {
	if stage == "" {
		st.Paused = ""
		clear(st.Holds)
		return
	}
	delete(st.Holds, stage)
}

// AddOverride records an override of one blocker for one release.
func AddOverride(st *State, o Override) error {
	if strings.TrimSpace(o.Reason) == "" {
		return errors.New("an override needs --reason")
	}
	if st.Release(o.ReleaseID) == nil {
		return fmt.Errorf("release %d: %w", o.ReleaseID, ErrNotFound)
	}
	switch o.Blocker {
	case BlockerAlarm, BlockerWindow, BlockerFreeze, BlockerBlockedCommit, BlockerUnreviewed, BlockerRollback:
	default:
		return fmt.Errorf("%q cannot be overridden: use approve, or resume", o.Blocker)
	}
	if !o.Until.IsZero() && !o.Until.After(o.At) {
		return fmt.Errorf("an override until %s would have lapsed when made: give a positive --ttl", o.Until.UTC().Format(time.RFC3339))
	}
	st.Overrides = append(st.Overrides, o)
	return nil
}

func isApprovalStage(p Pipeline, name string) bool {
	for _, s := range p.Stages {
		if s.Name == name {
			return s.IsApproval()
		}
	}
	return false
}

// approvalOf is the approval of stage name; zero when it is none.
func approvalOf(p Pipeline, name string) Approval {
	if i := stageIndex(p, name); i >= 0 && p.Stages[i].Approval != nil {
		return *p.Stages[i].Approval
	}
	return Approval{}
}

func waitingApproval(p Pipeline, r *Release) string {
	for _, s := range p.Stages {
		if run := r.Stages[s.Name]; s.IsApproval() && run != nil && run.Status == StageActive {
			return s.Name
		}
	}
	return ""
}
