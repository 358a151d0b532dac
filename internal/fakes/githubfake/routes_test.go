package githubfake

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func readRoutesTxt(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("ROUTES.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

func TestServedRoutesAreInOpenAPI(t *testing.T) {
	spec, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	ops := spec.Operations()
	for _, line := range readRoutesTxt(t) {
		if !slices.Contains(ops, line) {
			t.Errorf("ROUTES.txt has %q, which the OpenAPI subset lacks: add it to openapi/operations.txt and re-cut", line)
		}
	}
}

// TestRoutesTxtIsCurrent keeps ROUTES.txt, which the OpenAPI subset is cut
// from, the same list as the routes the fake registers.
func TestRoutesTxtIsCurrent(t *testing.T) {
	s := New(t)
	var served []string
	for _, rt := range s.routeTable() {
		served = append(served, rt.method+" "+rt.template)
	}
	listed := readRoutesTxt(t)
	slices.Sort(served)
	slices.Sort(listed)
	if !slices.Equal(served, listed) {
		t.Errorf("ROUTES.txt is stale:\nserved: %q\nlisted: %q", served, listed)
	}
}
