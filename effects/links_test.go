package effects

import (
	"context"
	"testing"
	"time"

	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

type fakeCheckRuns map[string]int64

func (f fakeCheckRuns) SaveCheckRun(context.Context, string, string, string, int64, time.Time) error {
	return nil
}

func (f fakeCheckRuns) CheckRun(_ context.Context, repo, sha, name string) (int64, error) {
	id, ok := f[repo+"@"+sha+":"+name]
	if !ok {
		return 0, store.ErrNotFound
	}
	return id, nil
}

func TestDeploymentLogPointsToTheReportOnceItExists(t *testing.T) {
	l := Links{Web: "https://github.example", CheckRuns: fakeCheckRuns{"acme/api@abc:wavegate/deploy (app)": 9}}
	for _, tt := range []struct{ sha, want string }{
		{"abc", "https://github.example/acme/api/runs/9"},
		{"def", "https://github.example/acme/api/commit/def/checks"},
	} {
		if got := l.DeploymentLog(t.Context(), "acme/api", "app", tt.sha); got != tt.want {
			t.Errorf("log of %s: %s, want %s", tt.sha, got, tt.want)
		}
	}
}

func TestOutboxKeyIgnoresTheRepositoryNamesCase(t *testing.T) {
	a := OutboxKey(pipeline.Key{Repository: "Acme/API", Pipeline: "App"}, "r1")
	if b := OutboxKey(pipeline.Key{Repository: "acme/api", Pipeline: "App"}, "r1"); a != b || a != "acme/api/App/r1" {
		t.Fatalf("keys %q and %q", a, b)
	}
}

// Slack turned off after a Slack effect was queued: the effect is done,
// not retried for ever.
func TestSlackEffectWithSlackOffIsDone(t *testing.T) {
	s := &Slack{}
	if _, err := s.Perform(t.Context(), store.Effect{Key: "k", Kind: KindSlack, Payload: []byte("not read")}); err != nil {
		t.Fatal(err)
	}
}
