package checks

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	headSHA = "1234567aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	oldSHA  = "89abcdeffffffffffffffffffffffffffffffff0"

	tickedBody = "## Checklist\n- [x] Sufficient test coverage\n- [x] Rollback tested\n"
)

// when is a review time, minutes after an arbitrary start.
func when(minute int) time.Time {
	return time.Date(2026, 3, 1, 12, minute, 0, 0, time.UTC)
}

func rv(id int64, reviewer string, state ReviewState, commit string, minute int) Review {
	return Review{ID: id, Reviewer: reviewer, State: state, CommitID: commit, SubmittedAt: when(minute)}
}

func testPR() PullRequest {
	return PullRequest{Number: 7, Author: "alice", HeadSHA: headSHA, Body: tickedBody}
}

func testPolicy() Policy {
	p := DefaultPolicy()
	p.Checklist = []string{"Sufficient test coverage", "Rollback tested"}
	p.ChecklistSkipPaths = []string{"docs/**", "*.md"}
	return p
}

func testPerms() map[string]Permission {
	return map[string]Permission{
		"alice": PermissionAdmin,
		"bob":   PermissionWrite,
		"carol": PermissionRead,
		"dave":  PermissionAdmin,
		"erin":  PermissionWrite,
	}
}

// placement says where each review ended up: "counted", "blocking" or the
// reason it was not counted, by review ID.
func placement(res Result) map[int64]string {
	m := make(map[int64]string)
	for _, r := range res.Approvals.Counted {
		m[r.Review.ID] = "counted"
	}
	for _, r := range res.Approvals.Blocking {
		m[r.Review.ID] = "blocking"
	}
	for _, r := range res.Approvals.NotCounted {
		m[r.Review.ID] = string(r.Reason)
	}
	return m
}

// checkAccounted fails unless every input review appears exactly once in
// Counted, NotCounted or Blocking, and nothing else does.
func checkAccounted(t *testing.T, reviews []Review, res Result) {
	t.Helper()
	seen := make(map[Review]int)
	for _, r := range reviews {
		seen[r]++
	}
	var out []Review
	for _, r := range res.Approvals.Counted {
		out = append(out, r.Review)
	}
	for _, r := range res.Approvals.NotCounted {
		out = append(out, r.Review)
	}
	for _, r := range res.Approvals.Blocking {
		out = append(out, r.Review)
	}
	for _, r := range out {
		seen[r]--
	}
	for r, n := range seen {
		if n != 0 {
			t.Errorf("review %+v appears %d times in the result, want once", r, 1-n)
		}
	}
	if len(out) != len(reviews) {
		t.Errorf("result lists %d reviews, input has %d", len(out), len(reviews))
	}
}

func TestEvaluate(t *testing.T) {
	docsOnly := []string{"docs/guide.md", "docs/img/a.png"}
	tests := []struct {
		name    string
		pr      func(*PullRequest)
		reviews []Review
		files   []string // nil: one source file
		policy  func(*Policy)
		perms   func(map[string]Permission)

		want    Conclusion
		title   string           // checked when not empty
		placed  map[int64]string // every review's placement, checked always
		missing []string         // checked when not nil
		detail  map[int64]string // substrings of NotCounted/Blocking details
		items   []ItemState      // checked when not nil
	}{
		{
			name:    "no reviews",
			want:    ConclusionFailure,
			title:   "0 of 1 approvals · 2 of 2 checklist items",
			placed:  map[int64]string{},
			missing: []string{"1 more approval from someone with write access other than @alice"},
		},
		{
			name:    "one approval from a writer passes",
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionSuccess,
			title:   "1 of 1 approvals · 2 of 2 checklist items",
			placed:  map[int64]string{1: "counted"},
			missing: []string{},
		},
		{
			name:    "author self-approval",
			reviews: []Review{rv(1, "alice", ReviewApproved, headSHA, 1)},
			want:    ConclusionFailure,
			title:   "0 of 1 approvals · 2 of 2 checklist items",
			placed:  map[int64]string{1: "author"},
			detail:  map[int64]string{1: "@alice is the pull request's author"},
		},
		{
			name:    "author matched case-insensitively",
			pr:      func(pr *PullRequest) { pr.Author = "Alice" },
			reviews: []Review{rv(1, "alice", ReviewApproved, headSHA, 1)},
			want:    ConclusionFailure,
			placed:  map[int64]string{1: "author"},
		},
		{
			name: "approval then changes requested by the same reviewer blocks",
			reviews: []Review{
				rv(1, "bob", ReviewApproved, headSHA, 1),
				rv(2, "bob", ReviewChangesRequested, headSHA, 2),
			},
			want:   ConclusionFailure,
			title:  "Changes requested by @bob · 0 of 1 approvals · 2 of 2 checklist items",
			placed: map[int64]string{1: "superseded", 2: "blocking"},
			missing: []string{
				"@bob requested changes: address them and ask @bob to approve, or have the review dismissed",
				"1 more approval from someone with write access other than @alice",
			},
			detail: map[int64]string{1: "superseded by @bob's later review (changes requested, id 2)"},
		},
		{
			name: "changes requested blocks even with enough other approvals",
			reviews: []Review{
				rv(1, "erin", ReviewApproved, headSHA, 1),
				rv(2, "bob", ReviewChangesRequested, headSHA, 2),
			},
			want:    ConclusionFailure,
			title:   "Changes requested by @bob · 1 of 1 approvals · 2 of 2 checklist items",
			placed:  map[int64]string{1: "counted", 2: "blocking"},
			missing: []string{"@bob requested changes: address them and ask @bob to approve, or have the review dismissed"},
		},
		{
			name: "changes requested then approval passes",
			reviews: []Review{
				rv(1, "bob", ReviewChangesRequested, oldSHA, 1),
				rv(2, "bob", ReviewApproved, headSHA, 2),
			},
			want:   ConclusionSuccess,
			title:  "1 of 1 approvals · 2 of 2 checklist items",
			placed: map[int64]string{1: "superseded", 2: "counted"},
		},
		{
			name: "order is by time, not by input position",
			reviews: []Review{
				rv(2, "bob", ReviewApproved, headSHA, 2),
				rv(1, "bob", ReviewChangesRequested, headSHA, 1),
			},
			want:   ConclusionSuccess,
			placed: map[int64]string{1: "superseded", 2: "counted"},
		},
		{
			name: "same time: the higher ID is later",
			reviews: []Review{
				rv(9, "bob", ReviewChangesRequested, headSHA, 1),
				rv(8, "bob", ReviewApproved, headSHA, 1),
			},
			want:   ConclusionFailure,
			placed: map[int64]string{8: "superseded", 9: "blocking"},
		},
		{
			name: "stale changes request still blocks",
			reviews: []Review{
				rv(1, "erin", ReviewApproved, headSHA, 3),
				rv(2, "bob", ReviewChangesRequested, oldSHA, 1),
			},
			want:   ConclusionFailure,
			placed: map[int64]string{1: "counted", 2: "blocking"},
			detail: map[int64]string{2: "@bob requested changes on 89abcde"},
		},
		{
			name: "changes requested then dismissed no longer blocks",
			reviews: []Review{
				rv(1, "erin", ReviewApproved, headSHA, 1),
				rv(2, "bob", ReviewDismissed, oldSHA, 2),
			},
			want:   ConclusionSuccess,
			placed: map[int64]string{1: "counted", 2: "dismissed"},
		},
		{
			name:    "changes requested do not block when the policy says so",
			policy:  func(p *Policy) { p.BlockOnChangesRequested = false },
			reviews: []Review{rv(1, "erin", ReviewApproved, headSHA, 1), rv(2, "bob", ReviewChangesRequested, headSHA, 2)},
			want:    ConclusionSuccess,
			placed:  map[int64]string{1: "counted", 2: "not-blocking"},
		},
		{
			name:    "changes requested by a reader do not block",
			reviews: []Review{rv(1, "erin", ReviewApproved, headSHA, 1), rv(2, "carol", ReviewChangesRequested, headSHA, 2)},
			want:    ConclusionSuccess,
			placed:  map[int64]string{1: "counted", 2: "permission"},
			detail:  map[int64]string{2: "@carol has read access; change requests block from write access up"},
		},
		{
			name: "two change requests",
			reviews: []Review{
				rv(1, "dave", ReviewChangesRequested, headSHA, 1),
				rv(2, "bob", ReviewChangesRequested, headSHA, 2),
			},
			want:   ConclusionFailure,
			title:  "Changes requested by @dave and @bob · 0 of 1 approvals · 2 of 2 checklist items",
			placed: map[int64]string{1: "blocking", 2: "blocking"},
		},
		{
			name:    "approval of an old commit with stale dismiss",
			reviews: []Review{rv(1, "bob", ReviewApproved, oldSHA, 1)},
			want:    ConclusionFailure,
			title:   "0 of 1 approvals · 2 of 2 checklist items",
			placed:  map[int64]string{1: "stale"},
			detail:  map[int64]string{1: "@bob approved 89abcde, not the head commit 1234567"},
			missing: []string{
				"1 more approval from someone with write access other than @alice",
				"Ask @bob to approve again: their approval was for 89abcde, the head is now 1234567",
			},
		},
		{
			name:    "approval of an old commit with stale keep",
			policy:  func(p *Policy) { p.StaleApprovals = StaleKeep },
			reviews: []Review{rv(1, "bob", ReviewApproved, oldSHA, 1)},
			want:    ConclusionSuccess,
			placed:  map[int64]string{1: "counted"},
		},
		{
			name:    "an unset stale policy dismisses",
			policy:  func(p *Policy) { p.StaleApprovals = "" },
			reviews: []Review{rv(1, "bob", ReviewApproved, oldSHA, 1)},
			want:    ConclusionFailure,
			placed:  map[int64]string{1: "stale"},
		},
		{
			name:    "reviewer with read permission",
			reviews: []Review{rv(1, "carol", ReviewApproved, headSHA, 1)},
			want:    ConclusionFailure,
			placed:  map[int64]string{1: "permission"},
			detail:  map[int64]string{1: "@carol has read access; approvals count from write access up"},
		},
		{
			name:    "read suffices when the policy says so",
			policy:  func(p *Policy) { p.ApproverPermission = PermissionRead },
			reviews: []Review{rv(1, "carol", ReviewApproved, headSHA, 1)},
			want:    ConclusionSuccess,
			placed:  map[int64]string{1: "counted"},
		},
		{
			name:    "reviewer whose permission is unknown",
			reviews: []Review{rv(1, "mallory", ReviewApproved, headSHA, 1)},
			want:    ConclusionFailure,
			placed:  map[int64]string{1: "unknown-permission"},
			detail:  map[int64]string{1: "@mallory's permission on the repository is unknown"},
		},
		{
			name:    "permissions looked up case-insensitively",
			perms:   func(m map[string]Permission) { m["Mallory"] = PermissionMaintain },
			reviews: []Review{rv(1, "mallory", ReviewApproved, headSHA, 1)},
			want:    ConclusionSuccess,
			placed:  map[int64]string{1: "counted"},
		},
		{
			name: "logins that differ only in case take the lowest role",
			perms: func(m map[string]Permission) {
				m["Mallory"] = PermissionAdmin
				m["MALLORY"] = PermissionRead
			},
			reviews: []Review{rv(1, "mallory", ReviewApproved, headSHA, 1)},
			want:    ConclusionFailure,
			placed:  map[int64]string{1: "permission"},
		},
		{
			name:    "two approvals required, one dismissed",
			policy:  func(p *Policy) { p.Approvals = 2 },
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1), rv(2, "dave", ReviewDismissed, headSHA, 2)},
			want:    ConclusionFailure,
			title:   "1 of 2 approvals · 2 of 2 checklist items",
			placed:  map[int64]string{1: "counted", 2: "dismissed"},
			missing: []string{"1 more approval from someone with write access other than @alice"},
		},
		{
			name:    "two approvals required, none given",
			policy:  func(p *Policy) { p.Approvals = 2 },
			want:    ConclusionFailure,
			title:   "0 of 2 approvals · 2 of 2 checklist items",
			placed:  map[int64]string{},
			missing: []string{"2 more approvals from people with write access other than @alice"},
		},
		{
			name:    "more approvals than required",
			policy:  func(p *Policy) { p.Approvals = 2 },
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1), rv(2, "dave", ReviewApproved, headSHA, 2), rv(3, "erin", ReviewApproved, headSHA, 3)},
			want:    ConclusionSuccess,
			title:   "2 of 2 approvals · 2 of 2 checklist items",
			placed:  map[int64]string{1: "counted", 2: "counted", 3: "counted"},
		},
		{
			name: "a later dismissal removes an earlier approval",
			reviews: []Review{
				rv(1, "bob", ReviewApproved, headSHA, 1),
				rv(2, "bob", ReviewDismissed, headSHA, 2),
			},
			want:   ConclusionFailure,
			placed: map[int64]string{1: "superseded", 2: "dismissed"},
		},
		{
			name: "comment-only review after an approval",
			reviews: []Review{
				rv(1, "bob", ReviewApproved, headSHA, 1),
				rv(2, "bob", ReviewCommented, headSHA, 2),
			},
			want:   ConclusionSuccess,
			title:  "1 of 1 approvals · 2 of 2 checklist items",
			placed: map[int64]string{1: "counted", 2: "commented"},
		},
		{
			name: "comment-only review after changes requested",
			reviews: []Review{
				rv(1, "erin", ReviewApproved, headSHA, 1),
				rv(2, "bob", ReviewChangesRequested, headSHA, 2),
				rv(3, "bob", ReviewCommented, headSHA, 3),
			},
			want:   ConclusionFailure,
			placed: map[int64]string{1: "counted", 2: "blocking", 3: "commented"},
		},
		{
			name: "pending and unknown states change nothing",
			reviews: []Review{
				rv(1, "bob", ReviewApproved, headSHA, 1),
				{ID: 2, Reviewer: "bob", State: ReviewPending, CommitID: headSHA},
				rv(3, "bob", "SOMETHING_NEW", headSHA, 3),
			},
			want:   ConclusionSuccess,
			placed: map[int64]string{1: "counted", 2: "pending", 3: "unknown-state"},
		},
		{
			name: "deleted user",
			reviews: []Review{
				rv(1, "", ReviewApproved, headSHA, 1),
				rv(2, "", ReviewChangesRequested, headSHA, 2),
			},
			want:   ConclusionFailure,
			title:  "0 of 1 approvals · 2 of 2 checklist items",
			placed: map[int64]string{1: "deleted-user", 2: "deleted-user"},
		},
		{
			name:    "checklist fully ticked",
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionSuccess,
			placed:  map[int64]string{1: "counted"},
			items:   []ItemState{ItemTicked, ItemTicked},
		},
		{
			name:    "checklist partly ticked",
			pr:      func(pr *PullRequest) { pr.Body = "- [x] Sufficient test coverage\n- [ ] Rollback tested\n" },
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionFailure,
			title:   "1 of 1 approvals · 1 of 2 checklist items",
			placed:  map[int64]string{1: "counted"},
			missing: []string{"Tick “Rollback tested” in the description"},
			items:   []ItemState{ItemTicked, ItemUnticked},
		},
		{
			name:   "checklist missing entirely",
			pr:     func(pr *PullRequest) { pr.Body = "" },
			want:   ConclusionFailure,
			title:  "0 of 1 approvals · 0 of 2 checklist items",
			placed: map[int64]string{},
			missing: []string{
				"1 more approval from someone with write access other than @alice",
				"Add “- [x] Sufficient test coverage” to the description",
				"Add “- [x] Rollback tested” to the description",
			},
			items: []ItemState{ItemMissing, ItemMissing},
		},
		{
			name:    "items inside a code fence don't count",
			pr:      func(pr *PullRequest) { pr.Body = "- [x] Sufficient test coverage\n```md\n- [x] Rollback tested\n```\n" },
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionFailure,
			title:   "1 of 1 approvals · 1 of 2 checklist items",
			placed:  map[int64]string{1: "counted"},
			items:   []ItemState{ItemTicked, ItemMissing},
		},
		{
			name: "items inside an HTML comment don't count",
			pr: func(pr *PullRequest) {
				pr.Body = "<!--\n- [x] Sufficient test coverage\n-->\n- [x] Rollback tested <!-- - [x] Sufficient test coverage -->"
			},
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionFailure,
			title:   "1 of 1 approvals · 1 of 2 checklist items",
			placed:  map[int64]string{1: "counted"},
			items:   []ItemState{ItemMissing, ItemTicked},
		},
		{
			name: "CRLF body",
			pr: func(pr *PullRequest) {
				pr.Body = "Intro\r\n\r\n- [x] Sufficient test coverage\r\n- [x] Rollback tested\r\n"
			},
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionSuccess,
			placed:  map[int64]string{1: "counted"},
			items:   []ItemState{ItemTicked, ItemTicked},
		},
		{
			name:    "items match ignoring case, whitespace and trailing punctuation",
			pr:      func(pr *PullRequest) { pr.Body = "  * [X]   SUFFICIENT   Test\tcoverage.\n    + [x] rollback tested!" },
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionSuccess,
			placed:  map[int64]string{1: "counted"},
			items:   []ItemState{ItemTicked, ItemTicked},
		},
		{
			name:    "only skip paths changed: checklist not required",
			pr:      func(pr *PullRequest) { pr.Body = "" },
			files:   docsOnly,
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionSuccess,
			title:   "1 of 1 approvals · checklist not required (only docs/** changed)",
			placed:  map[int64]string{1: "counted"},
			missing: []string{},
			items:   []ItemState{ItemMissing, ItemMissing},
		},
		{
			name:    "skip reason names every pattern used",
			pr:      func(pr *PullRequest) { pr.Body = "" },
			files:   []string{"README.md", "docs/a.md"},
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionSuccess,
			title:   "1 of 1 approvals · checklist not required (only docs/** and *.md changed)",
			placed:  map[int64]string{1: "counted"},
		},
		{
			name:    "docs and code changed: checklist required",
			pr:      func(pr *PullRequest) { pr.Body = "" },
			files:   append(slices.Clone(docsOnly), "src/main.go"),
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionFailure,
			title:   "1 of 1 approvals · 0 of 2 checklist items",
			placed:  map[int64]string{1: "counted"},
		},
		{
			name:    "an empty file list is not only skip paths",
			pr:      func(pr *PullRequest) { pr.Body = "" },
			files:   []string{},
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionFailure,
			title:   "1 of 1 approvals · 0 of 2 checklist items",
			placed:  map[int64]string{1: "counted"},
		},
		{
			name:    "skip path excludes",
			policy:  func(p *Policy) { p.ChecklistSkipPaths = []string{"docs/**", "!docs/runbooks/**"} },
			pr:      func(pr *PullRequest) { pr.Body = "" },
			files:   []string{"docs/runbooks/rollback.md"},
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionFailure,
			title:   "1 of 1 approvals · 0 of 2 checklist items",
			placed:  map[int64]string{1: "counted"},
		},
		{
			name:    "no checklist configured",
			policy:  func(p *Policy) { p.Checklist = nil },
			pr:      func(pr *PullRequest) { pr.Body = "" },
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionSuccess,
			title:   "1 of 1 approvals",
			placed:  map[int64]string{1: "counted"},
		},
		{
			name:    "no approvals required",
			policy:  func(p *Policy) { p.Approvals = 0 },
			want:    ConclusionSuccess,
			title:   "no approvals required · 2 of 2 checklist items",
			placed:  map[int64]string{},
			missing: []string{},
		},
		{
			name:    "draft is neutral but explained",
			pr:      func(pr *PullRequest) { pr.Draft = true; pr.Body = "- [ ] Rollback tested" },
			reviews: []Review{rv(1, "bob", ReviewApproved, oldSHA, 1)},
			want:    ConclusionNeutral,
			title:   "Not evaluated while draft",
			placed:  map[int64]string{1: "stale"},
			missing: []string{
				"Mark the pull request ready for review: drafts are not evaluated",
				"1 more approval from someone with write access other than @alice",
				"Ask @bob to approve again: their approval was for 89abcde, the head is now 1234567",
				"Add “- [x] Sufficient test coverage” to the description",
				"Tick “Rollback tested” in the description",
			},
			items: []ItemState{ItemMissing, ItemUnticked},
		},
		{
			name:    "draft that would pass is still neutral",
			pr:      func(pr *PullRequest) { pr.Draft = true },
			reviews: []Review{rv(1, "bob", ReviewApproved, headSHA, 1)},
			want:    ConclusionNeutral,
			title:   "Not evaluated while draft",
			placed:  map[int64]string{1: "counted"},
			missing: []string{"Mark the pull request ready for review: drafts are not evaluated"},
		},
		{
			name: "a busy review history",
			policy: func(p *Policy) {
				p.Approvals = 2
			},
			reviews: []Review{
				rv(1, "bob", ReviewChangesRequested, oldSHA, 1),
				rv(2, "alice", ReviewCommented, oldSHA, 2),
				rv(3, "carol", ReviewApproved, oldSHA, 3),
				rv(4, "bob", ReviewCommented, headSHA, 4),
				rv(5, "bob", ReviewApproved, headSHA, 5),
				rv(6, "dave", ReviewApproved, oldSHA, 6),
				rv(7, "", ReviewApproved, headSHA, 7),
				rv(8, "erin", ReviewApproved, headSHA, 8),
				rv(9, "erin", ReviewCommented, headSHA, 9),
			},
			want:   ConclusionSuccess,
			title:  "2 of 2 approvals · 2 of 2 checklist items",
			placed: map[int64]string{1: "superseded", 2: "commented", 3: "permission", 4: "commented", 5: "counted", 6: "stale", 7: "deleted-user", 8: "counted", 9: "commented"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr, policy, perms := testPR(), testPolicy(), testPerms()
			files := []string{"src/main.go"}
			if tt.pr != nil {
				tt.pr(&pr)
			}
			if tt.policy != nil {
				tt.policy(&policy)
			}
			if tt.perms != nil {
				tt.perms(perms)
			}
			if tt.files != nil {
				files = tt.files
			}
			res := Evaluate(pr, tt.reviews, files, perms, policy)

			if res.Conclusion != tt.want {
				t.Errorf("Conclusion = %s, want %s (title %q, missing %q)", res.Conclusion, tt.want, res.Title, res.Missing)
			}
			if tt.title != "" && res.Title != tt.title {
				t.Errorf("Title = %q, want %q", res.Title, tt.title)
			}
			if got := placement(res); !reflect.DeepEqual(got, tt.placed) {
				t.Errorf("placement = %v, want %v", got, tt.placed)
			}
			checkAccounted(t, tt.reviews, res)
			if tt.missing != nil && !slices.Equal(res.Missing, tt.missing) {
				t.Errorf("Missing = %q, want %q", res.Missing, tt.missing)
			}
			for id, want := range tt.detail {
				if got := detailOf(res, id); !strings.Contains(got, want) {
					t.Errorf("detail of review %d = %q, want it to contain %q", id, got, want)
				}
			}
			if tt.items != nil {
				var got []ItemState
				for _, it := range res.Checklist.Items {
					got = append(got, it.State)
				}
				if !slices.Equal(got, tt.items) {
					t.Errorf("checklist states = %v, want %v", got, tt.items)
				}
			}
			// Success and an empty Missing go together, or the summary
			// would tell the author nothing or the wrong thing.
			if !pr.Draft && (res.Conclusion == ConclusionSuccess) != (len(res.Missing) == 0) {
				t.Errorf("Conclusion %s with Missing %q", res.Conclusion, res.Missing)
			}
		})
	}
}

func detailOf(res Result, id int64) string {
	for _, r := range res.Approvals.Counted {
		if r.Review.ID == id {
			return r.Detail
		}
	}
	for _, r := range slices.Concat(res.Approvals.NotCounted, res.Approvals.Blocking) {
		if r.Review.ID == id {
			return r.Detail
		}
	}
	return ""
}

// Every input review is accounted for exactly once, including exact
// duplicates, ghosts and states nobody knows, whatever the input order.
func TestEvaluateAccountsForEveryReview(t *testing.T) {
	reviews := []Review{
		rv(1, "bob", ReviewApproved, oldSHA, 1),
		rv(1, "bob", ReviewApproved, oldSHA, 1), // the same review listed twice
		rv(2, "bob", ReviewChangesRequested, headSHA, 2),
		rv(3, "", ReviewApproved, headSHA, 3),
		rv(4, "", ReviewApproved, headSHA, 3),
		rv(5, "carol", ReviewDismissed, headSHA, 4),
		rv(6, "carol", ReviewDismissed, headSHA, 5),
		rv(7, "dave", ReviewPending, headSHA, 0),
		rv(8, "dave", "WEIRD", headSHA, 6),
		rv(9, "alice", ReviewApproved, headSHA, 7),
		rv(10, "erin", ReviewApproved, headSHA, 8),
		rv(11, "Erin", ReviewCommented, headSHA, 9),
		rv(12, "mallory", ReviewChangesRequested, headSHA, 10),
	}
	for shift := range reviews {
		in := slices.Concat(reviews[shift:], reviews[:shift])
		res := Evaluate(testPR(), in, nil, testPerms(), testPolicy())
		checkAccounted(t, in, res)
		if len(res.Approvals.Counted) != 1 || res.Approvals.Counted[0].Review.ID != 10 {
			t.Errorf("shift %d: counted %+v, want only review 10", shift, res.Approvals.Counted)
		}
		if len(res.Approvals.Blocking) != 1 || res.Approvals.Blocking[0].Review.ID != 2 {
			t.Errorf("shift %d: blocking %+v, want only review 2", shift, res.Approvals.Blocking)
		}
	}
}

// The same reviews in any order give the same result, in review order.
func TestEvaluateDeterministic(t *testing.T) {
	reviews := []Review{
		rv(5, "bob", ReviewApproved, headSHA, 5),
		rv(3, "carol", ReviewApproved, headSHA, 3),
		rv(4, "dave", ReviewCommented, headSHA, 3),
		rv(1, "erin", ReviewApproved, oldSHA, 1),
		rv(2, "", ReviewCommented, headSHA, 2),
		rv(6, "dave", ReviewChangesRequested, headSHA, 6),
	}
	want := Evaluate(testPR(), reviews, nil, testPerms(), testPolicy())
	var ids []int64
	for _, r := range want.Approvals.NotCounted {
		ids = append(ids, r.Review.ID)
	}
	if !slices.Equal(ids, []int64{1, 2, 3, 4}) {
		t.Errorf("NotCounted in order %v, want [1 2 3 4]", ids)
	}
	for i := range 20 {
		in := slices.Clone(reviews)
		// A fixed, varied permutation: no randomness in tests.
		for j := range in {
			k := (j*7 + i*3) % len(in)
			in[j], in[k] = in[k], in[j]
		}
		got := Evaluate(testPR(), in, nil, testPerms(), testPolicy())
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("permutation %d gave a different result:\n got %+v\nwant %+v", i, got, want)
		}
	}
}

func TestEvaluateDoesNotModifyInput(t *testing.T) {
	reviews := []Review{rv(2, "bob", ReviewApproved, headSHA, 2), rv(1, "bob", ReviewChangesRequested, headSHA, 1)}
	before := slices.Clone(reviews)
	policy := testPolicy()
	Evaluate(testPR(), reviews, []string{"docs/a"}, testPerms(), policy)
	if !slices.Equal(reviews, before) {
		t.Errorf("reviews reordered: %v", reviews)
	}
	if !slices.Equal(policy.ChecklistSkipPaths, testPolicy().ChecklistSkipPaths) {
		t.Errorf("policy modified")
	}
}

func TestPermission(t *testing.T) {
	for _, p := range []Permission{PermissionRead, PermissionTriage, PermissionWrite, PermissionMaintain, PermissionAdmin} {
		got, err := ParsePermission(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePermission(%q) = %v, %v; want %v", p.String(), got, err, p)
		}
	}
	for _, s := range []string{"", "none", "Write", " write", "owner"} {
		if _, err := ParsePermission(s); err == nil {
			t.Errorf("ParsePermission(%q) succeeded, want an error", s)
		}
	}
	if got := PermissionNone.String(); got != "none" {
		t.Errorf("PermissionNone = %q", got)
	}
	if got := Permission(42).String(); got != "Permission(42)" {
		t.Errorf("Permission(42) = %q", got)
	}
	if !(PermissionNone < PermissionRead && PermissionRead < PermissionTriage && PermissionTriage < PermissionWrite &&
		PermissionWrite < PermissionMaintain && PermissionMaintain < PermissionAdmin) {
		t.Error("permissions are not ordered")
	}
}

func ExampleEvaluate() {
	pr := PullRequest{Number: 7, Author: "alice", HeadSHA: "1234567aaa", Body: "- [x] Rollback tested\n- [ ] Sufficient test coverage"}
	reviews := []Review{{ID: 1, Reviewer: "bob", State: ReviewApproved, CommitID: "1234567aaa"}}
	policy := DefaultPolicy()
	policy.Checklist = []string{"Sufficient test coverage", "Rollback tested"}
	res := Evaluate(pr, reviews, []string{"main.go"}, map[string]Permission{"bob": PermissionWrite}, policy)
	fmt.Println(res.Conclusion)
	fmt.Println(res.Title)
	for _, m := range res.Missing {
		fmt.Println(m)
	}
	// Output:
	// failure
	// 1 of 1 approvals · 1 of 2 checklist items
	// Tick “Sufficient test coverage” in the description
}

// Map order is random, so ask many times: the answer must never vary.
func TestLookupPermissionFoldedKeysTakeLowest(t *testing.T) {
	perms := map[string]Permission{"Mallory": PermissionAdmin, "MALLORY": PermissionRead, "mAllory": PermissionMaintain, "bob": PermissionWrite}
	for range 100 {
		if p, ok := lookupPermission(perms, "mallory"); !ok || p != PermissionRead {
			t.Fatalf("lookupPermission(mallory) = %v, %v; want read, true", p, ok)
		}
	}
	if p, ok := lookupPermission(perms, "MALLORY"); !ok || p != PermissionRead {
		t.Errorf("exact key: got %v, %v", p, ok)
	}
	if _, ok := lookupPermission(perms, "carol"); ok {
		t.Error("carol found")
	}
}
