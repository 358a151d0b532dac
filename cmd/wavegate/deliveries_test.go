package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/app"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/inbox"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

var cliNow = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

// seedInbox stores, in a data directory, a done delivery, a pending one and
// two dead ones, the way a running server would have left them.
func seedInbox(t *testing.T) (dataDir string, st store.Store) {
	t.Helper()
	ctx := context.Background()
	dataDir = t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dataDir, app.DatabaseFile), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	for i, d := range []store.Delivery{
		{ID: "d-done", Event: "push", Repository: "acme/docs"},
		{ID: "d-dead-1", Event: "pull_request", Action: "opened", Repository: "acme/api"},
		{ID: "d-dead-2", Event: "check_run", Action: "rerequested", Repository: "acme/web"},
		{ID: "d-pending", Event: "push", Repository: "acme/db"},
	} {
		d.Payload, d.ReceivedAt = []byte(`{}`), t0.Add(time.Duration(i)*time.Minute)
		if _, err := st.Enqueue(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := st.Claim(ctx, t0.Add(time.Hour), 3, time.Hour)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	for _, d := range claimed {
		switch d.ID {
		case "d-done":
			err = st.Complete(ctx, d.Seq, t0.Add(time.Hour))
		case "d-dead-1":
			err = st.Kill(ctx, d.Seq, t0.Add(time.Hour), "parse pull_request payload of delivery d-dead-1:\n\tunexpected end")
		case "d-dead-2":
			err = st.Kill(ctx, d.Seq, t0.Add(time.Hour), "gave up after 12 attempts: 502 Bad Gateway")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dataDir, st
}

func runDeliveries(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := deliveries(args, cli{getenv: func(k string) string { return env[k] }, stdout: &out, stderr: &errOut,
		clock: clock.NewFake(cliNow), whoami: func() string { return "ops-alice" }})
	return code, out.String(), errOut.String()
}

func TestDeliveriesList(t *testing.T) {
	dataDir, _ := seedInbox(t)
	code, out, errOut := runDeliveries(t, nil, "list", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{"d-pending", "d-dead-2", "d-dead-1", "d-done"} // newest first
	if len(lines) != 1+len(want) || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[0], "LAST ERROR") {
		t.Fatalf("list printed:\n%s", out)
	}
	for i, id := range want {
		if !strings.HasPrefix(lines[i+1], id+" ") {
			t.Errorf("row %d is %q, want %s", i+1, lines[i+1], id)
		}
	}
	dead1 := lines[3]
	for _, field := range []string{"pull_request", "opened", "acme/api", "dead", " 1 ", "2026-11-21T09:01:00Z",
		"parse pull_request payload of delivery d-dead-1: unexpected end"} {
		if !strings.Contains(dead1, field) {
			t.Errorf("row %q lacks %q", dead1, field)
		}
	}

	// --dead and --limit, given through the environment's data directory.
	code, out, _ = runDeliveries(t, map[string]string{"WAVEGATE_DATA_DIR": dataDir}, "list", "--dead", "--limit", "1")
	if rows := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(rows) != 2 || !strings.HasPrefix(rows[1], "d-dead-2 ") {
		t.Fatalf("list --dead --limit 1: exit %d:\n%s", code, out)
	}
}

// Retrying works on the database while a server has it open, prints an
// audit line per delivery, and the server's inbox takes the retried
// delivery within its minute's poll, without being told.
func TestDeliveriesRetryBesideARunningServer(t *testing.T) {
	dataDir, st := seedInbox(t)
	// The server has worked off what was pending.
	pending, err := st.Claim(context.Background(), cliNow, 1, time.Hour)
	if err != nil || len(pending) != 1 || pending[0].ID != "d-pending" {
		t.Fatalf("claim: %v %v", pending, err)
	}
	if err := st.Complete(context.Background(), pending[0].Seq, cliNow); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(cliNow)
	outcomes := make(chan inbox.Outcome, 10)
	proc, err := inbox.New(inbox.Options{Store: st, Clock: clk, OnOutcome: func(o inbox.Outcome) { outcomes <- o },
		Handler: inbox.HandlerFunc(func(context.Context, store.Delivery) error { return nil })})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = proc.Run(ctx) }()
	defer func() { cancel(); <-stopped }()
	next := func() inbox.Outcome {
		t.Helper()
		select {
		case o := <-outcomes:
			return o
		case <-time.After(10 * time.Second): // a deadlock guard, not a wait for time to pass
			t.Fatal("no delivery outcome")
			return inbox.Outcome{}
		}
	}
	// With nothing to do, the server sleeps until its poll: the only timer
	// it sets.
	clk.BlockUntilTimerAt(cliNow.Add(time.Minute))

	code, out, errOut := runDeliveries(t, nil, "retry", "d-dead-1", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	wantAudit := "2026-11-21T09:30:00Z audit: ops-alice retried dead delivery d-dead-1 (pull_request.opened, acme/api; " +
		"it died after 1 attempt: parse pull_request payload of delivery d-dead-1: unexpected end)\n"
	if !strings.HasPrefix(out, wantAudit) || !strings.Contains(out, "within a minute") {
		t.Fatalf("retry printed:\n%s\nwant first:\n%s", out, wantAudit)
	}
	clk.Set(cliNow.Add(time.Minute))
	if o := next(); o.Delivery.ID != "d-dead-1" || o.State != store.DeliveryDone {
		t.Fatalf("after the poll: %s %s, want d-dead-1 done", o.Delivery.ID, o.State)
	}
}

func TestDeliveriesRetryAllDead(t *testing.T) {
	dataDir, st := seedInbox(t)
	code, out, errOut := runDeliveries(t, nil, "retry", "--all-dead", "--data-dir", dataDir)
	if code != 0 || strings.Count(out, " audit: ops-alice retried dead delivery ") != 2 ||
		!strings.Contains(out, "d-dead-2 (check_run.rerequested, acme/web; it died after 1 attempt: gave up after 12 attempts: 502 Bad Gateway)") {
		t.Fatalf("exit %d, stdout:\n%s\nstderr: %s", code, out, errOut)
	}
	for _, id := range []string{"d-dead-1", "d-dead-2"} {
		if d, err := st.Delivery(context.Background(), id); err != nil || d.State != store.DeliveryPending || d.Attempts != 0 {
			t.Errorf("%s after retry: %s, %d attempts, %v", id, d.State, d.Attempts, err)
		}
	}
	code, out, _ = runDeliveries(t, nil, "retry", "--all-dead", "--data-dir", dataDir)
	if code != 0 || out != "No dead deliveries to retry.\n" {
		t.Fatalf("second --all-dead: exit %d: %q", code, out)
	}
}

func TestDeliveriesErrors(t *testing.T) {
	dataDir, _ := seedInbox(t)
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no subcommand", nil, 2, "Usage:"},
		{"unknown subcommand", []string{"purge"}, 2, `unknown subcommand "purge"`},
		{"retry needs ids or --all-dead", []string{"retry", "--data-dir", dataDir}, 2, "not both nor neither"},
		{"retry ids and --all-dead", []string{"retry", "d-dead-1", "--all-dead", "--data-dir", dataDir}, 2, "not both nor neither"},
		{"list takes no ids", []string{"list", "d-1", "--data-dir", dataDir}, 2, "unexpected arguments"},
		{"negative limit", []string{"list", "--limit", "-1", "--data-dir", dataDir}, 2, "--limit must be 0 or more"},
		{"not dead", []string{"retry", "d-done", "--data-dir", dataDir}, 1, `retry dead delivery "d-done": state is done: not dead`},
		{"unknown id", []string{"retry", "nope", "--data-dir", dataDir}, 1, `retry dead delivery "nope": not found`},
		{"no database there", []string{"list", "--data-dir", filepath.Join(dataDir, "typo")}, 1, "no database at " + filepath.Join(dataDir, "typo", "wavegate.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runDeliveries(t, nil, tc.args...)
			if code != tc.wantCode || !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d, stderr ∋ %q", code, errOut, tc.wantCode, tc.wantErr)
			}
		})
	}
	// A mistyped directory is not created.
	if _, err := os.Stat(filepath.Join(dataDir, "typo")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat of the mistyped directory: %v, want it absent", err)
	}
}

func TestDeliveriesRegistered(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"deliveries", "help"}, func(string) string { return "" }, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "wavegate deliveries retry ID... | --all-dead") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	out.Reset()
	run([]string{"help"}, func(string) string { return "" }, &out, &errOut)
	if !strings.Contains(out.String(), "deliveries") {
		t.Fatalf("usage lacks deliveries:\n%s", out.String())
	}
}
