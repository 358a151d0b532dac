package githubapp

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/checks"
)

func TestPullRequestOf(t *testing.T) {
	tests := []struct {
		name, json string
		want       checks.PullRequest
	}{
		{"open", `{"number":12,"user":{"login":"alice"},"head":{"sha":"abc"},"body":"- [x] tested","draft":false}`,
			checks.PullRequest{Number: 12, Author: "alice", HeadSHA: "abc", Body: "- [x] tested"}},
		{"draft without a description", `{"number":3,"user":{"login":"bob"},"head":{"sha":"def"},"body":null,"draft":true}`,
			checks.PullRequest{Number: 3, Author: "bob", HeadSHA: "def", Draft: true}},
		{"author's account deleted", `{"number":4,"user":null,"head":{"sha":"fed"}}`,
			checks.PullRequest{Number: 4, HeadSHA: "fed"}},
	}
	for _, tc := range tests {
		var pr github.PullRequest
		if err := json.Unmarshal([]byte(tc.json), &pr); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := PullRequestOf(&pr); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestReviewOf(t *testing.T) {
	at := time.Date(2026, 11, 2, 10, 4, 5, 0, time.UTC)
	tests := []struct {
		name, json string
		want       checks.Review
	}{
		{"approved", `{"id":7,"user":{"login":"wes"},"state":"APPROVED","commit_id":"abc","submitted_at":"2026-11-02T10:04:05Z"}`,
			checks.Review{ID: 7, Reviewer: "wes", State: checks.ReviewApproved, CommitID: "abc", SubmittedAt: at}},
		{"changes requested", `{"id":8,"user":{"login":"ana"},"state":"CHANGES_REQUESTED","commit_id":"def","submitted_at":"2026-11-02T10:04:05Z"}`,
			checks.Review{ID: 8, Reviewer: "ana", State: checks.ReviewChangesRequested, CommitID: "def", SubmittedAt: at}},
		{"reviewer's account deleted", `{"id":9,"user":null,"state":"APPROVED","commit_id":"abc"}`,
			checks.Review{ID: 9, State: checks.ReviewApproved, CommitID: "abc"}},
	}
	for _, tc := range tests {
		var r github.PullRequestReview
		if err := json.Unmarshal([]byte(tc.json), &r); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := ReviewOf(&r)
		if got.ID != tc.want.ID || got.Reviewer != tc.want.Reviewer || got.State != tc.want.State ||
			got.CommitID != tc.want.CommitID || !got.SubmittedAt.Equal(tc.want.SubmittedAt) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
