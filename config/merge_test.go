package config

import (
	"reflect"
	"testing"

	"github.com/wavegate/wavegate/checks"
)

const orgFile = "acme/.github/wavegate.yml"

func mustParse(t *testing.T, parse func(string, []byte) (*File, Diagnostics), name, data string) *File {
	t.Helper()
	if data == "" {
		return nil // absent
	}
	f, diags := parse(name, []byte(data))
	if len(diags) != 0 {
		t.Fatalf("%s: %v", name, diags)
	}
	return f
}

func TestMerge(t *testing.T) {
	org := func(line int) Source { return Source{Layer: LayerOrg, File: orgFile, Line: line, Column: 3} }
	repo := func(line int) Source { return Source{Layer: LayerRepo, File: repoFile, Line: line, Column: 3} }
	for _, tc := range []struct {
		name      string
		org, repo string // "" is an absent file
		want      checks.Policy
		sources   ReviewSources
	}{
		{
			name: "both absent: defaults",
			want: checks.DefaultPolicy(),
		},
		{
			name: "organization fills what the defaults had",
			org:  "review:\n  approvals: 2\n  checklist: [Tests]\n",
			want: checks.Policy{Approvals: 2, ApproverPermission: checks.PermissionWrite, StaleApprovals: checks.StaleDismiss,
				Checklist: []string{"Tests"}, BlockOnChangesRequested: true},
			sources: ReviewSources{Approvals: org(2), Checklist: org(3)},
		},
		{
			name: "repository overrides the organization field by field",
			org:  "review:\n  approvals: 2\n  approver_permission: maintain\n  checklist: [Tests, Rollback]\n",
			repo: "review:\n  approvals: 0\n  block_on_changes_requested: false\n  checklist: [Docs]\n",
			want: checks.Policy{Approvals: 0, ApproverPermission: checks.PermissionMaintain, StaleApprovals: checks.StaleDismiss,
				Checklist: []string{"Docs"}, BlockOnChangesRequested: false},
			sources: ReviewSources{Approvals: repo(2), ApproverPermission: org(3), Checklist: repo(4), BlockOnChangesRequested: repo(3)},
		},
		{
			name: "an empty repository checklist removes the organization's",
			org:  "review:\n  checklist: [Tests]\n  checklist_skip_paths: [docs/**]\n",
			repo: "review:\n  checklist: []\n",
			want: checks.Policy{Approvals: 1, ApproverPermission: checks.PermissionWrite, StaleApprovals: checks.StaleDismiss,
				Checklist: []string{}, ChecklistSkipPaths: []string{"docs/**"}, BlockOnChangesRequested: true},
			sources: ReviewSources{Checklist: repo(2), ChecklistSkipPaths: org(3)},
		},
		{
			name: "repository alone",
			repo: "review:\n  stale_approvals: keep\n",
			want: checks.Policy{Approvals: 1, ApproverPermission: checks.PermissionWrite, StaleApprovals: checks.StaleKeep,
				BlockOnChangesRequested: true},
			sources: ReviewSources{StaleApprovals: repo(2)},
		},
		{
			name: "empty repository file over organization",
			org:  "review:\n  approvals: 3\n",
			repo: "# nothing\n",
			want: checks.Policy{Approvals: 3, ApproverPermission: checks.PermissionWrite, StaleApprovals: checks.StaleDismiss,
				BlockOnChangesRequested: true},
			sources: ReviewSources{Approvals: org(2)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Merge(mustParse(t, ParseOrg, orgFile, tc.org), mustParse(t, Parse, repoFile, tc.repo))
			if !reflect.DeepEqual(c.Review, tc.want) {
				t.Errorf("policy = %+v\nwant     %+v", c.Review, tc.want)
			}
			if c.ReviewSources != tc.sources {
				t.Errorf("sources = %+v\nwant      %+v", c.ReviewSources, tc.sources)
			}
		})
	}
}

func TestMergeDoesNotShareLists(t *testing.T) {
	org := mustParse(t, ParseOrg, orgFile, "review:\n  checklist: [Tests]\n  checklist_skip_paths: [docs/**]\n")
	c := Merge(org, nil)
	c.Review.Checklist[0] = "changed"
	c.Review.ChecklistSkipPaths[0] = "changed"
	again := Merge(org, nil)
	if again.Review.Checklist[0] != "Tests" || again.Review.ChecklistSkipPaths[0] != "docs/**" {
		t.Errorf("a merged config shares memory with the organization file: %+v", again.Review)
	}
}

func TestMergeSections(t *testing.T) {
	org := mustParse(t, ParseOrg, orgFile, "pipelines:\n  shared: {}\npolicies:\n  onebox: {mode: warn}\nwindows:\n  allow: [Mon-Fri]\nalarms:\n  match: {team: api}\n")
	withOwn := mustParse(t, Parse, repoFile, "pipelines:\n  app: {}\n")
	withNone := mustParse(t, Parse, repoFile, "pipelines: {}\n")
	withNull := mustParse(t, Parse, repoFile, "pipelines:\n")

	for _, tc := range []struct {
		name      string
		repo      *File
		firstKey  string // "" for an empty mapping
		source    Source
		wantEmpty bool
	}{
		{"repository pipelines replace the organization's", withOwn, "app", Source{LayerRepo, repoFile, 2, 3}, false},
		{"an empty mapping says: no pipelines", withNone, "", Source{LayerRepo, repoFile, 1, 12}, true},
		{"a null section inherits", withNull, "shared", Source{LayerOrg, orgFile, 2, 3}, false},
		{"an absent file inherits", nil, "shared", Source{LayerOrg, orgFile, 2, 3}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Merge(org, tc.repo)
			if c.Pipelines == nil {
				t.Fatal("pipelines nil")
			}
			if tc.wantEmpty != (len(c.Pipelines.Content) == 0) ||
				(!tc.wantEmpty && c.Pipelines.Content[0].Value != tc.firstKey) {
				t.Errorf("pipelines = %+v, want first key %q", c.Pipelines.Content, tc.firstKey)
			}
			if c.PipelinesSource != tc.source {
				t.Errorf("pipelines source = %+v, want %+v", c.PipelinesSource, tc.source)
			}
			if c.Policies == nil || c.Policies.Content[0].Value != "onebox" || c.PoliciesSource != (Source{LayerOrg, orgFile, 4, 3}) {
				t.Errorf("policies = %+v from %+v, want the organization's", c.Policies, c.PoliciesSource)
			}
			if c.Windows == nil || c.Windows.Content[0].Value != "allow" || c.WindowsSource != (Source{LayerOrg, orgFile, 6, 3}) {
				t.Errorf("windows = %+v from %+v, want the organization's", c.Windows, c.WindowsSource)
			}
			if c.Alarms == nil || c.Alarms.Content[0].Value != "match" || c.AlarmsSource != (Source{LayerOrg, orgFile, 8, 3}) {
				t.Errorf("alarms = %+v from %+v, want the organization's", c.Alarms, c.AlarmsSource)
			}
		})
	}

	if c := Merge(nil, nil); c.Pipelines != nil || c.Policies != nil || c.Windows != nil || c.Alarms != nil || c.PipelinesSource != (Source{}) {
		t.Errorf("Merge(nil, nil) has sections: %+v", c)
	}
}

func TestSourceString(t *testing.T) {
	for _, tc := range []struct {
		s    Source
		want string
	}{
		{Source{}, "default"},
		{Source{LayerOrg, orgFile, 3, 3}, "organization (acme/.github/wavegate.yml:3:3)"},
		{Source{LayerRepo, repoFile, 7, 5}, "repository (.github/wavegate.yml:7:5)"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.s, got, tc.want)
		}
	}
}
