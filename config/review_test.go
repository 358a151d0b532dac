package config

import (
	"reflect"
	"testing"

	"github.com/wavegate/wavegate/checks"
)

func TestReviewValidValues(t *testing.T) {
	with := func(change func(*checks.Policy)) checks.Policy {
		p := checks.DefaultPolicy()
		change(&p)
		return p
	}
	for _, tc := range []struct {
		name string
		yaml string
		want checks.Policy
	}{
		{"approvals 0", "review: {approvals: 0}", with(func(p *checks.Policy) { p.Approvals = 0 })},
		{"approvals 10", "review: {approvals: 10}", with(func(p *checks.Policy) { p.Approvals = 10 })},
		{"approvals hex", "review: {approvals: 0x3}", with(func(p *checks.Policy) { p.Approvals = 3 })},
		{"permission read", "review: {approver_permission: read}", with(func(p *checks.Policy) { p.ApproverPermission = checks.PermissionRead })},
		{"permission triage", "review: {approver_permission: triage}", with(func(p *checks.Policy) { p.ApproverPermission = checks.PermissionTriage })},
		{"permission write", "review: {approver_permission: write}", with(func(p *checks.Policy) { p.ApproverPermission = checks.PermissionWrite })},
		{"permission maintain", "review: {approver_permission: maintain}", with(func(p *checks.Policy) { p.ApproverPermission = checks.PermissionMaintain })},
		{"permission admin", "review: {approver_permission: admin}", with(func(p *checks.Policy) { p.ApproverPermission = checks.PermissionAdmin })},
		{"stale keep", "review: {stale_approvals: keep}", with(func(p *checks.Policy) { p.StaleApprovals = checks.StaleKeep })},
		{"stale dismiss quoted", `review: {stale_approvals: "dismiss"}`, with(func(p *checks.Policy) { p.StaleApprovals = checks.StaleDismiss })},
		{"checklist trimmed", "review:\n  checklist:\n    - '  Tests pass  '\n    - >\n      Rollback tested\n",
			with(func(p *checks.Policy) { p.Checklist = []string{"Tests pass", "Rollback tested"} })},
		{"checklist explicitly empty", "review: {checklist: []}", with(func(p *checks.Policy) { p.Checklist = []string{} })},
		{"skip paths", `review: {checklist_skip_paths: ["docs/**", "!docs/api/**", "*.md", "a/[b/d"]}`,
			with(func(p *checks.Policy) { p.ChecklistSkipPaths = []string{"docs/**", "!docs/api/**", "*.md", "a/[b/d"} })},
		{"block false", "review: {block_on_changes_requested: false}", with(func(p *checks.Policy) { p.BlockOnChangesRequested = false })},
		{"block True", "review: {block_on_changes_requested: True}", with(func(p *checks.Policy) { p.BlockOnChangesRequested = true })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, diags := Parse(repoFile, []byte(tc.yaml))
			if len(diags) != 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			if got := Merge(nil, f).Review; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("policy = %+v\nwant     %+v", got, tc.want)
			}
		})
	}
}

func TestSettingRecordsKeyPosition(t *testing.T) {
	f, diags := Parse(repoFile, []byte("# org defaults\nreview:\n  stale_approvals: keep\n"))
	if f == nil {
		t.Fatal(diags)
	}
	want := Setting[checks.StaleApprovals]{Value: checks.StaleKeep, Set: true, Line: 3, Column: 3}
	if f.Review.StaleApprovals != want {
		t.Errorf("setting = %+v, want %+v", f.Review.StaleApprovals, want)
	}
}

// TestChecklistKeyAgreesWithChecks pins checklistKey to the matcher it
// mirrors: two items are duplicates here exactly when a box ticked for one
// counts for the other there.
func TestChecklistKeyAgreesWithChecks(t *testing.T) {
	for _, tc := range []struct{ configured, ticked string }{
		{"Rollback tested", "Rollback tested"},
		{"Rollback tested", "rollback  TESTED"},
		{"Rollback tested", "**Rollback tested.**"},
		{"Rollback tested", "_Rollback tested_!"},
		{"Rollback tested", "Rollback untested"},
		{"Tests", "Tests pass"},
		{"key", "\u212Aey"}, // KELVIN SIGN folds to k
		{"straße", "STRASSE"},
		{"a.b", "a b"},
		{"x", "x?!"},
	} {
		policy := checks.DefaultPolicy()
		policy.Checklist = []string{tc.configured}
		pr := checks.PullRequest{Author: "a", HeadSHA: "h", Body: "- [x] " + tc.ticked}
		res := checks.Evaluate(pr, nil, []string{"main.go"}, nil, policy)
		matched := res.Checklist.Ticked() == 1
		if same := checklistKey(tc.configured) == checklistKey(tc.ticked); same != matched {
			t.Errorf("%q vs %q: checklistKey says same=%v, checks says ticked=%v", tc.configured, tc.ticked, same, matched)
		}
	}
}
