package handlers

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/pipeline"
)

func TestReleaseCommits(t *testing.T) {
	push := func(after string, ids ...string) *github.PushEvent {
		e := &github.PushEvent{After: github.String(after)}
		for _, id := range ids {
			e.Commits = append(e.Commits, &github.HeadCommit{ID: github.String(id)})
		}
		return e
	}
	many := make([]string, pipeline.MaxReleaseCommits+5)
	for i := range many {
		many[i] = fmt.Sprintf("%040x", i)
	}
	tests := []struct {
		name string
		e    *github.PushEvent
		want []string
	}{
		{"the head alone", push("h", "h"), nil},
		{"besides the head, in order", push("h", "a", "b", "h"), []string{"a", "b"}},
		{"a force push with no commits", push("h"), nil},
		{"too many: the newest", push("h", many...), many[5:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := releaseCommits(tc.e); !slices.Equal(got, tc.want) {
				t.Fatalf("got %d commits %.3q, want %d", len(got), got, len(tc.want))
			}
		})
	}
}
