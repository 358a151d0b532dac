package checks

import (
	"strings"
	"testing"
	"time"
)

// checklistSeeds are bodies that have broken Markdown parsers before:
// unclosed constructs, odd line endings, deep nesting, invalid UTF-8.
func checklistSeeds() []string {
	return []string{
		"",
		"- [x] Rollback tested",
		"- [ ] Rollback tested\r\n* [X] Sufficient test coverage\r\n",
		"```\n- [x] hidden",
		"~~~~\n- [x] hidden\n~~~\n- [x] still hidden",
		"<!--\n- [x] hidden",
		"- [x] a <!-- b",
		"<!-- a --> <!-- b\n-->\n- [x] c",
		"> - [x] quoted\n> ```\n- [x] shown",
		strings.Repeat("- ", 10000) + "[x] deep",
		strings.Repeat("1. ", 5000) + "[ ] deep ordered",
		"\r\r\n\n\r- [x] a\r",
		"- [x] \xff\xfe\x00 invalid",
		"\xef\xbb\xbf- [x] after a BOM",
		"- [x]\t\u00a0Rollback\u2003tested\u3002",
		"```x```\n``` ` ```\n- [x] after",
		"<!---->- [x] a\n<!-->\n- [x] b",
		"- [x" + strings.Repeat("]", 100),
	}
}

func FuzzParseChecklist(f *testing.F) {
	for _, s := range checklistSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		entries := ParseChecklist(body)
		lines := 1 + strings.Count(strings.ReplaceAll(body, "\r\n", "\n"), "\n") + strings.Count(strings.ReplaceAll(body, "\r\n", "\n"), "\r")
		prev := 0
		for _, e := range entries {
			if e.Line <= prev || e.Line > lines {
				t.Fatalf("entry %+v: line out of order or beyond %d lines (previous %d)", e, lines, prev)
			}
			prev = e.Line
			if e.Text == "" || e.Text != strings.TrimSpace(e.Text) || strings.ContainsAny(e.Text, "\r\n") {
				t.Fatalf("entry %+v: text must be one trimmed, non-empty line", e)
			}
			if strings.Contains(e.Text, "<!--") {
				t.Fatalf("entry %+v: comment left in text", e)
			}
		}
		// Line endings never change what is found, nor where.
		if !strings.Contains(body, "\r") {
			got := ParseChecklist(strings.ReplaceAll(body, "\n", "\r\n"))
			if len(got) != len(entries) {
				t.Fatalf("CRLF found %d entries, LF %d", len(got), len(entries))
			}
			for i := range got {
				if got[i] != entries[i] {
					t.Fatalf("CRLF entry %+v, LF entry %+v", got[i], entries[i])
				}
			}
		}
		// Whatever follows an unclosed fence or comment is never counted.
		for _, opener := range []string{"\n```\n", "\n<!--\n"} {
			if n := len(ParseChecklist(body + opener + "- [x] after")); n > len(entries) && !endsOpen(body) {
				t.Fatalf("an item after %q was counted", opener)
			}
		}
	})
}

// endsOpen reports whether body ends inside a fence or comment, in which
// case what follows might close it rather than open a new one.
func endsOpen(body string) bool {
	return len(ParseChecklist(body+"\n- [x] probe")) == len(ParseChecklist(body))
}

func FuzzEvaluate(f *testing.F) {
	for i, s := range checklistSeeds() {
		f.Add(s, "alice", "bob", string(ReviewApproved), headSHA, headSHA, i%2 == 0, int64(i))
	}
	f.Add(tickedBody, "alice", "alice", string(ReviewChangesRequested), oldSHA, headSHA, false, int64(-1))
	f.Add(tickedBody, "", "", "", "", "", false, int64(0))
	f.Add(tickedBody, "Bob", "bob", string(ReviewDismissed), "", headSHA, true, int64(1<<40))
	f.Fuzz(func(t *testing.T, body, author, reviewer, state, commit, head string, draft bool, unix int64) {
		pr := PullRequest{Number: 1, Author: author, HeadSHA: head, Body: body, Draft: draft}
		base := time.Unix(unix, 0)
		reviews := []Review{
			{ID: 1, Reviewer: reviewer, State: ReviewState(state), CommitID: commit, SubmittedAt: base},
			{ID: 2, Reviewer: reviewer, State: ReviewCommented, CommitID: head, SubmittedAt: base.Add(time.Minute)},
			{ID: 3, Reviewer: "erin", State: ReviewApproved, CommitID: commit, SubmittedAt: base.Add(-time.Minute)},
			{ID: 3, Reviewer: "erin", State: ReviewApproved, CommitID: commit, SubmittedAt: base.Add(-time.Minute)},
			{ID: 4, Reviewer: author, State: ReviewApproved, CommitID: head, SubmittedAt: base},
		}
		perms := map[string]Permission{reviewer: PermissionWrite, "erin": PermissionRead}
		policy := testPolicy()
		policy.Checklist = append(policy.Checklist, body)
		res := Evaluate(pr, reviews, []string{"docs/" + reviewer}, perms, policy)

		checkAccounted(t, reviews, res)
		switch res.Conclusion {
		case ConclusionNeutral:
			if !draft {
				t.Fatal("neutral but not a draft")
			}
		case ConclusionSuccess, ConclusionFailure:
			if draft {
				t.Fatalf("draft concluded %s", res.Conclusion)
			}
			if (res.Conclusion == ConclusionSuccess) != (len(res.Missing) == 0) {
				t.Fatalf("conclusion %s with missing %q", res.Conclusion, res.Missing)
			}
		default:
			t.Fatalf("conclusion %q", res.Conclusion)
		}
		if res.Title == "" {
			t.Fatal("empty title")
		}
		if !strings.ContainsAny(author+reviewer, "\r\n") && strings.ContainsAny(res.Title, "\r\n") {
			t.Fatalf("title spans lines: %q", res.Title)
		}
		if len(res.Checklist.Items) != len(policy.Checklist) {
			t.Fatalf("%d checklist items for %d configured", len(res.Checklist.Items), len(policy.Checklist))
		}
		for _, c := range res.Approvals.Counted {
			if author != "" && strings.EqualFold(c.Review.Reviewer, author) {
				t.Fatalf("the author's approval counted: %+v", c)
			}
			if c.Review.Reviewer == "" || c.Review.State != ReviewApproved {
				t.Fatalf("counted %+v", c)
			}
		}
	})
}
