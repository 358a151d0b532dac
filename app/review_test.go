package app

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	headA = "aaaaaaa111111111111111111111111111111111"
	headB = "bbbbbbb222222222222222222222222222222222"
)

const reviewConfig = `review:
  approvals: 1
  checklist:
    - Sufficient test coverage
    - Rollback tested
`

// reviewWorld is a running Wavegate, a repository with the review gate
// configured, and one pull request.
type reviewWorld struct {
	*running
	pull githubfake.Pull
	seq  int
}

func newReviewWorld(t *testing.T, configYAML string) *reviewWorld {
	t.Helper()
	fake := newFake(t)
	fake.AddRepo("acme", ".github", githubfake.RepoOpts{InstallationID: 1, DefaultBranch: "main"})
	if configYAML != "" {
		fake.SetFile("acme/api", "main", ".github/wavegate.yml", configYAML)
	}
	for login, role := range map[string]string{"wes": "write", "rea": "read", "octo": "write"} {
		fake.SetPermission("acme/api", login, role)
	}
	w := &reviewWorld{running: start(t, newConfig(t, fake, true), fake, clock.NewFake(time.Now()), nil)}
	w.pull = githubfake.Pull{
		Number: 7, Title: "Faster checkout", User: "octo", HeadRef: "faster", HeadSHA: headA,
		Body:  "Makes checkout faster.\n\n- [x] Sufficient test coverage\n- [ ] Rollback tested\n",
		Files: []githubfake.File{{Filename: "checkout.go"}},
	}
	fake.AddPull("acme/api", w.pull)
	return w
}

func (w *reviewWorld) repoJSON() map[string]any {
	return map[string]any{"id": 9, "name": "api", "full_name": "acme/api", "default_branch": "main",
		"owner": map[string]any{"login": "acme"}}
}

func (w *reviewWorld) prJSON() map[string]any {
	return map[string]any{"number": w.pull.Number, "state": "open", "title": w.pull.Title, "body": w.pull.Body,
		"draft": w.pull.Draft, "user": map[string]any{"login": w.pull.User},
		"head": map[string]any{"sha": w.pull.HeadSHA, "ref": w.pull.HeadRef}, "base": map[string]any{"ref": "main"}}
}

// send delivers an event and waits until it is processed.
func (w *reviewWorld) send(event string, payload map[string]any) {
	w.t.Helper()
	payload["installation"] = map[string]any{"id": 1}
	payload["repository"] = w.repoJSON()
	body, err := json.Marshal(payload)
	if err != nil {
		w.t.Fatal(err)
	}
	w.seq++
	id := fmt.Sprintf("%s-%d", event, w.seq)
	if code := w.deliver(event, id, string(body)); code != http.StatusAccepted {
		w.t.Fatalf("%s: status %d", id, code)
	}
	if o := w.next(); o.Delivery.ID != id || o.State != store.DeliveryDone {
		w.t.Fatalf("%s ended %s: %v", o.Delivery.ID, o.State, o.Err)
	}
}

func (w *reviewWorld) prEvent(action string) {
	w.fake.AddPull("acme/api", w.pull)
	w.send("pull_request", map[string]any{"action": action, "number": w.pull.Number, "pull_request": w.prJSON()})
}

func (w *reviewWorld) review(reviewer, state, commit string) {
	w.fake.AddReview("acme/api", w.pull.Number, githubfake.Review{User: reviewer, State: state, CommitID: commit, SubmittedAt: w.clock.Now()})
	w.send("pull_request_review", map[string]any{"action": "submitted", "pull_request": w.prJSON(),
		"review": map[string]any{"state": strings.ToLower(state), "user": map[string]any{"login": reviewer}, "commit_id": commit}})
}

// check returns the review check run on head.
func (w *reviewWorld) check(head string) githubfake.CheckRun {
	w.t.Helper()
	var found []githubfake.CheckRun
	for _, c := range w.fake.CheckRuns("acme/api") {
		if c.Name == "wavegate/review" && c.HeadSHA == head {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		w.t.Fatalf("%d review check runs on %s, want exactly 1", len(found), head)
	}
	return found[0]
}

func checkGolden(t *testing.T, name string, c githubfake.CheckRun) {
	t.Helper()
	got := fmt.Sprintf("status: %s\nconclusion: %s\ntitle: %s\n\n%s", c.Status, c.Conclusion, c.Output.Title, c.Output.Summary)
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./app -run Review -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("check run differs from %s:\n%s", path, got)
	}
}

func TestReviewGateEndToEnd(t *testing.T) {
	w := newReviewWorld(t, reviewConfig)

	// Opened with an unticked checklist item and no review: failure.
	w.prEvent("opened")
	c := w.check(headA)
	if c.Status != "completed" || c.Conclusion != "failure" || c.Output.Title != "0 of 1 approvals · 1 of 2 checklist items" {
		t.Fatalf("after opened: %s %s %q", c.Status, c.Conclusion, c.Output.Title)
	}
	checkGolden(t, "review-opened.md", c)

	// Approved by a writer, and the checklist completed: success.
	w.review("wes", "APPROVED", headA)
	w.pull.Body = strings.Replace(w.pull.Body, "- [ ] Rollback tested", "- [x] Rollback tested", 1)
	w.send("pull_request", map[string]any{"action": "edited", "number": 7, "pull_request": w.prJSON(),
		"changes": map[string]any{"body": map[string]any{"from": "old"}}})
	c = w.check(headA)
	if c.Conclusion != "success" || c.Output.Title != "1 of 1 approvals · 2 of 2 checklist items" {
		t.Fatalf("after approval and checklist: %s %q", c.Conclusion, c.Output.Title)
	}
	checkGolden(t, "review-approved.md", c)

	// A new push makes the approval stale: failure on the new head.
	w.pull.HeadSHA = headB
	w.fake.ResetRecording()
	w.prEvent("synchronize")
	c = w.check(headB)
	if c.Conclusion != "failure" || c.Output.Title != "0 of 1 approvals · 2 of 2 checklist items" {
		t.Fatalf("after a new push: %s %q", c.Conclusion, c.Output.Title)
	}
	if !strings.Contains(c.Output.Summary, "aaaaaaa, not the head commit bbbbbbb") {
		t.Fatalf("summary does not explain the stale approval:\n%s", c.Output.Summary)
	}
	checkGolden(t, "review-stale.md", c)

	// The API budget of a synchronize in steady state (config and permission
	// remembered): create the run, list reviews, list files, complete it.
	if n := w.fake.CountExcept(githubfake.TokenTemplate); n != 4 {
		for _, r := range w.fake.Requests() {
			t.Logf("%s %s -> %d", r.Method, r.Path, r.Status)
		}
		t.Fatalf("a synchronize cost %d GitHub calls, want 4 (the issue allows at most 4)", n)
	}
}

func TestReviewGateSkipsEventsThatCannotChangeTheResult(t *testing.T) {
	w := newReviewWorld(t, reviewConfig)
	w.prEvent("opened")
	w.fake.ResetRecording()
	w.send("pull_request", map[string]any{"action": "edited", "number": 7, "pull_request": w.prJSON(),
		"changes": map[string]any{"title": map[string]any{"from": "Old title"}}})
	w.send("pull_request_review", map[string]any{"action": "submitted", "pull_request": w.prJSON(),
		"review": map[string]any{"state": "commented", "user": map[string]any{"login": "wes"}}})
	if n := w.fake.Calls(); n != 0 {
		t.Fatalf("a title edit and a comment-only review cost %d calls, want 0", n)
	}
}

func TestReviewGateDraftIsNeutral(t *testing.T) {
	w := newReviewWorld(t, reviewConfig)
	w.pull.Draft = true
	w.prEvent("opened")
	if c := w.check(headA); c.Conclusion != "neutral" || c.Output.Title != "Not evaluated while draft" {
		t.Fatalf("draft: %s %q", c.Conclusion, c.Output.Title)
	}
}

func TestReviewGateConfigErrorsAnnotated(t *testing.T) {
	w := newReviewWorld(t, "review:\n  approvals: 1\n  aprovals: 2\n")
	w.prEvent("opened")
	c := w.check(headA)
	if c.Conclusion != "failure" || !strings.Contains(c.Output.Title, "configuration has errors") {
		t.Fatalf("broken config: %s %q; it must never pass", c.Conclusion, c.Output.Title)
	}
	if len(c.Output.Annotations) != 1 {
		t.Fatalf("annotations %+v, want one", c.Output.Annotations)
	}
	a := c.Output.Annotations[0]
	if a.Path != ".github/wavegate.yml" || a.StartLine != 3 || a.AnnotationLevel != "failure" || !strings.Contains(a.Message, `"aprovals"`) {
		t.Fatalf("annotation %+v, want .github/wavegate.yml:3 about aprovals", a)
	}
}

func TestReviewGateValidatesAProposedConfig(t *testing.T) {
	w := newReviewWorld(t, reviewConfig)
	w.pull.Files = append(w.pull.Files, githubfake.File{Filename: ".github/wavegate.yml"})
	w.fake.AddPull("acme/api", w.pull)
	w.fake.SetFile("acme/api", headA, ".github/wavegate.yml", "review:\n  approvals: 1\n  approver_permission: god\n")
	w.review("wes", "APPROVED", headA)
	c := w.check(headA)
	if c.Conclusion != "failure" || !strings.Contains(c.Output.Title, "proposed .github/wavegate.yml has errors") {
		t.Fatalf("proposed broken config: %s %q", c.Conclusion, c.Output.Title)
	}
	if len(c.Output.Annotations) != 1 || c.Output.Annotations[0].StartLine != 3 {
		t.Fatalf("annotations %+v, want one at line 3", c.Output.Annotations)
	}
	// The default branch's configuration is still the one in force: its
	// checklist, not the proposed file's, decided the rest of the title.
	if !strings.Contains(c.Output.Title, "1 of 2 checklist items") {
		t.Fatalf("title %q does not come from the configuration in force", c.Output.Title)
	}
}

func TestVerdictsOfPushedCommits(t *testing.T) {
	w := newReviewWorld(t, reviewConfig)
	// #7 passes the gate and is merged as commit m1; d1 is pushed directly.
	w.pull.Body = "- [x] Sufficient test coverage\n- [x] Rollback tested\n"
	w.prEvent("opened")
	w.review("wes", "APPROVED", headA)
	w.pull.State, w.pull.Merged, w.pull.MergeCommitSHA = "closed", true, "m1"
	w.fake.AddPull("acme/api", w.pull)
	w.fake.AddCommit("acme/api", githubfake.Commit{SHA: "m1"})
	w.fake.AddCommit("acme/api", githubfake.Commit{SHA: "d1"})
	w.fake.SetCommitPulls("acme/api", "m1", 7)
	w.send("push", map[string]any{"ref": "refs/heads/main", "before": headA, "after": "d1",
		"commits": []map[string]any{{"id": "m1"}, {"id": "d1"}}})

	m1, err := w.app.Store().Verdict(t.Context(), "acme/api", "m1")
	if err != nil || !m1.Reviewed || m1.PullNumber != 7 {
		t.Fatalf("merged approved commit: %+v %v, want reviewed through #7", m1, err)
	}
	d1, err := w.app.Store().Verdict(t.Context(), "acme/api", "d1")
	if err != nil || d1.Reviewed || d1.Reason != "reached main without a merged pull request" {
		t.Fatalf("direct push: %+v %v, want unreviewed", d1, err)
	}
}

func TestReviewGateRerequestedAndConfigPush(t *testing.T) {
	w := newReviewWorld(t, reviewConfig)
	w.prEvent("opened")
	if c := w.check(headA); c.Conclusion != "failure" {
		t.Fatalf("after opened: %s", c.Conclusion)
	}
	// Someone ticks the box without an edit event reaching Wavegate, then
	// asks for the check again.
	w.pull.Body = "- [x] Sufficient test coverage\n- [x] Rollback tested\n"
	w.fake.AddPull("acme/api", w.pull)
	w.fake.AddReview("acme/api", 7, githubfake.Review{User: "wes", State: "APPROVED", CommitID: headA, SubmittedAt: w.clock.Now()})
	w.send("check_run", map[string]any{"action": "rerequested", "check_run": map[string]any{
		"name": "wavegate/review", "head_sha": headA,
		"pull_requests": []map[string]any{{"number": 7, "head": map[string]any{"sha": headA}}}}})
	if c := w.check(headA); c.Conclusion != "success" {
		t.Fatalf("after rerequested: %s %q", c.Conclusion, c.Output.Title)
	}
	// The default branch's configuration now asks for two approvals: the open
	// pull request is evaluated again at once.
	w.fake.SetFile("acme/api", "main", ".github/wavegate.yml", strings.Replace(reviewConfig, "approvals: 1", "approvals: 2", 1))
	w.send("push", map[string]any{"ref": "refs/heads/main", "before": "c0", "after": "c1",
		"commits": []map[string]any{{"id": "c1", "modified": []string{".github/wavegate.yml"}}}})
	if c := w.check(headA); c.Conclusion != "failure" || !strings.HasPrefix(c.Output.Title, "1 of 2 approvals") {
		t.Fatalf("after the configuration changed: %s %q", c.Conclusion, c.Output.Title)
	}
}

func TestVerdictsOfAForcedPushUseTheCompareAPI(t *testing.T) {
	w := newReviewWorld(t, reviewConfig)
	w.fake.AddCommit("acme/api", githubfake.Commit{SHA: "f1"})
	w.fake.AddCommit("acme/api", githubfake.Commit{SHA: "f2"})
	w.fake.SetCompare("acme/api", "old", "f2", githubfake.Commit{SHA: "f1"}, githubfake.Commit{SHA: "f2"})
	// A forced push's commits[] is not what is new to the branch: here it
	// names only the tip, and the compare API gives both.
	w.send("push", map[string]any{"ref": "refs/heads/main", "before": "old", "after": "f2", "forced": true,
		"commits": []map[string]any{{"id": "f2"}}})
	if n := w.fake.Count(http.MethodGet, "/repos/{owner}/{repo}/compare/{basehead}"); n != 1 {
		t.Fatalf("compare called %d times, want 1", n)
	}
	for _, sha := range []string{"f1", "f2"} {
		v, err := w.app.Store().Verdict(t.Context(), "acme/api", sha)
		if err != nil || v.Reviewed {
			t.Fatalf("%s: %+v %v, want unreviewed", sha, v, err)
		}
	}
}

func TestReviewGateAnnotatesAProposedPipeline(t *testing.T) {
	w := newReviewWorld(t, reviewConfig)
	w.pull.Files = append(w.pull.Files, githubfake.File{Filename: ".github/wavegate.yml"})
	w.fake.AddPull("acme/api", w.pull)
	w.fake.SetFile("acme/api", headA, ".github/wavegate.yml", `review:
  approvals: 1
pipelines:
  app:
    stages:
      - {name: alpha, targets: [alpha], bake: 10m}
      - {name: beta, targets: [alpha], bake: 10m}
`)
	w.prEvent("opened")
	c := w.check(headA)
	if c.Conclusion != "failure" {
		t.Fatalf("a proposed pipeline with a target in two stages: %s %q", c.Conclusion, c.Output.Title)
	}
	var found bool
	for _, a := range c.Output.Annotations {
		if a.StartLine == 7 && a.AnnotationLevel == "failure" && strings.Contains(a.Message, "alpha") {
			found = true
		}
	}
	if !found {
		t.Fatalf("annotations %+v, want an error at line 7 about target alpha", c.Output.Annotations)
	}
}
