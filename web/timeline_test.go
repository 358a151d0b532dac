package web

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// Release 1 of bakingState, with a rejected-then-approved history and
// commands from two surfaces: its timeline, oldest first.
func TestReleaseTimeline(t *testing.T) {
	st := bakingState()
	r := st.Release(1)
	r.Stages["gamma"].StartedAt = now.Add(-80 * time.Minute)
	r.Stages["gamma"].FinishedAt = now.Add(-30 * time.Minute)
	commands := []store.AuditEntry{
		{At: now.Add(-45 * time.Minute), Repository: "acme/api", Pipeline: "prod", ReleaseID: 1, Login: "lead", Surface: store.SurfaceWeb,
			Line: "/deploy rollback --reason <b>slow</b>", Reason: "<b>slow</b>", Decision: store.AuditRefused, Why: "@lead has write; needs maintain"},
		{At: now.Add(-44 * time.Minute), Repository: "acme/api", ReleaseID: 1, SlackUser: "T1/U2", Surface: store.SurfaceSlack,
			Line: "/deploy status", Decision: store.AuditAccepted},
	}
	got := newBuilderAt(now).timeline(prodPipeline(), st, r, commands, nil)
	var lines []string
	for _, e := range got {
		lines = append(lines, strings.Join([]string{e.When, e.What, e.Who, e.Why}, " | "))
	}
	want := []string{
		"08:00 UTC | release #1 made from 1111111 |  | ",
		"08:00 UTC | beta started |  | ",
		"09:00 UTC | deploy full 1111111 of beta to beta-1 started |  | ",
		"09:00 UTC | deploy full 1111111 of gamma to gamma-1 started |  | ",
		"08:30 UTC | beta succeeded |  | ",
		"08:40 UTC | gamma started |  | ",
		"09:10 UTC | deploy full 1111111 of beta to beta-1 succeeded |  | ",
		"09:10 UTC | deploy full 1111111 of gamma to gamma-1 succeeded |  | ",
		"09:15 UTC | /deploy rollback --reason <b>slow</b> (web, refused) | @lead | @lead has write; needs maintain",
		"09:16 UTC | /deploy status (slack, accepted) | Slack user T1/U2 | ",
		"09:20 UTC | rollback full 0000000 of gamma to gamma-1 started |  | ",
		"09:30 UTC | rollback full 0000000 of gamma to gamma-1 succeeded |  | ",
		"09:30 UTC | gamma failed |  | alarm errors fired",
	}
	slices.Sort(want) // compared as sets below; order is checked by times
	sorted := slices.Clone(lines)
	slices.Sort(sorted)
	if !slices.Equal(sorted, want) {
		t.Errorf("timeline:\n%s\nwant (in any order):\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if !slices.IsSortedFunc(got, func(a, b timelineEntry) int { return a.at.Compare(b.at) }) {
		t.Errorf("timeline not oldest first:\n%s", strings.Join(lines, "\n"))
	}
}

// The release page shows the timeline with the commands from the audit
// log, escaped, and links the commit.
func TestReleasePageTimeline(t *testing.T) {
	fs := &fakeStore{}
	fs.add("acme/api", prodPipeline(), bakingState())
	audit := &fakeAudit{entries: []store.AuditEntry{
		{At: now.Add(-45 * time.Minute), Repository: "acme/api", Pipeline: "prod", ReleaseID: 1, Login: "lead", Surface: store.SurfaceComment,
			Line: `/deploy rollback --reason "<script>x</script>"`, Reason: "<script>x</script>", Decision: store.AuditAccepted},
		{At: now.Add(-44 * time.Minute), Repository: "acme/api", Pipeline: "other", ReleaseID: 1, Login: "max", Surface: store.SurfaceComment,
			Line: "/deploy pause other", Decision: store.AuditAccepted},
	}}
	h := pagesWith(t, Config{Index: fs, Engine: fs, Audit: audit, WebURL: "https://github.com"})
	code, _, body := get(t, h, "GET", "/ui/acme/api/prod/releases/1")
	if code != 200 {
		t.Fatalf("GET = %d:\n%s", code, body)
	}
	for _, want := range []string{`<h2 id="timeline">Timeline</h2>`, "@lead", "&lt;script&gt;x&lt;/script&gt;",
		`href="https://github.com/acme/api/commit/1111111aaaaaaa"`, "rollback full 0000000 of gamma to gamma-1 succeeded"} {
		if !strings.Contains(body, want) {
			t.Errorf("release page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>x") || strings.Contains(body, "/deploy pause other") {
		t.Errorf("release page shows raw markup or another pipeline's command:\n%s", body)
	}
	if len(audit.asked) != 1 || audit.asked[0].ReleaseID != 1 || audit.asked[0].Repository != "acme/api" {
		t.Errorf("audit log asked %+v", audit.asked)
	}
}

func newBuilderAt(at time.Time) builder { return builder{now: at} }

// The release page links the release's changes, check run and
// deployments as its reports do, escaped.
func TestReleasePageLinks(t *testing.T) {
	fs := &fakeStore{}
	fs.add("acme/api", prodPipeline(), bakingState())
	var asked []int64
	h := pagesWith(t, Config{Index: fs, Engine: fs, ReleaseLinks: func(_ context.Context, repo string, _ pipeline.Pipeline, _ pipeline.State, r *pipeline.Release) notify.Links {
		asked = append(asked, r.ID)
		return notify.Links{Compare: "https://github.com/" + repo + "/compare/a...b", CheckRun: `https://github.com/acme/api/runs/5?x="<y>`}
	}})
	_, _, body := get(t, h, "GET", "/ui/acme/api/prod/releases/2")
	for _, want := range []string{`<a href="https://github.com/acme/api/compare/a...b">changes</a>`, `href="https://github.com/acme/api/runs/5?x=%22%3cy%3e"`} {
		if !strings.Contains(body, want) {
			t.Errorf("release page lacks %q", want)
		}
	}
	if strings.Contains(body, ">deployments<") || !slices.Equal(asked, []int64{2}) {
		t.Errorf("links asked for %v; deployments shown without a link:\n%s", asked, body)
	}
}

// A finished step shows what its command deployer printed, escaped.
func TestReleasePageStepOutput(t *testing.T) {
	fs := &fakeStore{}
	fs.add("acme/api", prodPipeline(), bakingState())
	var asked []string
	h := pagesWith(t, Config{Index: fs, Engine: fs, StepOutput: func(_ context.Context, key pipeline.Key, step pipeline.Step) (string, error) {
		asked = append(asked, key.Pipeline+"/"+step.Action+"/"+step.SHA)
		return "kubectl rollout status\n<script>done</script>\n", nil
	}})
	_, _, body := get(t, h, "GET", "/ui/acme/api/prod/releases/1")
	if !strings.Contains(body, `<details class="output"><summary>output</summary><pre>kubectl rollout status
&lt;script&gt;done&lt;/script&gt;
</pre></details>`) {
		t.Errorf("release 1's page lacks the escaped output:\n%s", body)
	}
	slices.Sort(asked)
	// beta-1's deploy, gamma-1's undone deploy and its rollback.
	if want := []string{"prod/deploy/1111111aaaaaaa", "prod/deploy/1111111aaaaaaa", "prod/rollback/0000000fffffff"}; !slices.Equal(asked, want) {
		t.Errorf("outputs asked for %q, want %q", asked, want)
	}
}

// The release page links its Slack thread when it has one; Slack not
// answering leaves the link out, not the page.
func TestReleasePageSlackThread(t *testing.T) {
	fs := &fakeStore{}
	fs.add("acme/api", prodPipeline(), bakingState())
	h := pagesWith(t, Config{Index: fs, Engine: fs, SlackThread: func(_ context.Context, key pipeline.Key, id int64) (string, error) {
		if id == 2 {
			return "", errors.New("ratelimited")
		}
		return "https://acme.slack.com/archives/C1/p17", nil
	}})
	if _, _, body := get(t, h, "GET", "/ui/acme/api/prod/releases/1"); !strings.Contains(body, `<a href="https://acme.slack.com/archives/C1/p17">the release's thread</a>`) {
		t.Errorf("release 1 has no Slack link:\n%s", body)
	}
	if code, _, body := get(t, h, "GET", "/ui/acme/api/prod/releases/2"); code != 200 || strings.Contains(body, "slack.com") {
		t.Errorf("release 2 with Slack failing: %d:\n%s", code, body)
	}
}

type fakeDecisions struct {
	events []store.DecisionEvent
	asked  []string
}

func (f *fakeDecisions) ReleaseDecisions(_ context.Context, repo, pipe string, id int64, limit int) ([]store.DecisionEvent, error) {
	f.asked = append(f.asked, fmt.Sprintf("%s %s %d %d", repo, pipe, id, limit))
	return f.events, nil
}

// With the decision log, the timeline is the engine's decisions and the
// commands, in order, escaped.
func TestReleasePageDecisions(t *testing.T) {
	fs := &fakeStore{}
	fs.add("acme/api", prodPipeline(), bakingState())
	decisions := &fakeDecisions{events: []store.DecisionEvent{
		{ReleaseID: 1, Stage: "beta", What: "entered", Reason: "the first stage", At: now.Add(-119 * time.Minute)},
		{ReleaseID: 1, Stage: "gamma", Target: "gamma-1", What: "data points", Reason: "1,200 of 3,000", At: now.Add(-70 * time.Minute)},
		{ReleaseID: 1, Stage: "gamma", What: "failed", Reason: `alarm <errors> fired: 5xx at 3.2% > 2%`, At: now.Add(-45 * time.Minute)},
	}}
	audit := &fakeAudit{entries: []store.AuditEntry{{At: now.Add(-44 * time.Minute), Repository: "acme/api", Pipeline: "prod", ReleaseID: 1,
		Login: "max", Surface: store.SurfaceSlack, Line: "/deploy resume", Decision: store.AuditAccepted}}}
	h := pagesWith(t, Config{Index: fs, Engine: fs, Audit: audit, Decisions: decisions})
	_, _, body := get(t, h, "GET", "/ui/acme/api/prod/releases/1")
	order := []string{"release #1 made from 1111111", "beta: entered", "gamma / gamma-1: data points", "1,200 of 3,000",
		"gamma: failed", "alarm &lt;errors&gt; fired: 5xx at 3.2% &gt; 2%", "/deploy resume (slack, accepted)"}
	at := 0
	for _, want := range order {
		i := strings.Index(body[at:], want)
		if i < 0 {
			t.Fatalf("the timeline lacks %q after what came before:\n%s", want, body)
		}
		at += i
	}
	if strings.Contains(body, "deploy full 1111111 of beta to beta-1 started") {
		t.Error("with decisions, the timeline still shows the steps rebuilt from the state")
	}
	if want := []string{"acme/api prod 1 500"}; !slices.Equal(decisions.asked, want) {
		t.Errorf("decisions asked %v, want %v", decisions.asked, want)
	}
}
