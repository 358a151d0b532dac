package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// commandWorld is release 1 of acme/api (commit c1, bringing PR #7 by
// dave) travelling through alpha → sign-off → beta, and people commenting
// on PR #7: lead (write), max (maintain), rita (read).
type commandWorld struct {
	*buttonWorld
	saved chan pipeline.Result
}

const commandPipeline = `pipelines:
  app:
    branch: release
    deployer: {command: deploy}
    stages:
      - {name: alpha, targets: [alpha], bake: 0s}
      - {name: sign-off, approval: {}}
      - {name: beta, targets: [beta], bake: 0s}
`

// newCommandWorld starts Wavegate with release 1 added by rel (nil: as is).
func newCommandWorld(t *testing.T, rel func(*pipeline.Release)) *commandWorld {
	t.Helper()
	return newCommandWorldWith(t, rel, nil)
}

// newCommandWorldWith is newCommandWorld with configure, when set, changing
// the configuration and options first.
func newCommandWorldWith(t *testing.T, rel func(*pipeline.Release), configure func(*Config, *Options)) *commandWorld {
	t.Helper()
	fake := newFake(t)
	fake.AddCommit("acme/api", githubfake.Commit{SHA: "c1"})
	fake.AddPull("acme/api", githubfake.Pull{Number: 7, User: "dave", State: "closed", Merged: true, MergeCommitSHA: "c1", HeadSHA: "h7"})
	for login, role := range map[string]string{"lead": "write", "max": "maintain", "rita": "read"} {
		fake.SetPermission("acme/api", login, role)
	}
	clk := clock.NewFake(time.Date(2026, 11, 21, 14, 2, 0, 0, time.UTC))
	w := &commandWorld{buttonWorld: &buttonWorld{t: t, fake: fake, clk: clk, effects: make(chan store.Effect, 200)},
		saved: make(chan pipeline.Result, 200)}
	cfg, workDir := deployingConfig(t, fake, deployScript)
	opts := Options{WorkDir: workDir,
		OnEffectDone: func(e store.Effect, err error) {
			// Effects cut short by the end of the test are not failures.
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("effect %s: %v", e.Key, err)
			}
			w.effects <- e
		},
		OnEngineSaved: func(_ pipeline.Key, res pipeline.Result) { w.saved <- res },
	}
	if configure != nil {
		configure(&cfg, &opts)
	}
	w.r = startWith(t, cfg, fake, clk, opts)
	installAcme(t, w.r.app.Store(), clk.Now())
	ps := parsePipelines(t, commandPipeline)
	r := pipeline.Release{ID: 1, SHA: "c1", Authors: []string{"dave"}, Pulls: []int{7}, CreatedAt: clk.Now()}
	if rel != nil {
		rel(&r)
	}
	if _, err := w.r.app.runner.ApplyWith(t.Context(), w.key(), ps[0], func(_ pipeline.Pipeline, st *pipeline.State) error {
		return pipeline.AddRelease(st, r)
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// digest sums up the state, in an order that does not depend on maps.
func (w *commandWorld) digest() []string {
	d := stateDigest(w.state())
	slices.Sort(d)
	return d
}

// state is the saved engine state.
func (w *commandWorld) state() pipeline.State {
	w.t.Helper()
	_, st, _, err := w.r.app.engine.LoadWithPipeline(w.t.Context(), w.key())
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

// until waits for saves of the engine state until done says so.
func (w *commandWorld) until(what string, done func(pipeline.State) bool) {
	w.t.Helper()
	for !done(w.state()) {
		select {
		case <-w.saved:
		case <-time.After(10 * time.Second): // deadlock guard only
			w.t.Fatalf("waiting for %s", what)
		}
	}
}

func stageStatus(st pipeline.State, stage string) pipeline.StageStatus {
	if r := st.Release(1); r != nil && r.Stages[stage] != nil {
		return r.Stages[stage].Status
	}
	return ""
}

// comment posts body on PR #7 as login, delivers it as delivery id, waits
// until it is handled and returns the comment's id.
func (w *commandWorld) comment(id, login, body string) int64 {
	w.t.Helper()
	cid := w.fake.AddComment("acme/api", 7, login, body)
	payload := fmt.Sprintf(`{"action":"created","issue":{"number":7,"pull_request":{"url":"https://api.github.com/repos/acme/api/pulls/7"}},`+
		`"comment":{"id":%d,"body":%q,"html_url":"https://github.com/acme/api/pull/7#issuecomment-%d","created_at":"2026-11-21T14:02:00Z",`+
		`"user":{"login":%q,"type":"User"}},"sender":{"login":%q,"type":"User"},"installation":{"id":1},`+
		`"repository":{"id":9,"name":"api","full_name":"acme/api","owner":{"login":"acme"}}}`, cid, body, cid, login, login)
	if code := w.r.deliver("issue_comment", id, payload); code != http.StatusAccepted {
		w.t.Fatalf("%s: %d", id, code)
	}
	if o := w.r.next(); o.State != store.DeliveryDone {
		w.t.Fatalf("%s: %s %v", id, o.State, o.Err)
	}
	return cid
}

// answered waits for the reaction to comment cid, and the reply when one
// was queued, and returns them with the replies posted on PR #7 so far.
func (w *commandWorld) answered(deliveryID string, cid int64) (reaction string, replies []string) {
	w.t.Helper()
	for _, what := range []string{"reaction", "reply"} {
		key := "acme/api/command/" + deliveryID + "/" + what
		e, err := w.r.app.Store().Effect(w.t.Context(), key)
		if errors.Is(err, store.ErrNotFound) && what == "reply" {
			continue // no reply was asked for
		}
		if err == nil && e.State == store.EffectDone {
			continue
		}
		w.waitEffect(key, func(e store.Effect) bool { return e.Key == key })
	}
	for _, c := range w.fake.Comments("acme/api", 7) {
		if c.ID == cid {
			for _, re := range c.Reactions {
				reaction += re.Content
			}
		}
		if strings.Contains(c.Body, "wavegate:reply") {
			replies = append(replies, c.Body)
		}
	}
	return reaction, replies
}

func (w *commandWorld) audit() []store.AuditEntry {
	w.t.Helper()
	entries, err := w.r.app.Store().AuditLog(w.t.Context(), store.AuditFilter{Repository: "acme/api"})
	if err != nil {
		w.t.Fatal(err)
	}
	return entries
}

func (w *commandWorld) auditOf(requestID string) store.AuditEntry {
	w.t.Helper()
	for _, e := range w.audit() {
		if e.RequestID == requestID {
			return e
		}
	}
	w.t.Fatalf("no audit entry %s in %+v", requestID, w.audit())
	return store.AuditEntry{}
}

func TestCommentApproveMovesTheApprovalStage(t *testing.T) {
	w := newCommandWorld(t, nil)
	w.until("sign-off", func(st pipeline.State) bool { return stageStatus(st, "sign-off") == pipeline.StageActive })
	cid := w.comment("c-1", "lead", "Looks good.\n/deploy approve --reason \"checked the dashboards\"")
	w.until("beta", func(st pipeline.State) bool { return stageStatus(st, "beta") != "" })
	d := w.state().Release(1).Stages["sign-off"].Decision
	if d == nil || !d.Approved || d.By != "lead" || d.Reason != "checked the dashboards" {
		t.Fatalf("decision = %+v", d)
	}
	if reaction, replies := w.answered("c-1", cid); reaction != "+1" || len(replies) != 0 {
		t.Fatalf("reaction %q, replies %q; want +1 and none", reaction, replies)
	}
	e := w.auditOf("c-1/0")
	if e.Decision != store.AuditAccepted || e.Login != "lead" || e.Verb != "approve" || e.ReleaseID != 1 ||
		e.Reason != "checked the dashboards" || e.Surface != store.SurfaceComment || !strings.Contains(e.Source, "issuecomment-") {
		t.Fatalf("audit entry = %+v", e)
	}
}

func TestCommentOverrideLetsAnUnreviewedReleaseGo(t *testing.T) {
	w := newCommandWorld(t, func(r *pipeline.Release) { r.Unreviewed = []string{"c1 was pushed without review"} })
	w.until("the unreviewed hold", func(st pipeline.State) bool { return len(st.Held) > 0 })
	if s := stageStatus(w.state(), "alpha"); s != "" && len(w.state().Release(1).Stages["alpha"].Targets) > 0 {
		t.Fatalf("an unreviewed release deployed: alpha %s", s)
	}
	w.comment("c-1", "max", `/deploy override unreviewed --reason "hotfix, reviewed after"`)
	w.until("sign-off", func(st pipeline.State) bool { return stageStatus(st, "sign-off") == pipeline.StageActive })
	if o := w.state().Overrides; len(o) != 1 || o[0].By != "max" || o[0].Blocker != pipeline.BlockerUnreviewed {
		t.Fatalf("overrides = %+v", o)
	}
	if e := w.auditOf("c-1/0"); e.Decision != store.AuditAccepted || e.Verb != "override" || e.Reason != "hotfix, reviewed after" {
		t.Fatalf("audit entry = %+v", e)
	}
}

func TestCommentPauseHoldsAndResumeReleases(t *testing.T) {
	w := newCommandWorld(t, nil)
	w.until("sign-off", func(st pipeline.State) bool { return stageStatus(st, "sign-off") == pipeline.StageActive })
	w.comment("c-1", "max", `/deploy pause --reason "incident 42"`)
	w.comment("c-2", "lead", "/deploy approve")
	w.until("the paused hold", func(st pipeline.State) bool {
		return slices.ContainsFunc(st.Held, func(h pipeline.Held) bool { return h.Stage == "beta" })
	})
	if st := w.state(); st.Paused != "paused by @max: incident 42" || len(st.Release(1).Stages["beta"].Targets) != 0 {
		t.Fatalf("paused %q, beta %+v: want beta held", st.Paused, st.Release(1).Stages["beta"])
	}
	w.comment("c-3", "max", "/deploy resume")
	w.until("beta to deploy", func(st pipeline.State) bool {
		return st.Release(1).Stages["beta"] != nil && len(st.Release(1).Stages["beta"].Targets) > 0
	})
	for _, id := range []string{"c-1/0", "c-2/0", "c-3/0"} {
		if e := w.auditOf(id); e.Decision != store.AuditAccepted {
			t.Errorf("audit entry = %+v", e)
		}
	}
}

func TestCommentRollbackRollsTheReleaseBack(t *testing.T) {
	w := newCommandWorld(t, nil)
	w.until("sign-off", func(st pipeline.State) bool { return stageStatus(st, "sign-off") == pipeline.StageActive })
	w.comment("c-1", "max", `/deploy rollback --reason "errors up after deploy"`)
	w.until("the rollback", func(st pipeline.State) bool {
		tr := st.Release(1).Stages["alpha"].Targets["alpha"]
		return tr != nil && (strings.HasPrefix(string(tr.Phase), "rollback") || tr.Phase == pipeline.PhaseNothingToRollBack || tr.Phase == pipeline.PhaseRolledBack)
	})
	if r := w.state().Release(1); !strings.Contains(r.Reason+r.Stages["alpha"].Reason, "errors up after deploy") {
		t.Fatalf("release %+v does not say why it was rolled back", r)
	}
	if e := w.auditOf("c-1/0"); e.Decision != store.AuditAccepted || e.Verb != "rollback" {
		t.Fatalf("audit entry = %+v", e)
	}
}

func TestReadUsersRollbackIsRefusedWithAReply(t *testing.T) {
	w := newCommandWorld(t, nil)
	w.until("sign-off", func(st pipeline.State) bool { return stageStatus(st, "sign-off") == pipeline.StageActive })
	before := w.digest()
	cid := w.comment("c-1", "rita", `/deploy rollback --reason "looks wrong"`)
	reaction, replies := w.answered("c-1", cid)
	if reaction != "-1" || len(replies) != 1 {
		t.Fatalf("reaction %q, replies %q; want -1 and one reply", reaction, replies)
	}
	for _, want := range []string{"@rita\n", `> /deploy rollback \-\-reason "looks wrong"`, "**Refused:**", "@\u200drita has read on acme/api", "needs maintain"} {
		if !strings.Contains(replies[0], want) {
			t.Errorf("reply does not say %q:\n%s", want, replies[0])
		}
	}
	if after := w.digest(); !slices.Equal(before, after) {
		t.Fatalf("a refused command changed the state:\n%v\n%v", before, after)
	}
	if e := w.auditOf("c-1/0"); e.Decision != store.AuditRefused || e.Login != "rita" || !strings.Contains(e.Why, "needs maintain") {
		t.Fatalf("audit entry = %+v", e)
	}
}

func TestRedeliveredCommentRunsNothingTwice(t *testing.T) {
	w := newCommandWorld(t, nil)
	w.until("sign-off", func(st pipeline.State) bool { return stageStatus(st, "sign-off") == pipeline.StageActive })
	cid := w.comment("c-1", "max", "/deploy pause --reason first\n/deploy bogus")
	w.answered("c-1", cid)
	payload := fmt.Sprintf(`{"action":"created","issue":{"number":7,"pull_request":{}},"comment":{"id":%d,"body":"/deploy pause --reason first","user":{"login":"max"}},`+
		`"sender":{"login":"max"},"installation":{"id":1},"repository":{"id":9,"name":"api","full_name":"acme/api","owner":{"login":"acme"}}}`, cid)
	if code := w.r.deliver("issue_comment", "c-1", payload); code != http.StatusOK {
		t.Fatalf("redelivery answered %d, want 200 (a duplicate)", code)
	}
	if n := len(w.audit()); n != 2 {
		t.Fatalf("audit rows = %d, want 2 (one a line)", n)
	}
	var replies []string
	for _, c := range w.fake.Comments("acme/api", 7) {
		if strings.Contains(c.Body, "wavegate:reply") {
			replies = append(replies, c.Body)
		}
	}
	if len(replies) != 1 {
		t.Fatalf("replies %q, want one", replies)
	}
	if e := w.auditOf("c-1/1"); e.Decision != store.AuditInvalid || !strings.Contains(e.Why, "bogus") {
		t.Fatalf("audit entry = %+v", e)
	}
}

// A write user's Roll back press is refused when overrides need maintain:
// a button is authorized exactly as the command it stands for.
func TestRollbackPressByWriteUserRefused(t *testing.T) {
	w := newCommandWorld(t, nil)
	w.until("sign-off", func(st pipeline.State) bool { return stageStatus(st, "sign-off") == pipeline.StageActive })
	w.waitEffect("the deploy check's buttons", func(store.Effect) bool { return len(w.check().Actions) > 0 })
	before := w.digest()
	at := w.clk.Now()
	w.press("p-1", "lead", effects.ButtonRollback)
	summary := w.refusalShown("p-1")
	if want := refusalLine("lead", "Roll back", at, "@lead has write on acme/api; /deploy rollback needs maintain (overrides.permission)"); !strings.HasPrefix(summary, want) {
		t.Fatalf("the deploy check does not say why:\n%s\nwant it to start with\n%s", summary, want)
	}
	if after := w.digest(); !slices.Equal(before, after) {
		t.Fatalf("a refused press changed the state:\n%v\n%v", before, after)
	}
	if e := w.auditOf("p-1"); e.Decision != store.AuditRefused || e.Surface != store.SurfaceButton || e.Verb != "rollback" {
		t.Fatalf("audit entry = %+v", e)
	}
	// Maintain may.
	w.press("p-2", "max", effects.ButtonRollback)
	if e := w.auditOf("p-2"); e.Decision != store.AuditAccepted {
		t.Fatalf("audit entry = %+v", e)
	}
}

func TestCommentBlockKeepsTheReleaseFromItsNextDeploy(t *testing.T) {
	w := newCommandWorld(t, func(r *pipeline.Release) { r.Commits = []string{"abcdef1234567890", "c1"} })
	w.until("sign-off", func(st pipeline.State) bool { return stageStatus(st, "sign-off") == pipeline.StageActive })
	cid := w.comment("c-1", "max", `/deploy block abcdef1 --reason "leaks memory"`)
	if reaction, _ := w.answered("c-1", cid); reaction != "+1" {
		t.Fatalf("reaction %q", reaction)
	}
	w.comment("c-2", "lead", "/deploy approve")
	w.until("the blocked-commit hold", func(st pipeline.State) bool {
		return slices.ContainsFunc(st.Held, func(h pipeline.Held) bool {
			return h.Stage == "beta" && slices.ContainsFunc(h.Blockers, func(b pipeline.Blocker) bool { return b.Kind == pipeline.BlockerBlockedCommit })
		})
	})
	if beta := w.state().Release(1).Stages["beta"]; beta != nil && len(beta.Targets) != 0 {
		t.Fatalf("a blocked release deployed to beta: %+v", beta)
	}
	w.comment("c-3", "max", "/deploy unblock abcdef1")
	w.until("beta to deploy", func(st pipeline.State) bool {
		return st.Release(1).Stages["beta"] != nil && len(st.Release(1).Stages["beta"].Targets) > 0
	})
	if e := w.auditOf("c-1/0"); e.Decision != store.AuditAccepted || e.Verb != "block" || e.Reason != "leaks memory" {
		t.Fatalf("audit entry = %+v", e)
	}
}
