package app

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/serverconfig"
)

// New logs what the configuration found risky, such as a secret on the
// command line, and never the secret itself.
func TestNewLogsConfigWarnings(t *testing.T) {
	cfg, err := serverconfig.ParseConfig([]string{"--github-webhook-secret", "s3cret", "--slack-bot-token=xoxb-1", "--workers", "2"},
		func(k string) string { return map[string]string{"WAVEGATE_GITHUB_PRIVATE_KEY": "---PEM---"}[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	fake := newFake(t)
	base := newConfig(t, fake, false)
	cfg.DataDir, cfg.GitHubAPIURL = base.DataDir, base.GitHubAPIURL
	a, err := New(t.Context(), cfg, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	a.store.Close()
	if got := strings.Count(log.String(), "level=WARN msg=\"--"); got != 2 || strings.Contains(log.String(), "s3cret") {
		t.Errorf("%d warnings about flags in the log (want 2, without the secret):\n%s", got, log.String())
	}
}
