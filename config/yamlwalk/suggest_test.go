package yamlwalk

import "testing"

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"review", "review", 0},
		{"reveiw", "review", 1}, // transposition
		{"aprovals", "approvals", 1},
		{"approvls", "approvals", 1},
		{"kitten", "sitting", 3},
		{"ça", "ca", 1}, // runes, not bytes
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := editDistance(tc.b, tc.a); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"approvals", "approver_permission", "stale_approvals", "checklist", "checklist_skip_paths", "block_on_changes_requested"}
	for _, tc := range []struct {
		word, want string
	}{
		{"aprovals", "approvals"},
		{"APPROVALS", "approvals"},
		{"checklist_skip_path", "checklist_skip_paths"},
		{"block-on-changes-requested", "block_on_changes_requested"},
		{"stale", ""},
		{"colour", ""},
		{"", ""},
	} {
		got, ok := Closest(tc.word, keys)
		if ok != (tc.want != "") || got != tc.want && ok {
			t.Errorf("Closest(%q) = %q, %v; want %q", tc.word, got, ok, tc.want)
		}
	}
}
