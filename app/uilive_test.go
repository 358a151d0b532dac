package app

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/testlog"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// The audit and metrics pages read the store, and a saved engine state
// reaches an open event stream; shutting down ends the stream at once.
func TestUIAuditMetricsAndLive(t *testing.T) {
	fake := newFake(t)
	cfg := newConfig(t, fake, true)
	cfg.UIPublic = true
	clk := clock.NewFake(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
	var log testlog.Buffer
	saved := make(chan pipeline.Key, 10)
	opts := logTo(&log)
	// The tests' own hook still runs beside the live updates'.
	opts.OnEngineSaved = func(k pipeline.Key, _ pipeline.Result) { saved <- k }
	r := startWith(t, cfg, fake, clk, opts)

	if _, err := r.app.store.RecordCommand(t.Context(), store.AuditEntry{RequestID: "d1/1", At: clk.Now().Add(-time.Minute),
		Repository: "acme/api", Pipeline: "prod", ReleaseID: 3, Login: "lead", Surface: store.SurfaceComment,
		Line: "/wavegate pause --reason incident 42", Verb: "pause", Reason: "incident 42", Decision: store.AuditAccepted, Why: "paused"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{"/ui/audit", "/wavegate pause --reason incident 42"},
		{"/ui/audit?repo=acme/api", `<a href="/ui/acme/api/prod/releases/3">#3</a>`},
		{"/ui/metrics?days=7", "Nothing was released, failed or restored in the last 7 days"},
	} {
		if code, body := r.get(tc.path); code != 200 || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s = %d, want 200 with %q:\n%s", tc.path, code, tc.want, body)
		}
	}

	req, _ := http.NewRequestWithContext(t.Context(), "GET", r.url+"/ui/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	readBlock := func() string {
		var b strings.Builder
		for {
			line, err := rd.ReadString('\n')
			if err != nil || line == "\n" {
				return b.String()
			}
			b.WriteString(line)
		}
	}
	if got := readBlock(); !strings.HasPrefix(got, ": live updates") {
		t.Fatalf("greeting %q", got)
	}
	key := pipeline.Key{Repository: "acme/api", Pipeline: "prod"}
	p := pipeline.Pipeline{Name: "prod", Stages: []pipeline.Stage{{Name: "beta", Targets: []string{"beta-1"}}}}
	if err := r.app.engine.Save(t.Context(), key, 0, p, pipeline.Result{}, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if got, want := readBlock(), "event: saved\ndata: {\"repository\":\"acme/api\",\"pipeline\":\"prod\"}\n"; got != want {
		t.Errorf("after a save the stream read %q, want %q", got, want)
	}
	if k := <-saved; k != key {
		t.Errorf("OnEngineSaved was told %v", k)
	}

	r.stop()
	if _, err := rd.ReadString('\n'); err != io.EOF && err != context.Canceled {
		t.Errorf("the stream after shutdown: %v, want EOF", err)
	}
	if strings.Contains(log.String(), "HTTP shutdown incomplete") {
		t.Errorf("shutdown waited for the event stream:\n%s", log.String())
	}
}
