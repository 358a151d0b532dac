package commandrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/checks"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

func TestApproveFromPRComment(t *testing.T) {
	h := newHarness(t)
	c := commands.Command{Verb: commands.VerbApprove, Line: "/deploy approve"}
	resp := h.run(t, comment("d1/0", "alice", 7, c))
	wantOutcome(t, resp, Accepted, "approved release 11 of app in release-approval")
	if resp.Repository != "acme/api" || resp.Pipeline != "app" || resp.ReleaseID != 11 {
		t.Errorf("response names %s %s %d, want acme/api app 11", resp.Repository, resp.Pipeline, resp.ReleaseID)
	}
	d := h.engine.state(t, appKey).Release(11).Stages["release-approval"].Decision
	if d == nil || !d.Approved || d.By != "alice" {
		t.Fatalf("decision = %+v, want approved by alice", d)
	}
	// The actor is who GitHub says now, with the approvers' teams asked.
	if h.auth.actor.Login != "alice" || h.auth.actor.Role != checks.PermissionMaintain ||
		!slices.Equal(h.auth.actor.Teams, []string{"acme/release-managers"}) {
		t.Errorf("actor = %+v", h.auth.actor)
	}
	if !slices.Equal(h.auth.subject.Approvers, []string{"@acme/release-managers", "carol"}) ||
		!slices.Equal(h.auth.subject.Authors, []string{"dave"}) {
		t.Errorf("subject = %+v", h.auth.subject)
	}
	e := h.audit.only(t)
	if e.RequestID != "d1/0" || e.Decision != store.AuditAccepted || e.Login != "alice" || e.Repository != "acme/api" ||
		e.Pipeline != "app" || e.ReleaseID != 11 || e.Verb != "approve" || e.Surface != store.SurfaceComment || e.Line != "/deploy approve" {
		t.Errorf("audit entry = %+v", e)
	}
}

func TestRefusedByAuthorizationChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.auth.allow = false
	c := commands.Command{Verb: commands.VerbRollback, Line: `/deploy rollback --reason "bad"`, Reason: "bad"}
	resp := h.run(t, comment("d1/0", "bob", 7, c))
	wantOutcome(t, resp, Refused, "needs maintain; has read")
	if len(h.engine.applies) != 0 {
		t.Errorf("engine applied %v after a refusal", h.engine.applies)
	}
	if e := h.audit.only(t); e.Decision != store.AuditRefused || !strings.Contains(e.Why, "needs maintain") || e.Reason != "bad" {
		t.Errorf("audit entry = %+v", e)
	}
}

func TestEngineRefusalIsARefusal(t *testing.T) {
	h := newHarness(t)
	// Release 12 waits for no approval: the engine says so.
	c := commands.Command{Verb: commands.VerbApprove, Line: "/deploy approve --release 12", Release: 12}
	resp := h.run(t, comment("d1/0", "alice", 7, c))
	wantOutcome(t, resp, Refused, "release 12 is not waiting for approval")
	if e := h.audit.only(t); e.Decision != store.AuditRefused || e.ReleaseID != 12 {
		t.Errorf("audit entry = %+v", e)
	}
}

func TestStoreFailureIsAnErrorToRetry(t *testing.T) {
	h := newHarness(t)
	h.engine.fail = errBoom
	c := commands.Command{Verb: commands.VerbApprove, Line: "/deploy approve"}
	_, err := h.runner.Run(context.Background(), comment("d1/0", "alice", 7, c))
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want the store's", err)
	}
	if len(h.audit.entries) != 0 {
		t.Errorf("a failed run was audited: %+v (its retry audits it)", h.audit.entries)
	}
	h.roles.fail, h.engine.fail = errBoom, nil
	if _, err := h.runner.Run(context.Background(), comment("d1/0", "alice", 7, c)); !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want GitHub's failure to answer the role", err)
	}
}

func TestOverrideRollbackPause(t *testing.T) {
	tests := []struct {
		name  string
		pr    int
		c     commands.Command
		want  string
		check func(t *testing.T, st pipeline.State)
	}{
		{"override with ttl", 8, commands.Command{Verb: commands.VerbOverride, Line: "/deploy override unreviewed --reason r --ttl 1h",
			Blocker: pipeline.BlockerUnreviewed, Reason: "r", TTL: time.Hour},
			"overrode unreviewed for release 12 of app until 2026-03-02 11:00 UTC",
			func(t *testing.T, st pipeline.State) {
				if len(st.Overrides) != 1 || st.Overrides[0].ReleaseID != 12 || st.Overrides[0].By != "alice" || st.Overrides[0].Blocker != pipeline.BlockerUnreviewed ||
					!st.Overrides[0].Until.Equal(t0.Add(time.Hour)) {
					t.Errorf("overrides = %+v", st.Overrides)
				}
			}},
		{"rollback of a stage", 8, commands.Command{Verb: commands.VerbRollback, Line: "/deploy rollback --stage alpha --reason r",
			Stage: "alpha", Reason: "r"},
			"rolling back release 12 of app (stage alpha)",
			func(t *testing.T, st pipeline.State) {
				if rr := st.Release(12).RollbackRequest; rr == nil || rr.Stage != "alpha" || rr.By != "alice" {
					t.Errorf("rollback request = %+v", rr)
				}
			}},
		{"pause the only pipeline", 0, commands.Command{Verb: commands.VerbPause, Line: "/deploy pause --reason r", Reason: "r"},
			"paused pipeline app of acme/api",
			func(t *testing.T, st pipeline.State) {
				if st.Paused != "paused by @alice: r" {
					t.Errorf("paused = %q", st.Paused)
				}
			}},
		{"pause --all", 0, commands.Command{Verb: commands.VerbPause, Line: "/deploy pause --all --reason r", Reason: "r", All: true},
			"paused pipeline app of acme/api",
			func(t *testing.T, st pipeline.State) {
				if st.Paused == "" {
					t.Error("not paused")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			resp := h.run(t, comment("d1/0", "alice", tt.pr, tt.c))
			wantOutcome(t, resp, Accepted, tt.want)
			tt.check(t, h.engine.state(t, appKey))
			if e := h.audit.only(t); e.Decision != store.AuditAccepted || e.Why != resp.Text || e.Reason != "r" {
				t.Errorf("audit entry = %+v", e)
			}
		})
	}
}

func TestResumeLiftsPause(t *testing.T) {
	h := newHarness(t)
	h.run(t, comment("d1/0", "alice", 0, commands.Command{Verb: commands.VerbPause, Line: "/deploy pause app --reason r", Pipeline: "app", Reason: "r"}))
	resp := h.run(t, comment("d2/0", "alice", 0, commands.Command{Verb: commands.VerbResume, Line: "/deploy resume"}))
	wantOutcome(t, resp, Accepted, "resumed pipeline app")
	if st := h.engine.state(t, appKey); st.Paused != "" {
		t.Errorf("still paused: %q", st.Paused)
	}
	if h.auth.subject.OverridePermission != checks.PermissionMaintain {
		t.Errorf("pausing asked for %v, want the default maintain", h.auth.subject.OverridePermission)
	}
}

func TestWhatExistsIsNamed(t *testing.T) {
	tests := []struct {
		name string
		req  func() Request
		want []string
	}{
		{"unknown release", func() Request {
			return comment("d", "alice", 7, commands.Command{Verb: commands.VerbApprove, Line: "/deploy approve --release 99", Release: 99})
		}, []string{"acme/api has no release 99", "release 11 of app (1111111, in release-approval)", "release 12 of app (2222222, in alpha)"}},
		{"unknown stage", func() Request {
			return comment("d", "alice", 7, commands.Command{Verb: commands.VerbRollback, Line: "/deploy rollback --stage beta --reason r", Stage: "beta", Reason: "r"})
		}, []string{`no stage "beta"`, "alpha, release-approval, wave-1"}},
		{"unknown target", func() Request {
			return comment("d", "alice", 7, commands.Command{Verb: commands.VerbRollback, Line: "/deploy rollback --stage wave-1 --target prod-z --reason r", Stage: "wave-1", Target: "prod-z", Reason: "r"})
		}, []string{`stage wave-1 has no target "prod-z"`, "prod-a, prod-b"}},
		{"unknown pipeline", func() Request {
			return comment("d", "alice", 7, commands.Command{Verb: commands.VerbPause, Line: "/deploy pause infra --reason r", Pipeline: "infra", Reason: "r"})
		}, []string{`no pipeline "infra"`, "its pipelines: app"}},
		{"another repository from a comment", func() Request {
			return comment("d", "alice", 7, commands.Command{Verb: commands.VerbPause, Line: "/deploy pause acme/web --reason r", Repository: "acme/web", Reason: "r"})
		}, []string{"acts on acme/api only"}},
		{"a repository of no installation", func() Request {
			return Request{ID: "s", Surface: store.SurfaceSlack, SlackTeam: "T", SlackUser: "U1", SlackChannel: "general",
				Command: commands.Command{Verb: commands.VerbStatus, Line: "/deploy status acme/nope", Repository: "acme/nope"}}
		}, []string{"not installed on acme/nope", "it deploys acme/api"}},
		{"a repository of another installation", func() Request {
			r := comment("d", "alice", 0, commands.Command{Verb: commands.VerbStatus, Line: "/deploy status"})
			r.Repository = "other/repo"
			return r
		}, []string{"unknown repository other/repo", "acme/api, acme/web"}},
		{"no repository from Slack", func() Request {
			return Request{ID: "s", Surface: store.SurfaceSlack, SlackTeam: "T", SlackUser: "U1", SlackChannel: "general",
				Command: commands.Command{Verb: commands.VerbStatus, Line: "/deploy status"}}
		}, []string{"name the repository", "/deploy status owner/repo", "acme/api"}},
		{"a PR in no release", func() Request {
			return comment("d", "alice", 99, commands.Command{Verb: commands.VerbApprove, Line: "/deploy approve"})
		}, []string{"pull request #99 of acme/api is in no release yet", "--release N"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.links.links["T/U1"] = store.SlackLink{SlackTeam: "T", SlackUser: "U1", Login: "alice"}
			resp := h.run(t, tt.req())
			wantOutcome(t, resp, Refused, tt.want...)
			if len(h.engine.applies) != 0 {
				t.Errorf("engine applied %v", h.engine.applies)
			}
			if e := h.audit.only(t); e.Decision != store.AuditRefused || e.Why != resp.Text {
				t.Errorf("audit entry = %+v", e)
			}
		})
	}
}

func TestReleaseChoiceAmongPipelines(t *testing.T) {
	h := newHarness(t)
	// PR 7 is in release 11 of app (waiting for approval) and in release 5
	// of infra (deploying alpha).
	infra := appPipeline("infra", "#infra")
	h.engine.put(t, infra, "acme/api", pipeline.State{Releases: []*pipeline.Release{inAlpha(5, "5555555cccc", 7)}})

	resp := h.run(t, comment("d1/0", "alice", 7, commands.Command{Verb: commands.VerbApprove, Line: "/deploy approve"}))
	wantOutcome(t, resp, Accepted, "approved release 11 of app")

	// Both releases can be overridden: ask which.
	resp = h.run(t, comment("d2/0", "alice", 7, commands.Command{Verb: commands.VerbOverride, Line: "/deploy override alarm --reason r",
		Blocker: pipeline.BlockerAlarm, Reason: "r"}))
	wantOutcome(t, resp, Refused, "which release?", "release 11 of app", "release 5 of infra", "--release N")

	// Pause with two pipelines: name one or --all.
	resp = h.run(t, comment("d3/0", "alice", 0, commands.Command{Verb: commands.VerbPause, Line: "/deploy pause --reason r", Reason: "r"}))
	wantOutcome(t, resp, Refused, "several pipelines (app, infra)", "--all")
	resp = h.run(t, comment("d4/0", "alice", 0, commands.Command{Verb: commands.VerbPause, Line: "/deploy pause --all --reason r", Reason: "r", All: true}))
	wantOutcome(t, resp, Accepted, "paused pipelines app, infra of acme/api")
}

func TestButtonActsOnItsRelease(t *testing.T) {
	h := newHarness(t)
	req := comment("d1", "alice", 0, commands.Command{Verb: commands.VerbRollback, Line: "/deploy rollback --reason pressed", Reason: "pressed"})
	req.Surface, req.Pipeline, req.ReleaseID = store.SurfaceButton, "app", 12
	wantOutcome(t, h.run(t, req), Accepted, "rolling back release 12 of app")

	req.ID, req.ReleaseID = "d2", 3
	wantOutcome(t, h.run(t, req), Refused, "release 3 of app is no longer in flight")
}

func TestSlackIdentityAndChannel(t *testing.T) {
	h := newHarness(t)
	req := Request{ID: "trigger-1", Surface: store.SurfaceSlack, Source: "#deploys-api", SlackTeam: "T", SlackUser: "U1",
		SlackChannel: "deploys-api", Command: commands.Command{Verb: commands.VerbPause, Line: "/deploy pause --reason r", Reason: "r"}}
	wantOutcome(t, h.run(t, req), Refused, "link your GitHub account first: /deploy link")
	if h.auth.calls != 0 || len(h.engine.applies) != 0 {
		t.Fatal("an unlinked Slack user got as far as authorization")
	}
	if e := h.audit.only(t); e.SlackUser != "T/U1" || e.Login != "" || e.Decision != store.AuditRefused {
		t.Errorf("audit entry = %+v", e)
	}

	h.links.links["T/U1"] = store.SlackLink{SlackTeam: "T", SlackUser: "U1", Login: "alice"}
	req.ID = "trigger-2"
	// The channel is app's slack_channel: the repository is acme/api.
	wantOutcome(t, h.run(t, req), Accepted, "paused pipeline app of acme/api")
	if h.auth.actor.Login != "alice" {
		t.Errorf("acted as %q, want the linked alice", h.auth.actor.Login)
	}
	if st := h.engine.state(t, appKey); st.Paused != "paused by @alice: r" {
		t.Errorf("paused = %q", st.Paused)
	}
	// From Slack with no PR, approve finds the one release waiting.
	req.ID, req.Command = "trigger-3", commands.Command{Verb: commands.VerbApprove, Line: "/deploy approve"}
	wantOutcome(t, h.run(t, req), Accepted, "approved release 11 of app")
}

var codeShape = regexp.MustCompile(`/deploy link ([A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4})$`)

func TestLinkFlow(t *testing.T) {
	h := newHarness(t)
	slack := Request{ID: "trigger-1", Surface: store.SurfaceSlack, SlackTeam: "T", SlackUser: "U1", SlackChannel: "random",
		Command: commands.Command{Verb: commands.VerbLink, Line: "/deploy link"}}
	resp := h.run(t, slack)
	wantOutcome(t, resp, Accepted, "within 10 minutes")
	m := codeShape.FindStringSubmatch(resp.Text)
	if m == nil {
		t.Fatalf("answer %q does not end with the line to paste", resp.Text)
	}
	code := m[1]
	for hash, c := range h.links.codes {
		if strings.Contains(hash, code) || c.team != "T" || c.user != "U1" || !c.expires.Equal(t0.Add(10*time.Minute)) {
			t.Errorf("stored code %s = %+v", hash, c)
		}
		sum := sha256.Sum256([]byte(strings.ReplaceAll(code, "-", "")))
		if hash != hex.EncodeToString(sum[:]) {
			t.Errorf("stored %s, want the SHA-256 of the code", hash)
		}
	}

	// The same code, commented in lower case, binds the commenter.
	redeem := comment("d1/0", "alice", 7, commands.Command{Verb: commands.VerbLink, Line: "/deploy link " + strings.ToLower(code), Code: strings.ToLower(code)})
	wantOutcome(t, h.run(t, redeem), Accepted, "linked @alice")
	if l := h.links.links["T/U1"]; l.Login != "alice" {
		t.Fatalf("link = %+v", l)
	}
	// Used up: a second try is refused, saying what to do.
	redeem.ID = "d2/0"
	wantOutcome(t, h.run(t, redeem), Refused, "unknown, used or expired", "/deploy link")

	for _, e := range h.audit.entries {
		if strings.Contains(e.Line+e.Why, code) || strings.Contains(strings.ToUpper(e.Line+e.Why), code) {
			t.Errorf("the audit log keeps the code in clear: %+v", e)
		}
	}

	// Unlink from Slack.
	unlink := slack
	unlink.ID, unlink.Command = "trigger-2", commands.Command{Verb: commands.VerbUnlink, Line: "/deploy unlink"}
	wantOutcome(t, h.run(t, unlink), Accepted, "unlinked your Slack user from @alice")
	unlink.ID = "trigger-3"
	wantOutcome(t, h.run(t, unlink), Refused, "not linked")
}

func TestLinkCodeCollisionDrawsAgain(t *testing.T) {
	h := newHarness(t)
	// The harness's random source repeats: the second user's first draw
	// is the first user's code.
	first := h.run(t, Request{ID: "t1", Surface: store.SurfaceSlack, SlackTeam: "T", SlackUser: "U1",
		Command: commands.Command{Verb: commands.VerbLink, Line: "/deploy link"}})
	second := h.run(t, Request{ID: "t2", Surface: store.SurfaceSlack, SlackTeam: "T", SlackUser: "U2",
		Command: commands.Command{Verb: commands.VerbLink, Line: "/deploy link"}})
	c1, c2 := codeShape.FindStringSubmatch(first.Text)[1], codeShape.FindStringSubmatch(second.Text)[1]
	if c1 == c2 || len(h.links.codes) != 2 {
		t.Fatalf("codes %s and %s, stored %d", c1, c2, len(h.links.codes))
	}
}

func TestExpiredLinkCode(t *testing.T) {
	h := newHarness(t)
	resp := h.run(t, Request{ID: "trigger-1", Surface: store.SurfaceSlack, SlackTeam: "T", SlackUser: "U1",
		Command: commands.Command{Verb: commands.VerbLink, Line: "/deploy link"}})
	code := codeShape.FindStringSubmatch(resp.Text)[1]
	h.clock.Advance(10 * time.Minute)
	wantOutcome(t, h.run(t, comment("d1/0", "alice", 7, commands.Command{Verb: commands.VerbLink, Line: "/deploy link " + code, Code: code})),
		Refused, "expired", "type `/deploy link` in Slack for a new one")
}

func TestCodesAreUniform(t *testing.T) {
	// Bytes past the largest multiple of the alphabet are skipped, so no
	// character is likelier than another; 255 alone never makes a code.
	codes := map[string]bool{}
	for i := range 3 {
		code, err := newCode(strings.NewReader(strings.Repeat("\xff", 40) + string([]byte{byte(i), 30, 31, 61, 0, 1, 2, 3, 4, 5})))
		if err != nil {
			t.Fatal(err)
		}
		codes[code] = true
		if !regexp.MustCompile(`^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$`).MatchString(code) {
			t.Errorf("code %q", code)
		}
	}
	if len(codes) != 3 {
		t.Errorf("codes = %v", codes)
	}
	if _, err := newCode(strings.NewReader("\xff\xff")); err == nil {
		t.Error("a source that runs dry made a code")
	}
}

func TestOrgPauseNeedsOwner(t *testing.T) {
	h := newHarness(t)
	h.auth.allow = false
	c := commands.Command{Verb: commands.VerbPause, Line: "/deploy pause --org --reason r", Org: true, Reason: "r"}
	wantOutcome(t, h.run(t, comment("d1/0", "alice", 0, c)), Refused)
	if h.auth.actor.OrgOwner {
		t.Error("alice is no owner of acme")
	}
	h.run(t, comment("d2/0", "olga", 0, c))
	if !h.auth.actor.OrgOwner || !slices.Contains(h.roles.asked, "owner acme olga") {
		t.Errorf("olga owns acme; asked %v", h.roles.asked)
	}
}

func TestRunInvalidIsAudited(t *testing.T) {
	h := newHarness(t)
	p := commands.Parsed{Kind: commands.Invalid, Command: commands.Command{Verb: commands.VerbRollback, Line: "/deploy rollback"},
		Err: errors.New("rollback needs --reason"), Usage: "/deploy rollback [--stage S] [--target T] --reason TEXT"}
	req := comment("d1/0", "alice", 7, p.Command)
	resp, err := h.runner.RunInvalid(context.Background(), req, p)
	if err != nil {
		t.Fatal(err)
	}
	wantOutcome(t, resp, Invalid, "rollback needs --reason", "/deploy rollback [--stage S]")
	if e := h.audit.only(t); e.Decision != store.AuditInvalid || e.Why != "rollback needs --reason" || e.Line != "/deploy rollback" {
		t.Errorf("audit entry = %+v", e)
	}
}

func TestStatus(t *testing.T) {
	h := newHarness(t)
	st := h.engine.state(t, appKey)
	st.Paused = "paused by @alice: incident"
	st.Held = []pipeline.Held{{ReleaseID: 12, Stage: "alpha", Target: "alpha", Blockers: []pipeline.Blocker{{Kind: pipeline.BlockerAlarm, Reason: "alarm fault-rate fires"}}}}
	h.engine.put(t, appPipeline("app", ""), "acme/api", st)

	resp := h.run(t, comment("d1/0", "bob", 8, commands.Command{Verb: commands.VerbStatus, Line: "/deploy status"}))
	wantOutcome(t, resp, Accepted, "**acme/api**", "Pull request #8 is in release 12 of app", "paused by @alice: incident",
		"release 12 (2222222) in alpha: held — alpha: alarm fault-rate fires", "release 11 (1111111) in release-approval")
	resp = h.run(t, comment("d2/0", "bob", 30, commands.Command{Verb: commands.VerbStatus, Line: "/deploy status"}))
	wantOutcome(t, resp, Accepted, "#30 is in no release yet: once merged, it deploys through app (alpha → release-approval → wave-1)")
	if e := h.audit.entries[0]; e.Why != "answered" || e.Decision != store.AuditAccepted {
		t.Errorf("audit entry = %+v", e)
	}
}

// A retry of a request whose audit failed after the engine saved its
// effect finds it applied: the override is not added twice.
func TestRetryAppliesOnce(t *testing.T) {
	h := newHarness(t)
	c := commands.Command{Verb: commands.VerbOverride, Line: "/deploy override alarm --reason r", Blocker: pipeline.BlockerAlarm, Reason: "r"}
	h.audit.fail = errBoom
	if _, err := h.runner.Run(context.Background(), comment("d1/0", "alice", 8, c)); !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want the audit's", err)
	}
	h.audit.fail = nil
	wantOutcome(t, h.run(t, comment("d1/0", "alice", 8, c)), Accepted, "overrode alarm for release 12")
	if o := h.engine.state(t, appKey).Overrides; len(o) != 1 {
		t.Fatalf("overrides = %+v, want one", o)
	}
	if st := h.engine.state(t, appKey); !pipeline.Applied(&st, "d1/0") {
		t.Error("the request is not marked applied")
	}
	h.audit.only(t)
}

func TestBlockAndUnblockInEveryPipeline(t *testing.T) {
	h := newHarness(t)
	h.engine.put(t, appPipeline("infra", ""), "acme/api", pipeline.State{Releases: []*pipeline.Release{inAlpha(5, "2222222bbbb")}})
	infraKey := pipeline.Key{Repository: "acme/api", Pipeline: "infra"}
	block := commands.Command{Verb: commands.VerbBlock, Line: "/deploy block 2222222 --reason r", SHA: "2222222", Reason: "r"}
	wantOutcome(t, h.run(t, comment("d1/0", "alice", 0, block)), Accepted, "blocked commit 2222222 in acme/api", "/deploy unblock 2222222")
	for _, k := range []pipeline.Key{appKey, infraKey} {
		if b := h.engine.state(t, k).Blocked; len(b) != 1 || b[0].By != "alice" {
			t.Errorf("%s blocked = %+v", k.Pipeline, b)
		}
	}
	wantOutcome(t, h.run(t, comment("d2/0", "alice", 0, block)), Refused, "already blocked by @alice")
	bad := block
	bad.SHA = "xyz"
	wantOutcome(t, h.run(t, comment("d3/0", "alice", 0, bad)), Refused, "not a commit sha")

	unblock := commands.Command{Verb: commands.VerbUnblock, Line: "/deploy unblock 2222222", SHA: "2222222"}
	wantOutcome(t, h.run(t, comment("d4/0", "alice", 0, unblock)), Accepted, "unblocked commit 2222222")
	for _, k := range []pipeline.Key{appKey, infraKey} {
		if b := h.engine.state(t, k).Blocked; len(b) != 0 {
			t.Errorf("%s still blocked: %+v", k.Pipeline, b)
		}
	}
	wantOutcome(t, h.run(t, comment("d5/0", "alice", 0, unblock)), Refused, "commit 2222222 is not blocked in acme/api")
}

func TestOrgPauseStopsEveryRepositoryOfTheInstallation(t *testing.T) {
	h := newHarness(t)
	webKey := pipeline.Key{Repository: "acme/web", Pipeline: "site"}
	otherKey := pipeline.Key{Repository: "other/app", Pipeline: "app"}
	h.engine.put(t, appPipeline("site", ""), "acme/web", pipeline.State{})
	h.engine.put(t, appPipeline("app", ""), "other/app", pipeline.State{})
	pause := commands.Command{Verb: commands.VerbPause, Line: "/deploy pause --org --reason freeze", Org: true, Reason: "freeze"}
	wantOutcome(t, h.run(t, comment("d1/0", "olga", 0, pause)), Accepted, "paused 2 pipelines of every repository of acme")
	for _, k := range []pipeline.Key{appKey, webKey} {
		if p := h.engine.state(t, k).OrgPaused; !strings.Contains(p, "@olga: freeze") {
			t.Errorf("%s org pause = %q", k.Repository, p)
		}
	}
	if p := h.engine.state(t, otherKey).OrgPaused; p != "" {
		t.Errorf("another installation's repository was paused: %q", p)
	}
	resume := commands.Command{Verb: commands.VerbResume, Line: "/deploy resume --org", Org: true}
	wantOutcome(t, h.run(t, comment("d2/0", "olga", 0, resume)), Accepted, "resumed 2 pipelines")
	if p := h.engine.state(t, webKey).OrgPaused; p != "" {
		t.Errorf("still paused: %q", p)
	}
}

func TestApprovalSubjectCarriesAllowAuthors(t *testing.T) {
	h := newHarness(t)
	p := appPipeline("app", "")
	p.Stages[1].Approval.AllowAuthors = true
	h.engine.put(t, p, "acme/api", pipeline.State{Releases: []*pipeline.Release{waiting(11, "1111111aaaa", 7)}})
	wantOutcome(t, h.run(t, comment("d1/0", "dave", 7, commands.Command{Verb: commands.VerbApprove, Line: "/deploy approve"})), Accepted)
	if !h.auth.subject.AllowAuthors || h.auth.subject.Stage != "release-approval" || h.auth.subject.Repository != "acme/api" {
		t.Errorf("subject = %+v", h.auth.subject)
	}
	// The engine lets the author approve too.
	if d := h.engine.state(t, appKey).Release(11).Stages["release-approval"].Decision; d == nil || d.By != "dave" {
		t.Errorf("decision = %+v", d)
	}
}

func TestRunInvalidFromSlackNamesTheLinkedLogin(t *testing.T) {
	h := newHarness(t)
	h.links.links["T/U1"] = store.SlackLink{SlackTeam: "T", SlackUser: "U1", Login: "alice"}
	p := commands.Parsed{Kind: commands.Invalid, Command: commands.Command{Line: "/deploy bogus"}, Err: errors.New(`unknown verb "bogus"`)}
	for _, user := range []string{"U1", "U2"} {
		req := Request{ID: "t-" + user, Surface: store.SurfaceSlack, SlackTeam: "T", SlackUser: user, Command: p.Command}
		resp, err := h.runner.RunInvalid(context.Background(), req, p)
		if err != nil {
			t.Fatal(err)
		}
		wantOutcome(t, resp, Invalid, "unknown verb")
	}
	if e := h.audit.entries; len(e) != 2 || e[0].Login != "alice" || e[1].Login != "" || e[1].SlackUser != "T/U2" {
		t.Errorf("audit entries = %+v", e)
	}
}

// With the real authorization: a team among the approvers counts through
// GitHub's answer, and a refusal says what is needed and what they have.
func TestAuthorizationThroughTeamsAndRoles(t *testing.T) {
	h := newHarnessWith(t, false)
	approve := commands.Command{Verb: commands.VerbApprove, Line: "/deploy approve"}
	h.roles.roles["erin"] = checks.PermissionAdmin
	wantOutcome(t, h.run(t, comment("d1/0", "erin", 7, approve)), Refused,
		"@erin is not among the approvers of release-approval (@acme/release-managers, @carol)")
	if !slices.Contains(h.roles.asked, "team acme/release-managers erin") {
		t.Errorf("GitHub was not asked about the team: %v", h.roles.asked)
	}
	wantOutcome(t, h.run(t, comment("d2/0", "alice", 7, approve)), Accepted, "approved release 11")

	rollback := commands.Command{Verb: commands.VerbRollback, Line: "/deploy rollback --reason r", Reason: "r"}
	wantOutcome(t, h.run(t, comment("d3/0", "bob", 8, rollback)), Refused, "@bob has read on acme/api", "needs maintain")
	if rr := h.engine.state(t, appKey).Release(12).RollbackRequest; rr != nil {
		t.Errorf("a refused rollback was recorded: %+v", rr)
	}
}
