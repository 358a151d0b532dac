package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/app"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

var longReason = strings.Repeat("the canary's error rate doubled ", 10)

// seedAudit records commands in a data directory's database, the way a
// running server would, and leaves that server's store open.
func seedAudit(t *testing.T) (dataDir string, st store.Store) {
	t.Helper()
	ctx := context.Background()
	dataDir = t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dataDir, app.DatabaseFile), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, e := range []store.AuditEntry{
		{RequestID: "c1", At: t0, Repository: "Acme/API", Pipeline: "app", ReleaseID: 2, Login: "octocat",
			Surface: store.SurfaceComment, Source: "https://github.com/Acme/API/pull/3#issuecomment-1",
			Line: "/deploy approve", Verb: "approve", Decision: store.AuditAccepted, Why: "approved stage prod"},
		{RequestID: "s1", At: t0.Add(20 * time.Hour), Repository: "acme/api", Pipeline: "app", ReleaseID: 2, Login: "octocat",
			SlackUser: "T1/U2", Surface: store.SurfaceSlack, Source: "C123",
			Line: `/deploy rollback --reason "` + longReason + `"`, Verb: "rollback", Reason: longReason,
			Decision: store.AuditRefused, Why: "rollback needs maintain; octocat has write"},
		{RequestID: "s2", At: t0.Add(24 * time.Hour), Repository: "acme/web", SlackUser: "T1/U9",
			Surface: store.SurfaceSlack, Source: "C456", Line: "/deploy pause\x1b[2J", Verb: "pause",
			Decision: store.AuditRefused, Why: "link your GitHub account first: /deploy link"},
		{RequestID: "l1", At: t0.Add(24*time.Hour + time.Minute), Login: "hubot", Surface: store.SurfaceComment,
			Source: "https://github.com/acme/web/pull/9#issuecomment-2", Line: "/deploy link K7Q2-M9XD", Verb: "link",
			Decision: store.AuditAccepted, Why: "linked Slack user T1/U9"},
		{RequestID: "c3", At: t0.Add(25 * time.Hour), Repository: "acme/api", Pipeline: "app", ReleaseID: 3, Login: "octocat",
			Surface: store.SurfaceButton, Source: "https://github.com/acme/api/runs/77", Line: "/deploy pause",
			Verb: "pause", Decision: store.AuditAccepted, Why: "paused pipeline app"},
	} {
		e.InstallationID = 7
		if _, err := st.RecordCommand(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return dataDir, st
}

func runAudit(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := audit(args, cli{getenv: func(k string) string { return env[k] }, stdout: &out, stderr: &errOut,
		clock: clock.NewFake(cliNow), whoami: func() string { return "ops-alice" }})
	return code, out.String(), errOut.String()
}

func TestAuditTable(t *testing.T) {
	dataDir, _ := seedAudit(t) // the server's store stays open
	code, out, errOut := runAudit(t, map[string]string{"WAVEGATE_DATA_DIR": dataDir})
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		"TIME (UTC)           REPOSITORY  RELEASE  WHO                     SURFACE  COMMAND ",
		"2026-11-20 09:00:00  Acme/API    2        octocat                 comment  /deploy approve ",
		"2026-11-21 05:00:00  acme/api    2        octocat (slack:T1/U2)   slack    /deploy rollback --reason ",
		"2026-11-21 09:00:00  acme/web    -        slack:T1/U9 (unlinked)  slack    /deploy pause?[2J ",
		"2026-11-21 09:01:00  -           -        hubot                   comment  /deploy link [redacted] ",
		"2026-11-21 10:00:00  acme/api    3        octocat                 button   /deploy pause ",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	// In runes: a cut command ends with a three-byte "…".
	decision := len([]rune(lines[0][:strings.Index(lines[0], "DECISION")]))
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d:\n%s\nwant it to start with\n%s", i, lines[i], w)
		}
		rest := string([]rune(lines[i])[decision:])
		if i > 0 && !strings.HasPrefix(rest, "accepted") && !strings.HasPrefix(rest, "refused") {
			t.Errorf("line %d: the decision is not aligned under DECISION:\n%s\n%s", i, lines[0], lines[i])
		}
	}
	if strings.Contains(out, "K7Q2-M9XD") {
		t.Error("a link code is shown")
	}
	if strings.Contains(out, "\x1b") {
		t.Error("an escape sequence typed in a command reached the terminal")
	}
	if strings.Contains(out, longReason) || !strings.Contains(lines[2], "…") {
		t.Errorf("a long command is not cut in the table:\n%s", lines[2])
	}
	for _, w := range []string{"rollback needs maintain; octocat has write", "link your GitHub account first: /deploy link"} {
		if !strings.Contains(out, w) {
			t.Errorf("the table lacks why %q", w)
		}
	}
}

func auditJSONLines(t *testing.T, out string) []auditJSON {
	t.Helper()
	var es []auditJSON
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var e auditJSON
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		es = append(es, e)
	}
	return es
}

func TestAuditJSON(t *testing.T) {
	dataDir, _ := seedAudit(t)
	code, out, errOut := runAudit(t, nil, "--json", "--data-dir", dataDir)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	es := auditJSONLines(t, out)
	if len(es) != 5 {
		t.Fatalf("%d entries, want 5:\n%s", len(es), out)
	}
	got := es[1]
	want := auditJSON{Seq: got.Seq, RequestID: "s1", At: time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC), InstallationID: 7,
		Repository: "acme/api", Pipeline: "app", ReleaseID: 2, Login: "octocat", SlackUser: "T1/U2", Surface: "slack",
		Source: "C123", Line: `/deploy rollback --reason "` + longReason + `"`, Verb: "rollback", Reason: longReason,
		Decision: "refused", Why: "rollback needs maintain; octocat has write"}
	if got != want {
		t.Errorf("entry\n %+v\nwant every field whole\n %+v", got, want)
	}
	if !strings.Contains(out, `"at":"2026-11-21T05:00:00Z"`) || !strings.Contains(out, `\u001b[2J`) {
		t.Errorf("times are not UTC RFC 3339, or an escape is not escaped:\n%s", out)
	}
}

func TestAuditFilters(t *testing.T) {
	dataDir, _ := seedAudit(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"c1", "s1", "s2", "l1", "c3"}},
		{[]string{"--repo", "ACME/api"}, []string{"c1", "s1", "c3"}},
		{[]string{"--repo", "acme/api", "--release", "2"}, []string{"c1", "s1"}},
		{[]string{"--since", "2026-11-21"}, []string{"s1", "s2", "l1", "c3"}},
		{[]string{"--since", "2026-11-21T09:00:00Z"}, []string{"s2", "l1", "c3"}},
		{[]string{"--since", "2026-11-21T11:00:00+02:00"}, []string{"s2", "l1", "c3"}},
		{[]string{"--since", "30m"}, []string{"s2", "l1", "c3"}}, // now is 09:30
		{[]string{"--since", "1d"}, []string{"s1", "s2", "l1", "c3"}},
		{[]string{"--since", "25h"}, []string{"c1", "s1", "s2", "l1", "c3"}},
		{[]string{"--since", "2026-11-22"}, nil},
		{[]string{"--repo", "acme/api", "--since", "2026-11-21"}, []string{"s1", "c3"}},
		{[]string{"--limit", "2"}, []string{"l1", "c3"}},
		{[]string{"--repo", "acme/none"}, nil},
	} {
		code, out, errOut := runAudit(t, nil, append([]string{"--json", "--data-dir", dataDir}, tc.args...)...)
		if code != 0 {
			t.Errorf("%q: exit %d, stderr %q", tc.args, code, errOut)
			continue
		}
		var ids []string
		for _, e := range auditJSONLines(t, out) {
			ids = append(ids, e.RequestID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("%q: %q, want %q", tc.args, ids, tc.want)
		}
		if (len(ids) == 0) != strings.Contains(errOut, "no commands match") {
			t.Errorf("%q: stderr %q", tc.args, errOut)
		}
	}
}

func TestAuditErrors(t *testing.T) {
	dataDir, _ := seedAudit(t)
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown flag", []string{"--bogus"}, 2, "flag provided but not defined: -bogus"},
		{"stray argument", []string{"acme/api"}, 2, `unexpected arguments ["acme/api"]`},
		{"release without repo", []string{"--release", "2"}, 2, "--release 2 needs --repo"},
		{"negative release", []string{"--repo", "acme/api", "--release", "-1"}, 2, "want a release number"},
		{"release not a number", []string{"--repo", "acme/api", "--release", "two"}, 2, `invalid value "two" for flag -release`},
		{"repo without owner", []string{"--repo", "api"}, 2, `--repo "api": want OWNER/NAME`},
		{"repo with a trailing slash", []string{"--repo", "acme/"}, 2, "want OWNER/NAME"},
		{"since unreadable", []string{"--since", "yesterday"}, 2, `--since "yesterday": want a date`},
		{"since in the future", []string{"--since", "-5m"}, 2, `--since "-5m"`},
		{"negative limit", []string{"--limit", "-1"}, 2, "--limit must be 0 or more"},
		{"no database there", []string{"--data-dir", filepath.Join(dataDir, "typo")}, 1,
			"no database at " + filepath.Join(dataDir, "typo", "wavegate.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.wantCode == 2 {
				args = append([]string{"--data-dir", dataDir}, args...)
			}
			code, out, errOut := runAudit(t, nil, args...)
			if code != tc.wantCode || !strings.Contains(errOut, tc.wantErr) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d, stderr ∋ %q", code, out, errOut, tc.wantCode, tc.wantErr)
			}
			if code == 2 && !strings.Contains(errOut, "Usage:\n  wavegate audit") {
				t.Errorf("a usage error without the usage: %q", errOut)
			}
		})
	}
}

func TestAuditRegistered(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"audit", "--help"}, func(string) string { return "" }, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "wavegate audit [--repo OWNER/NAME]") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	out.Reset()
	run([]string{"help"}, func(string) string { return "" }, &out, &errOut)
	if !strings.Contains(out.String(), "  audit ") {
		t.Fatalf("usage lacks audit:\n%s", out.String())
	}
}
