package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Operations behind the /deploy commands that the planner reads back as
// blockers (blocked commits, the organization's pause) and the record that
// makes each command apply once. The command runner calls them inside the
// engine's Apply, so each is saved with the plan it leads to, or not at all.

// Bounds that keep a state, which is saved whole on every change, small.
const (
	// MaxReleaseCommits is how many of a push's commits a release keeps.
	MaxReleaseCommits = 256
	// MaxBlocked is how many commits one pipeline may have blocked at once.
	MaxBlocked = 100
	// MaxApplied is how many command ids a state remembers: far more than
	// the commands a surface can retry before its retry gives up.
	MaxApplied = 256
	// minSHA is the shortest sha prefix a block accepts: shorter ones would
	// match unrelated commits.
	minSHA = 7
)

// Block keeps the commit sha (a prefix of at least 7 hexadecimal
// characters) from deploying: the first release of st that contains it and
// every later one are held by blocked-commit before their next deploy, and
// so is any release added later that contains it.
func Block(st *State, sha, by, reason string, at time.Time) error {
	sha = strings.ToLower(strings.TrimSpace(sha))
	if !validSHA(sha) {
		return fmt.Errorf("%q is not a commit sha: give at least %d hexadecimal characters of it", sha, minSHA)
	}
	if strings.TrimSpace(reason) == "" {
		return errors.New("blocking a commit needs --reason")
	}
	for _, b := range st.Blocked {
		if sameCommit(b.SHA, sha) {
			return fmt.Errorf("commit %s is already blocked by @%s (%s); /deploy unblock %s lifts it", short(b.SHA), b.By, b.Reason, short(b.SHA))
		}
	}
	if len(st.Blocked) >= MaxBlocked {
		return fmt.Errorf("%d commits are blocked already, the most a pipeline keeps: unblock some first", len(st.Blocked))
	}
	b := CommitBlock{SHA: sha, By: by, Reason: reason, At: at}
	for _, r := range st.Releases { // ascending ids: the first match is the lowest
		if contains(r, sha) {
			b.FromRelease = r.ID
			break
		}
	}
	st.Blocked = append(st.Blocked, b)
	return nil
}

// Unblock lifts the block of sha (either may be a prefix of the other); it
// reports whether there was one.
func Unblock(st *State, sha string) bool {
	sha = strings.ToLower(strings.TrimSpace(sha))
	if !validSHA(sha) {
		return false
	}
	n := len(st.Blocked)
	st.Blocked = slices.DeleteFunc(st.Blocked, func(b CommitBlock) bool { return sameCommit(b.SHA, sha) })
	return len(st.Blocked) < n
}

// blockNewRelease starts, at r, the blocks that no earlier release
// contained.
func blockNewRelease(st *State, r *Release) {
	for i := range st.Blocked {
		if b := &st.Blocked[i]; b.FromRelease == 0 && contains(r, b.SHA) {
			b.FromRelease = r.ID
		}
	}
}

// blockedCommits are the blocks that hold r.
func blockedCommits(st *State, r *Release) []Blocker {
	var out []Blocker
	for _, b := range st.Blocks(r) {
		out = append(out, Blocker{Kind: BlockerBlockedCommit, Reason: BlockReason(b)})
	}
	return out
}

// BlockReason is how reports and the planner say why a block holds.
func BlockReason(b CommitBlock) string {
	return fmt.Sprintf("commit %s is blocked by @%s: %s", short(b.SHA), b.By, b.Reason)
}

// Blocks returns the blocks that hold release r of st, whether or not an
// override lifts them for it.
func (st State) Blocks(r *Release) []CommitBlock {
	var out []CommitBlock
	for _, b := range st.Blocked {
		if b.FromRelease > 0 && r.ID >= b.FromRelease {
			out = append(out, b)
		}
	}
	return out
}

// contains reports whether r brought the commit prefix (or is it).
func contains(r *Release, prefix string) bool {
	if strings.HasPrefix(strings.ToLower(r.SHA), prefix) {
		return true
	}
	return slices.ContainsFunc(r.Commits, func(c string) bool { return strings.HasPrefix(strings.ToLower(c), prefix) })
}

func sameCommit(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }

func validSHA(s string) bool {
	if len(s) < minSHA || len(s) > 64 { // 64: SHA-256 repositories
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// PauseOrg stops new deploys in st because the organization's owner paused
// every repository; only ResumeOrg lifts it.
func PauseOrg(st *State, by, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return errors.New("pausing the organization needs --reason")
	}
	st.OrgPaused = fmt.Sprintf("paused for every repository of the organization by @%s: %s", by, reason)
	return nil
}

// ResumeOrg lifts the organization's pause; a pause of the pipeline itself
// stays.
func ResumeOrg(st *State) { st.OrgPaused = "" }

// Applied reports whether the command with request id was applied to st.
func Applied(st *State, id string) bool { return slices.Contains(st.Applied, id) }

// MarkApplied records that the command with request id was applied, in the
// same save as its effect, forgetting the oldest beyond MaxApplied.
func MarkApplied(st *State, id string) {
	if Applied(st, id) {
		return
	}
	st.Applied = append(st.Applied, id)
	if over := len(st.Applied) - MaxApplied; over > 0 {
		st.Applied = slices.Delete(st.Applied, 0, over)
	}
}
