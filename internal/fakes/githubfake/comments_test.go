package githubfake

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestCommentsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	s.AddPull(testRepo, Pull{Number: 7, User: "alice", HeadSHA: shaA, HeadRef: "feature"})
	human := s.AddComment(testRepo, 7, "alice", "/deploy status")
	gh := client(t, s, 1)

	c, resp, err := gh.Issues.CreateComment(ctx, "acme", "api", 7, &github.IssueComment{Body: ptr("Release 1: wave-1")})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v", err)
	}
	if c.GetUser().GetLogin() != "wavegate[bot]" || c.GetUser().GetType() != "Bot" {
		t.Errorf("comment author = %+v", c.GetUser())
	}
	if _, _, err := gh.Issues.EditComment(ctx, "acme", "api", c.GetID(), &github.IssueComment{Body: ptr("Release 1: wave-2")}); err != nil {
		t.Fatal(err)
	}
	list, _, err := gh.Issues.ListComments(ctx, "acme", "api", 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].GetID() != human || list[1].GetBody() != "Release 1: wave-2" {
		t.Errorf("list = %v", list)
	}
	got, _, err := gh.Issues.GetComment(ctx, "acme", "api", c.GetID())
	if err != nil || got.GetBody() != "Release 1: wave-2" {
		t.Fatalf("get: %v %v", got, err)
	}

	if resp, err := gh.Issues.DeleteComment(ctx, "acme", "api", c.GetID()); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v", err)
	}
	// What a "recreate a deleted comment" test relies on: editing it now is 404.
	if _, resp, _ := gh.Issues.EditComment(ctx, "acme", "api", c.GetID(), &github.IssueComment{Body: ptr("x")}); statusOf(resp) != 404 {
		t.Errorf("edit after delete: %d, want 404", statusOf(resp))
	}
	if _, resp, _ := gh.Issues.GetComment(ctx, "acme", "api", c.GetID()); statusOf(resp) != 404 {
		t.Errorf("get after delete: %d, want 404", statusOf(resp))
	}
	if got := s.Comments(testRepo, 7); len(got) != 1 || got[0].User != "alice" {
		t.Errorf("Comments = %+v", got)
	}
	s.DeleteComment(testRepo, human)
	if got := s.Comments(testRepo, 7); len(got) != 0 {
		t.Errorf("after DeleteComment: %+v", got)
	}

	if _, resp, _ := gh.Issues.CreateComment(ctx, "acme", "api", 8, &github.IssueComment{Body: ptr("x")}); statusOf(resp) != 404 {
		t.Errorf("comment on a missing PR: %d", statusOf(resp))
	}
	if _, resp, _ := gh.Issues.CreateComment(ctx, "acme", "api", 7, &github.IssueComment{Body: ptr(strings.Repeat("x", 65537))}); statusOf(resp) != 422 {
		t.Errorf("comment over 65536 chars: %d", statusOf(resp))
	}
}

func TestReactions(t *testing.T) {
	ctx := context.Background()
	s := newFake(t)
	s.AddPull(testRepo, Pull{Number: 7, User: "alice"})
	id := s.AddComment(testRepo, 7, "alice", "/deploy approve")
	gh := client(t, s, 1)

	r1, resp, err := gh.Reactions.CreateIssueCommentReaction(ctx, "acme", "api", id, "+1")
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("first: %v %v", statusOf(resp), err)
	}
	r2, resp, err := gh.Reactions.CreateIssueCommentReaction(ctx, "acme", "api", id, "+1")
	if err != nil || resp.StatusCode != http.StatusOK || r2.GetID() != r1.GetID() {
		t.Fatalf("repeat: %v %v, want 200 with the same reaction", statusOf(resp), err)
	}
	if _, resp, _ := gh.Reactions.CreateIssueCommentReaction(ctx, "acme", "api", 12345, "+1"); statusOf(resp) != 404 {
		t.Errorf("missing comment: %d", statusOf(resp))
	}
	got := s.Comments(testRepo, 7)[0].Reactions
	if len(got) != 1 || got[0].Content != "+1" || got[0].User != "wavegate[bot]" {
		t.Errorf("reactions = %+v", got)
	}
	c, _, err := gh.Issues.GetComment(ctx, "acme", "api", id)
	if err != nil || c.GetReactions().GetPlusOne() != 1 {
		t.Errorf("reaction counts = %+v, %v", c.GetReactions(), err)
	}
}
