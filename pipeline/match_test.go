package pipeline

import "testing"

func TestMatches(t *testing.T) {
	app := Pipeline{Branch: "main", Paths: []string{"**", "!infra/**", "infra/shared/**"}}
	infra := Pipeline{Branch: "main", Paths: []string{"infra/**"}}
	unfilled := Pipeline{Paths: []string{"**"}}
	literal := Pipeline{Branch: "main"} // built in code, Paths left nil
	for _, tc := range []struct {
		name   string
		p      Pipeline
		branch string
		files  []string
		want   bool
	}{
		{"app file", app, "main", []string{"cmd/main.go"}, true},
		{"other branch", app, "dev", []string{"cmd/main.go"}, false},
		{"excluded only", app, "main", []string{"infra/main.tf", "infra/modules/x.tf"}, false},
		{"one of several", app, "main", []string{"infra/main.tf", "README.md"}, true},
		{"re-included", app, "main", []string{"infra/shared/vars.tf"}, true},
		{"infra selects infra", infra, "main", []string{"infra/main.tf"}, true},
		{"infra ignores app", infra, "main", []string{"cmd/main.go"}, false},
		{"no file list matches", infra, "main", nil, true},
		{"empty file list matches", infra, "main", []string{}, true},
		{"no file list, other branch", infra, "dev", nil, false},
		{"branch not filled in matches no push", unfilled, "main", []string{"a"}, false},
		{"nil paths select everything", literal, "main", []string{"deep/x/y.go"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Matches(tc.branch, tc.files); got != tc.want {
				t.Errorf("Matches(%q, %q) = %v, want %v", tc.branch, tc.files, got, tc.want)
			}
		})
	}
}
