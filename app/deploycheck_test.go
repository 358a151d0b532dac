package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/effects"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// buttonWorld is a release waiting for approval, its deploy check showing
// its buttons.
type buttonWorld struct {
	t       *testing.T
	r       *running
	fake    *githubfake.Server
	clk     *clock.Fake
	effects chan store.Effect
}

func newButtonWorld(t *testing.T, authors ...string) *buttonWorld {
	t.Helper()
	fake := newFake(t)
	fake.AddCommit("acme/api", githubfake.Commit{SHA: "c1"})
	clk := clock.NewFake(time.Date(2026, 11, 21, 14, 2, 0, 0, time.UTC))
	w := &buttonWorld{t: t, fake: fake, clk: clk, effects: make(chan store.Effect, 100)}
	cfg, workDir := deployingConfig(t, fake, deployScript)
	w.r = startWith(t, cfg, fake, clk, Options{WorkDir: workDir,
		OnEffectDone: func(e store.Effect, err error) {
			// Effects cut short by the end of the test are not failures.
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("effect %s: %v", e.Key, err)
			}
			w.effects <- e
		}})
	installAcme(t, w.r.app.Store(), clk.Now())
	ps := parsePipelines(t, signOffPipeline)
	if _, err := w.r.app.runner.ApplyWith(t.Context(), w.key(), ps[0], func(_ pipeline.Pipeline, st *pipeline.State) error {
		return pipeline.AddRelease(st, pipeline.Release{ID: 1, SHA: "c1", Authors: authors, CreatedAt: clk.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	w.waitEffect("the approval button", func(store.Effect) bool {
		for _, a := range w.check().Actions {
			if a.Identifier == effects.ButtonApprove {
				return true
			}
		}
		return false
	})
	return w
}

func (w *buttonWorld) key() pipeline.Key {
	return pipeline.Key{Repository: "acme/api", Pipeline: "app"}
}

func (w *buttonWorld) check() githubfake.CheckRun {
	for _, c := range w.fake.CheckRuns("acme/api") {
		if c.Name == "wavegate/deploy (app)" {
			return c
		}
	}
	return githubfake.CheckRun{}
}

// waitEffect waits for performed effects until done says so.
func (w *buttonWorld) waitEffect(what string, done func(store.Effect) bool) {
	w.t.Helper()
	if done(store.Effect{}) {
		return
	}
	for {
		select {
		case e := <-w.effects:
			if done(e) {
				return
			}
		case <-time.After(10 * time.Second): // deadlock guard only
			w.t.Fatalf("waiting for %s", what)
		}
	}
}

// press delivers a press of button by sender and waits until it is handled.
func (w *buttonWorld) press(id, sender, button string) {
	w.t.Helper()
	c := w.check()
	body := fmt.Sprintf(`{"action":"requested_action","check_run":{"id":%d,"name":%q,"external_id":%q,"head_sha":"c1"},`+
		`"requested_action":{"identifier":%q},"sender":{"login":%q},"installation":{"id":1},`+
		`"repository":{"id":9,"name":"api","full_name":"acme/api","owner":{"login":"acme"}}}`,
		c.ID, c.Name, c.ExternalID, button, sender)
	if code := w.r.deliver("check_run", id, body); code != http.StatusAccepted {
		w.t.Fatalf("%s: %d", id, code)
	}
	if o := w.r.next(); o.State != store.DeliveryDone {
		w.t.Fatalf("%s: %s %v", id, o.State, o.Err)
	}
}

// refusalShown waits for the report of the refused press id and returns the
// deploy check's summary.
func (w *buttonWorld) refusalShown(id string) string {
	w.t.Helper()
	w.waitEffect("the refusal of "+id, func(e store.Effect) bool { return strings.HasSuffix(e.Key, "/refused/"+id) })
	return w.check().Output.Summary
}

func (w *buttonWorld) paused() string {
	w.t.Helper()
	_, st, _, err := w.r.app.engine.LoadWithPipeline(w.t.Context(), w.key())
	if err != nil {
		w.t.Fatal(err)
	}
	return st.Paused
}

func (w *buttonWorld) decision() *pipeline.ApprovalDecision {
	w.t.Helper()
	_, st, _, err := w.r.app.engine.LoadWithPipeline(w.t.Context(), w.key())
	if err != nil {
		w.t.Fatal(err)
	}
	return st.Release(1).Stages["sign-off"].Decision
}

// permissionAnswers are the statuses of the permission requests so far.
func (w *buttonWorld) permissionAnswers() []int {
	var out []int
	for _, r := range w.fake.Requests() {
		if r.Template == "/repos/{owner}/{repo}/collaborators/{username}/permission" {
			out = append(out, r.Status)
		}
	}
	return out
}

func refusalLine(by, action string, at time.Time, reason string) string {
	return fmt.Sprintf("> ⛔ @%s pressed **%s** at %s: refused — %s.\n", by, action, at.UTC().Format("15:04 UTC"), notify.Markdown(reason))
}

// Demoted on GitHub without any event, an admin is refused at the next
// press: each press revalidates the role, and an unchanged role costs a 304.
func TestDemotedAdminRefusedAtOnceWithoutEvent(t *testing.T) {
	w := newButtonWorld(t)
	w.fake.SetPermission("acme/api", "ada", "admin")
	w.press("p-1", "ada", effects.ButtonPause)
	if w.paused() == "" {
		t.Fatal("an admin's Pause was not applied")
	}
	w.press("p-2", "ada", effects.ButtonResume)
	if p := w.paused(); p != "" {
		t.Fatalf("an admin's Resume was not applied: paused %q", p)
	}
	if got := w.permissionAnswers(); len(got) != 2 || got[0] != http.StatusOK || got[1] != http.StatusNotModified {
		t.Fatalf("permission answers %v, want 200 then 304: each press asks GitHub, conditionally", got)
	}
	w.fake.SetPermission("acme/api", "ada", "read")
	w.clk.Advance(2 * time.Second)
	at := w.clk.Now()
	w.press("p-3", "ada", effects.ButtonPause)
	if p := w.paused(); p != "" {
		t.Fatalf("a demoted admin's Pause was applied: %q", p)
	}
	if got := w.permissionAnswers(); len(got) != 3 || got[2] != http.StatusOK {
		t.Fatalf("permission answers %v, want a third, answered 200 with the new role", got)
	}
	summary := w.refusalShown("p-3")
	want := refusalLine("ada", "Pause", at, "@ada has read on acme/api; /deploy pause needs maintain (overrides.permission)")
	if !strings.HasPrefix(summary, want) {
		t.Fatalf("the deploy check does not say why:\n%s\nwant it to start with\n%s", summary, want)
	}
	if !strings.Contains(summary, "<!-- wavegate:release acme/api/app/1 -->") {
		t.Fatalf("the release's own summary is gone:\n%s", summary)
	}
}

// A member event forgets the remembered role, so that what reads roles from
// memory (the review gate) sees the demotion too, and the press is refused.
func TestDemotedAdminRefusedAtOnceAfterMemberEvent(t *testing.T) {
	w := newButtonWorld(t)
	w.fake.SetPermission("acme/api", "ada", "admin")
	client, err := w.r.app.installationClient(1)
	if err != nil {
		t.Fatal(err)
	}
	remembered := func() string {
		p, err := w.r.app.permissions.Permission(t.Context(), client, "acme", "api", "ada")
		if err != nil {
			t.Fatal(err)
		}
		return p.String()
	}
	if p := remembered(); p != "admin" {
		t.Fatalf("ada is %s", p)
	}
	w.fake.SetPermission("acme/api", "ada", "read")
	if p := remembered(); p != "admin" {
		t.Fatalf("before the event, the remembered role is %s; the test needs it remembered", p)
	}
	const member = `{"action":"edited","member":{"login":"ada","id":7},"changes":{"permission":{"from":"admin"}},` +
		`"repository":{"id":9,"name":"api","full_name":"acme/api","owner":{"login":"acme"}},"sender":{"login":"acme-owner"},"installation":{"id":1}}`
	if code := w.r.deliver("member", "m-1", member); code != http.StatusAccepted {
		t.Fatalf("member event: %d", code)
	}
	if o := w.r.next(); o.State != store.DeliveryDone {
		t.Fatalf("member event: %s %v", o.State, o.Err)
	}
	if p := remembered(); p != "read" {
		t.Fatalf("after the member event, the remembered role is %s; want it forgotten and read again", p)
	}
	w.press("p-1", "ada", effects.ButtonApprove)
	if d := w.decision(); d != nil {
		t.Fatalf("a demoted admin's Approve was applied: %+v", d)
	}
	summary := w.refusalShown("p-1")
	if want := refusalLine("ada", "Approve", w.clk.Now(), "@ada has read on acme/api; /deploy approve needs write (sign-off names no approvers)"); !strings.HasPrefix(summary, want) {
		t.Fatalf("the deploy check does not say why:\n%s\nwant it to start with\n%s", summary, want)
	}
}

// The engine's refusals are shown the same way: an admin who wrote part of
// the release may not approve it.
func TestEngineRefusalShownOnTheDeployCheck(t *testing.T) {
	w := newButtonWorld(t, "ada")
	w.fake.SetPermission("acme/api", "ada", "admin")
	w.press("p-1", "ada", effects.ButtonApprove)
	if d := w.decision(); d != nil {
		t.Fatalf("an author's Approve was applied: %+v", d)
	}
	summary := w.refusalShown("p-1")
	if want := refusalLine("ada", "Approve", w.clk.Now(), "@ada is an author of this release, and sign-off does not let authors approve their own release (allow_authors); another approver must"); !strings.HasPrefix(summary, want) {
		t.Fatalf("the deploy check does not say why:\n%s\nwant it to start with\n%s", summary, want)
	}
	// The next change of the release replaces the note.
	w.fake.SetPermission("acme/api", "lead", "admin")
	w.press("p-2", "lead", effects.ButtonApprove)
	w.waitEffect("the release to finish", func(store.Effect) bool { return w.check().Conclusion == "success" })
	if s := w.check().Output.Summary; strings.Contains(s, "refused") || !strings.Contains(s, "approved by @") {
		t.Fatalf("after an accepted press:\n%s", s)
	}
}
