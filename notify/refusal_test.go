package notify

import (
	"strings"
	"testing"
	"time"
)

func TestRefusalNoteGolden(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 14, 2, 59, 0, time.FixedZone("PST", -8*3600))
	body := "<!-- wavegate:release acme/api/app/3 -->\n### Release 3 of `app`\n"
	var out strings.Builder
	for _, v := range []RefusalView{
		{By: "alice", Action: "Resume", At: at,
			Reason: "pressing the deploy check's buttons needs the admin role on acme/api; @alice has read"},
		{By: "octo", Action: "Approve", At: at, Reason: "@octo wrote part of release 3 and cannot approve it."},
		{By: "acme/everyone", Action: "Roll <b>back</b>", At: at,
			Reason: "exit 1: <!channel> @acme/everyone | <script>x</script> **now**\nsecond line"},
	} {
		got, err := r.DeployCheckSummary(body, &v)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(got, "\n\n"+body) {
			t.Errorf("the release's summary does not follow the note intact:\n%s", got)
		}
		for _, bad := range []string{"@acme/everyone", "<script>", "<!channel>", "<b>", "it..", "\nsecond"} {
			if strings.Contains(got, bad) {
				t.Errorf("%q in %s", bad, got)
			}
		}
		out.WriteString(got + "\n---\n\n")
	}
	golden(t, "refusal.md", out.String())

	if got, err := r.DeployCheckSummary(body, nil); err != nil || got != body {
		t.Fatalf("without a refusal: %q %v, want the body unchanged", got, err)
	}
	long := strings.Repeat("x", CheckRunTextLimit)
	if got, _ := r.DeployCheckSummary(long, &RefusalView{By: "alice", Action: "Pause", At: at, Reason: "no"}); len(got) > CheckRunTextLimit {
		t.Fatalf("a summary of %d bytes is over the check run's limit", len(got))
	}
}
