package notify

import (
	"strings"
	"testing"

	"github.com/wavegate/wavegate/pipeline"
)

func TestNoticeGolden(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	hostile := "exit 1: <!channel> @acme/everyone | <script>x</script> **now**"
	// An author list GitHub never sent: only real logins are mentioned.
	authors := []string{"octo", "ada-l", "acme/everyone", "x y", "<!here>"}
	var out strings.Builder
	for _, n := range []NoticeView{
		{Kind: string(pipeline.NoticeReleaseFailed), Stage: "gamma", Text: hostile},
		{Kind: string(pipeline.NoticeApprovalNeeded), Stage: "release-approval", Text: hostile},
		{Kind: string(pipeline.NoticeRollbackFailed), Stage: "gamma", Text: hostile},
		{Kind: string(pipeline.NoticeNothingToRevert), Stage: "gamma", Text: hostile},
	} {
		n.Key, n.Pipeline, n.ReleaseID, n.Authors = "acme/api/app/notice/r4/"+n.Kind, "app", 4, authors
		body, err := r.Notice(n)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(body, "<!-- wavegate:notice "+n.Key+" -->\n") {
			t.Errorf("%s: the notice lacks its marker: %s", n.Kind, body)
		}
		for _, bad := range []string{"@acme/everyone", "<script>", "<!channel>", "<!here>"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: %q unescaped in %s", n.Kind, bad, body)
			}
		}
		out.WriteString(body + "\n\n---\n\n")
	}
	golden(t, "notices.md", out.String())
}
