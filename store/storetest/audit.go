package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// NewAuditEntry is an accepted comment command of repo's release, at at.
func NewAuditEntry(requestID, repo string, release int64, at time.Time) store.AuditEntry {
	return store.AuditEntry{
		RequestID: requestID, At: at, InstallationID: 7, Repository: repo, Pipeline: "app", ReleaseID: release,
		Login: "octocat", Surface: store.SurfaceComment, Source: "https://github.com/" + repo + "/pull/3#issuecomment-1",
		Line: "/deploy approve", Verb: "approve", Decision: store.AuditAccepted, Why: "approved stage canary",
	}
}

func requestIDs(es []store.AuditEntry) []string {
	var ids []string
	for _, e := range es {
		ids = append(ids, e.RequestID)
	}
	return ids
}

func testRecordCommandOncePerRequest(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	e := store.AuditEntry{
		RequestID: "slack/T1/trigger-9", At: At(time.Second).In(time.FixedZone("CET", 3600)), InstallationID: 7,
		Repository: "Acme/API", Pipeline: "app", ReleaseID: 12, Login: "octocat", SlackUser: "T1/U2",
		Surface: store.SurfaceSlack, Source: "C123", Line: `/deploy rollback --reason "bad deploy"`, Verb: "rollback",
		Reason: "bad deploy", Decision: store.AuditRefused, Why: "rollback needs maintain; octocat has write",
	}
	if added, err := s.RecordCommand(ctx, e); err != nil || !added {
		t.Fatalf("first RecordCommand = %v, %v; want true", added, err)
	}
	again := e
	again.Decision, again.Why, again.At = store.AuditAccepted, "rolled back", At(time.Minute)
	if added, err := s.RecordCommand(ctx, again); err != nil || added {
		t.Fatalf("RecordCommand of the same request again = %v, %v; want false and no error", added, err)
	}
	got, err := s.AuditLog(ctx, store.AuditFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("AuditLog = %+v, %v; want the one entry", got, err)
	}
	if got[0].Seq <= 0 {
		t.Errorf("Seq %d, want one assigned by the store", got[0].Seq)
	}
	want := e
	want.Seq, want.At = got[0].Seq, e.At.UTC()
	if got[0] != want || got[0].At.Location() != time.UTC {
		t.Errorf("stored entry\n %+v\nwant the first one, in UTC:\n %+v", got[0], want)
	}
}

func testRecordCommandConcurrentDuplicates(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	var added atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			e := NewAuditEntry("delivery-1/line-1", "acme/api", 1, At(0))
			e.Why = fmt.Sprintf("attempt %d", i)
			ok, err := s.RecordCommand(ctx, e)
			if err != nil {
				t.Errorf("RecordCommand: %v", err)
			}
			if ok {
				added.Add(1)
			}
		})
	}
	wg.Wait()
	if n := added.Load(); n != 1 {
		t.Errorf("%d concurrent records of one request reported added, want exactly 1", n)
	}
	if got, err := s.AuditLog(ctx, store.AuditFilter{}); err != nil || len(got) != 1 {
		t.Errorf("AuditLog = %d entries, %v; want 1", len(got), err)
	}
}

func testRecordCommandRejectsInvalid(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	for _, tc := range []struct {
		name  string
		spoil func(*store.AuditEntry)
	}{
		{"no request id", func(e *store.AuditEntry) { e.RequestID = "" }},
		{"no time", func(e *store.AuditEntry) { e.At = time.Time{} }},
		{"unknown surface", func(e *store.AuditEntry) { e.Surface = "email" }},
		{"no surface", func(e *store.AuditEntry) { e.Surface = "" }},
		{"unknown decision", func(e *store.AuditEntry) { e.Decision = "maybe" }},
	} {
		e := NewAuditEntry("r-"+tc.name, "acme/api", 1, At(0))
		tc.spoil(&e)
		if added, err := s.RecordCommand(ctx, e); err == nil || added {
			t.Errorf("%s: RecordCommand = %v, %v; want an error", tc.name, added, err)
		}
	}
	if got, err := s.AuditLog(ctx, store.AuditFilter{}); err != nil || len(got) != 0 {
		t.Errorf("AuditLog after invalid entries = %v, %v; want none", requestIDs(got), err)
	}
	// Every surface and decision named in store is accepted.
	for i, surface := range []string{store.SurfaceComment, store.SurfaceButton, store.SurfaceSlack, store.SurfaceWeb} {
		for j, decision := range []string{store.AuditAccepted, store.AuditRefused, store.AuditInvalid} {
			e := NewAuditEntry(fmt.Sprintf("ok-%d-%d", i, j), "", 0, At(0))
			e.Surface, e.Decision = surface, decision
			if added, err := s.RecordCommand(ctx, e); err != nil || !added {
				t.Errorf("RecordCommand(%s, %s) = %v, %v", surface, decision, added, err)
			}
		}
	}
}

func testAuditLogFilters(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	// Recorded out of time order: the log is ordered by time, then by seq.
	for _, e := range []store.AuditEntry{
		NewAuditEntry("api-r1-b", "acme/api", 1, At(2*time.Minute)),
		NewAuditEntry("api-r1-a", "Acme/API", 1, At(time.Minute)),
		NewAuditEntry("web-r1", "acme/web", 1, At(3*time.Minute)),
		NewAuditEntry("link", "", 0, At(3*time.Minute)),
		NewAuditEntry("api-r2", "acme/api", 2, At(4*time.Minute)),
		NewAuditEntry("api-r1-c", "acme/api", 1, At(5*time.Minute)),
	} {
		if _, err := s.RecordCommand(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want []string
	}{
		{"all", store.AuditFilter{}, []string{"api-r1-a", "api-r1-b", "web-r1", "link", "api-r2", "api-r1-c"}},
		{"repository, any case", store.AuditFilter{Repository: "ACME/api"}, []string{"api-r1-a", "api-r1-b", "api-r2", "api-r1-c"}},
		{"since is inclusive", store.AuditFilter{Since: At(3 * time.Minute)}, []string{"web-r1", "link", "api-r2", "api-r1-c"}},
		{"repository since", store.AuditFilter{Repository: "acme/api", Since: At(2 * time.Minute)}, []string{"api-r1-b", "api-r2", "api-r1-c"}},
		{"release", store.AuditFilter{Repository: "acme/api", ReleaseID: 1}, []string{"api-r1-a", "api-r1-b", "api-r1-c"}},
		{"release since", store.AuditFilter{Repository: "acme/api", ReleaseID: 1, Since: At(90 * time.Second)}, []string{"api-r1-b", "api-r1-c"}},
		{"another repository's release", store.AuditFilter{Repository: "acme/web", ReleaseID: 2}, nil},
		{"limit keeps the most recent", store.AuditFilter{Limit: 2}, []string{"api-r2", "api-r1-c"}},
		{"limit with a filter", store.AuditFilter{Repository: "acme/api", ReleaseID: 1, Limit: 2}, []string{"api-r1-b", "api-r1-c"}},
		{"limit beyond the count", store.AuditFilter{Repository: "acme/web", Limit: 10}, []string{"web-r1"}},
		{"unknown repository", store.AuditFilter{Repository: "acme/none"}, nil},
		{"since after everything", store.AuditFilter{Since: At(time.Hour)}, nil},
	} {
		got, err := s.AuditLog(ctx, tc.f)
		if err != nil {
			t.Errorf("%s: AuditLog(%+v): %v", tc.name, tc.f, err)
			continue
		}
		if ids := requestIDs(got); !slices.Equal(ids, tc.want) {
			t.Errorf("%s: AuditLog(%+v) = %q, want %q", tc.name, tc.f, ids, tc.want)
		}
	}
	got, err := s.AuditLog(ctx, store.AuditFilter{Repository: "acme/api"})
	if err != nil || len(got) == 0 || got[0].Repository != "Acme/API" {
		t.Errorf("the repository is returned as recorded: %+v, %v", got, err)
	}
	if got, err := s.AuditLog(ctx, store.AuditFilter{ReleaseID: 1}); err == nil {
		t.Errorf("a release filter without a repository = %q, want an error (release ids are per repository)", requestIDs(got))
	}
}

// A link code is a secret while it is unused: the log never holds one, in
// whatever form the line was typed.
func testAuditLogKeepsNoLinkCode(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	cases := []struct{ line, want string }{
		{"/deploy link K7Q2-M9XD", "/deploy link [redacted]"},
		{"/deploy   LINK  K7Q2-M9XD extra", "/deploy LINK [redacted]"},
		{"link K7Q2-M9XD", "link [redacted]"},
		{"acme/api link K7Q2-M9XD", "acme/api link [redacted]"},
		{"/deploy link", "/deploy link"}, // asking for a code
		{"/deploy unlink", "/deploy unlink"},
		{`/deploy override unreviewed --reason "link K7Q2 broke"`, `/deploy override unreviewed --reason "link K7Q2 broke"`},
		{"/deploy pause app link", "/deploy pause app link"},
	}
	for i, tc := range cases {
		e := NewAuditEntry(fmt.Sprintf("r%d", i), "", 0, At(time.Duration(i)))
		e.Line = tc.line
		if _, err := s.RecordCommand(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.AuditLog(ctx, store.AuditFilter{})
	if err != nil || len(got) != len(cases) {
		t.Fatalf("AuditLog = %d entries, %v; want %d", len(got), err, len(cases))
	}
	for i, tc := range cases {
		if got[i].Line != tc.want {
			t.Errorf("%q stored as %q, want %q", tc.line, got[i].Line, tc.want)
		}
	}
}
