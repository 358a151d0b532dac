package commandrun

import (
	"errors"
	"time"

	"github.com/wavegate/wavegate/pipeline"
)

// Stand-ins for the pipeline operations being added alongside (blocked
// commits, the organization pause, applied request ids, override expiry,
// allow_authors); each becomes a one-line call once they land.

func applied(st *pipeline.State, id string) bool { return false }

func markApplied(st *pipeline.State, id string) {}

func blockCommit(st *pipeline.State, sha, by, reason string, at time.Time) error {
	return errors.New("blocking commits is not available yet")
}

func unblockCommit(st *pipeline.State, sha string) bool { return false }

func pauseOrg(st *pipeline.State, by, reason string) error {
	return errors.New("pausing the organization is not available yet")
}

func resumeOrg(st *pipeline.State) {}

func setUntil(o *pipeline.Override, until time.Time) {}

func allowAuthors(a *pipeline.Approval) bool { return false }
