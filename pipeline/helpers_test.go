package pipeline

import (
	"strings"
	"testing"

	"github.com/wavegate/wavegate/config"
)

const testFile = ".github/wavegate.yml"

// parseYAML runs a whole file through config.Parse and then Parse, as the
// App and `wavegate validate` do.
func parseYAML(t *testing.T, src string) ([]Pipeline, config.Diagnostics) {
	t.Helper()
	f, diags := config.Parse(testFile, []byte(src))
	if f == nil {
		t.Fatalf("config.Parse rejected the test input:\n%s\n%v", src, diags)
	}
	ps, pdiags := Parse(testFile, f.Pipelines)
	if pdiags.HasErrors() && ps != nil {
		t.Fatalf("pipelines returned alongside errors: %v", pdiags)
	}
	return ps, append(diags, pdiags...)
}

// lines formats diagnostics without the file name: "5:16: error: ...".
func lines(ds config.Diagnostics) []string {
	var out []string
	for _, d := range ds {
		out = append(out, strings.TrimPrefix(d.String(), testFile+":"))
	}
	return out
}

// alarmed starts a file whose pipeline has alarms, so that cases about
// something else do not also get the no-alarms warning. Stage lines start
// at line 5.
const alarmed = "pipelines:\n  app:\n    alarms: {queries: {x: up}}\n    stages:\n"
