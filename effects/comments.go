package effects

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/store"
)

// Outbox kinds that answer a /deploy comment.
const (
	KindReaction = "comment-reaction"
	KindReply    = "comment-reply"
)

// maxReplyBody keeps a reply under GitHub's 65,536-character comment limit,
// with room for the marker line.
const maxReplyBody = 65_000

type reactionPayload struct {
	Repository string `json:"repository"`
	CommentID  int64  `json:"comment_id"`
	Content    string `json:"content"`
}

type replyPayload struct {
	Repository string `json:"repository"`
	Issue      int    `json:"issue"`
	Body       string `json:"body"`
}

// commandKey keys a comment's answer by the command request that made it,
// so a redelivered comment reacts and replies once.
func commandKey(repository, requestID, what string) string {
	return strings.ToLower(repository) + "/command/" + requestID + "/" + what
}

// ReactionEffect asks for a reaction ("+1", "-1") on an issue comment.
func ReactionEffect(repository string, commentID int64, content, requestID string, now time.Time) (store.Effect, error) {
	payload, err := json.Marshal(reactionPayload{Repository: repository, CommentID: commentID, Content: content})
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Key: commandKey(repository, requestID, "reaction"), Kind: KindReaction, Payload: payload, CreatedAt: now}, nil
}

// ReplyEffect asks for a new comment on an issue or pull request.
func ReplyEffect(repository string, issue int, body, requestID string, now time.Time) (store.Effect, error) {
	payload, err := json.Marshal(replyPayload{Repository: repository, Issue: issue, Body: truncateRunes(body, maxReplyBody)})
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Key: commandKey(repository, requestID, "reply"), Kind: KindReply, Payload: payload, CreatedAt: now}, nil
}

// CommandAnswers performs the reactions and replies to /deploy comments.
type CommandAnswers struct {
	GitHub GitHubSource
}

// PerformReaction reacts to the comment. GitHub answers a repeated
// reaction with the one already there, so a retry needs no check.
func (c *CommandAnswers) PerformReaction(ctx context.Context, e store.Effect) ([]byte, error) {
	var p reactionPayload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, fmt.Errorf("decode reaction %s: %w", e.Key, err)
	}
	client, err := c.GitHub(ctx, p.Repository)
	if err != nil {
		return nil, err
	}
	owner, name, _ := strings.Cut(p.Repository, "/")
	if _, _, err := client.Reactions.CreateIssueCommentReaction(ctx, owner, name, p.CommentID, p.Content); err != nil {
		if isNotFound(err) {
			return nil, nil // the comment was deleted: nothing left to react to
		}
		return nil, fmt.Errorf("react %s to comment %d of %s: %w", p.Content, p.CommentID, p.Repository, err)
	}
	return nil, nil
}

// PerformReply posts the reply. Its first line is a hidden marker with the
// effect's key, so that a retry after a crash finds a reply already posted
// instead of posting it twice.
func (c *CommandAnswers) PerformReply(ctx context.Context, e store.Effect) ([]byte, error) {
	var p replyPayload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return nil, fmt.Errorf("decode reply %s: %w", e.Key, err)
	}
	client, err := c.GitHub(ctx, p.Repository)
	if err != nil {
		return nil, err
	}
	owner, name, _ := strings.Cut(p.Repository, "/")
	marker := "<!-- wavegate:reply " + e.Key + " -->"
	if e.Attempts > 1 {
		if id, err := findComment(ctx, client, owner, name, p.Issue, marker); err != nil {
			return nil, err
		} else if id != 0 {
			return nil, nil
		}
	}
	body := marker + "\n" + p.Body
	if _, _, err := client.Issues.CreateComment(ctx, owner, name, p.Issue, &github.IssueComment{Body: &body}); err != nil {
		return nil, fmt.Errorf("reply on %s#%d: %w", p.Repository, p.Issue, err)
	}
	return nil, nil
}
