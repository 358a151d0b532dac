package effects

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
)

func answersOnFake(t *testing.T) (*githubfake.Server, *CommandAnswers) {
	t.Helper()
	fake := githubfake.New(t)
	fake.AddInstallation(1, "acme")
	fake.AddRepo("acme", "api", githubfake.RepoOpts{InstallationID: 1, DefaultBranch: "main"})
	fake.AddPull("acme/api", githubfake.Pull{Number: 7, User: "dave"})
	clients, err := githubapp.New(githubapp.Config{AppID: 1, PrivateKey: githubfake.AppKeyPEM(t), BaseURL: fake.URL(), Clock: clock.NewFake(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	client, err := clients.Installation(1)
	if err != nil {
		t.Fatal(err)
	}
	return fake, &CommandAnswers{GitHub: func(context.Context, string) (*github.Client, error) { return client, nil }}
}

func TestReactionAndReplyPerformedOnceAcrossRetries(t *testing.T) {
	fake, answers := answersOnFake(t)
	ctx := context.Background()
	cid := fake.AddComment("acme/api", 7, "bob", "/deploy rollback")
	now := time.Now()

	reaction, err := ReactionEffect("acme/api", cid, "-1", "d-1", now)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := ReplyEffect("acme/api", 7, "@bob\n\n> /deploy rollback\n\n**Not understood:** needs --reason", "d-1", now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reaction.Key, "d-1") || !strings.Contains(reply.Key, "d-1") || reaction.Key == reply.Key {
		t.Fatalf("keys %s and %s: want both the request's, apart", reaction.Key, reply.Key)
	}
	// First attempt, then a retry after a crash that came after the calls.
	for attempt := 1; attempt <= 2; attempt++ {
		reaction.Attempts, reply.Attempts = attempt, attempt
		if _, err := answers.PerformReaction(ctx, reaction); err != nil {
			t.Fatal(err)
		}
		if _, err := answers.PerformReply(ctx, reply); err != nil {
			t.Fatal(err)
		}
	}
	var replies []string
	for _, c := range fake.Comments("acme/api", 7) {
		if c.ID == cid {
			if len(c.Reactions) != 1 || c.Reactions[0].Content != "-1" {
				t.Errorf("reactions %+v, want one -1", c.Reactions)
			}
			continue
		}
		replies = append(replies, c.Body)
	}
	if len(replies) != 1 || !strings.Contains(replies[0], "**Not understood:** needs --reason") {
		t.Fatalf("replies %q, want one", replies)
	}
	if n := fake.Count(http.MethodPost, "/repos/{owner}/{repo}/issues/{issue_number}/comments"); n != 1 {
		t.Errorf("posted %d replies, want 1", n)
	}
}

func TestReactionToADeletedCommentIsDone(t *testing.T) {
	fake, answers := answersOnFake(t)
	cid := fake.AddComment("acme/api", 7, "bob", "/deploy approve")
	fake.DeleteComment("acme/api", cid)
	e, err := ReactionEffect("acme/api", cid, "+1", "d-2", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := answers.PerformReaction(context.Background(), e); err != nil {
		t.Fatalf("reacting to a deleted comment: %v, want done", err)
	}
}
