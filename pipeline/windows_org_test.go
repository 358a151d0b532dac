package pipeline

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/config"
)

const orgWindowsFile = "acme/.github/wavegate.yml"

func orgWindows(t *testing.T, src string) (*Windows, config.Diagnostics) {
	t.Helper()
	f, diags := config.ParseOrg(orgWindowsFile, []byte(src))
	if f == nil {
		t.Fatalf("config.ParseOrg rejected the test input: %v", diags)
	}
	ws, more := ParseOrgWindows(orgWindowsFile, f.Windows)
	return ws, append(diags, more...)
}

func TestParseOrgWindows(t *testing.T) {
	ws, diags := orgWindows(t, "windows:\n  timezone: Europe/Berlin\n  allow: [Mon-Fri 08:00-18:00]\n  freeze: [{from: 2026-12-20, to: 2027-01-04, reason: Holiday freeze}]\n")
	if len(diags) != 0 || ws == nil || ws.TimeZone != "Europe/Berlin" || len(ws.Allow) != 1 || len(ws.Freezes) != 1 || ws.Stages != nil {
		t.Fatalf("windows %+v, diagnostics %v", ws, diags)
	}
	for _, tc := range []struct{ src, want string }{
		{"windows:\n  allow: [Mon]\n  stages: [prod]\n",
			`acme/.github/wavegate.yml:3:3: error: an organization's windows hold the production stages of every pipeline; stages: belongs to a pipeline's own windows (pipelines.NAME.windows.stages)`},
		{"windows:\n  freeze: [{from: 2026-12-20, to: 2027-01-04}]\n",
			`acme/.github/wavegate.yml:2:12: error: windows.freeze[0] needs a reason: it is what every deploy the freeze holds reports`},
		{"windows:\n  alow: [Mon]\n",
			`acme/.github/wavegate.yml:2:3: error: unknown key "alow" in windows (did you mean "allow"?)`},
	} {
		ws, diags := orgWindows(t, tc.src)
		if ws != nil || !slices.Contains(strings.Split(diags.Error(), "\n"), tc.want) {
			t.Errorf("%q: windows %+v, diagnostics %v, want %s", tc.src, ws, diags, tc.want)
		}
	}
	if ws, diags := ParseOrgWindows(orgWindowsFile, nil); ws != nil || len(diags) != 0 {
		t.Errorf("no section: %+v, %v", ws, diags)
	}
}

// Per stage: the freezes of both apply; the organization's allow list
// applies where the pipeline's own windows give none.
func TestMergeWindows(t *testing.T) {
	orgFreeze := [3]string{"2026-12-20", "2027-01-04", "Org freeze"}
	repoFreeze := [3]string{"2026-11-26", "2026-11-26", "Repo freeze"}
	alpha := Stage{Name: "alpha", Targets: []string{"a"}}
	wave := Stage{Name: "wave-1", Targets: []string{"w"}, Production: true}
	approval := Stage{Name: "ok", Approval: &Approval{}, Production: true}
	withStages := func(ws *Windows, stages ...string) *Windows { ws.Stages = stages; return ws }
	for _, tc := range []struct {
		name       string
		org, own   *Windows
		stage      Stage
		wantAllow  []string
		wantFrozen []string // reasons
		wantNil    bool
	}{
		{"no org", nil, utcWindows(t, []string{"Mon"}), wave, []string{"Mon"}, nil, false},
		{"org alone holds production", utcWindows(t, []string{"Tue"}, orgFreeze), nil, wave, []string{"Tue"}, []string{"Org freeze"}, false},
		{"org alone leaves pre-production", utcWindows(t, []string{"Tue"}, orgFreeze), nil, alpha, nil, nil, true},
		{"org alone leaves approvals", utcWindows(t, []string{"Tue"}, orgFreeze), nil, approval, nil, nil, true},
		{"the repository's allow replaces the org's", utcWindows(t, []string{"Tue"}, orgFreeze), utcWindows(t, []string{"Mon"}, repoFreeze), wave, []string{"Mon"}, []string{"Repo freeze", "Org freeze"}, false},
		{"the org's allow where the repository gives none", utcWindows(t, []string{"Tue"}, orgFreeze), utcWindows(t, nil, repoFreeze), wave, []string{"Tue"}, []string{"Repo freeze", "Org freeze"}, false},
		{"repository stages: its own windows on alpha", utcWindows(t, []string{"Tue"}, orgFreeze), withStages(utcWindows(t, []string{"Mon"}, repoFreeze), "alpha"), alpha, []string{"Mon"}, []string{"Repo freeze"}, false},
		{"repository stages cannot lift the org's on production", utcWindows(t, []string{"Tue"}, orgFreeze), withStages(utcWindows(t, []string{"Mon"}, repoFreeze), "alpha"), wave, []string{"Tue"}, []string{"Org freeze"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := MergeWindows(tc.org, tc.own)
			var e *Windows
			if m != nil {
				e = m.effective(tc.stage)
			}
			if tc.wantNil {
				if e != nil {
					t.Fatalf("effective windows %+v, want none", e)
				}
				return
			}
			if e == nil {
				t.Fatal("no effective windows")
			}
			var allow, frozen []string
			for _, w := range e.Allow {
				allow = append(allow, w.String())
			}
			for _, f := range e.Freezes {
				frozen = append(frozen, f.Reason)
			}
			if !slices.Equal(allow, tc.wantAllow) || !slices.Equal(frozen, tc.wantFrozen) {
				t.Errorf("allow %q, freezes %q; want %q, %q", allow, frozen, tc.wantAllow, tc.wantFrozen)
			}
		})
	}
	if MergeWindows(nil, nil) != nil {
		t.Error("MergeWindows(nil, nil) is not nil")
	}
}

// Merging again, as when the organization's file changes, replaces the
// organization's windows and keeps the pipeline's own; merging none
// leaves the pipeline's own, or nothing.
func TestMergeWindowsAgainReplacesTheOrganizations(t *testing.T) {
	wave := Stage{Name: "wave-1", Targets: []string{"w"}, Production: true}
	oldOrg := utcWindows(t, nil, [3]string{"2026-12-20", "2027-01-04", "Old freeze"})
	newOrg := utcWindows(t, nil, [3]string{"2027-02-01", "2027-02-02", "New freeze"})
	own := utcWindows(t, []string{"Mon"})
	freezes := func(ws *Windows) (reasons []string) {
		if ws == nil {
			return nil
		}
		for _, f := range ws.effective(wave).Freezes {
			reasons = append(reasons, f.Reason)
		}
		return reasons
	}
	if got := freezes(MergeWindows(newOrg, MergeWindows(oldOrg, own))); !slices.Equal(got, []string{"New freeze"}) {
		t.Errorf("with its own windows: freezes %q, want only the new organization's", got)
	}
	if got := freezes(MergeWindows(newOrg, MergeWindows(oldOrg, nil))); !slices.Equal(got, []string{"New freeze"}) {
		t.Errorf("without windows of its own: freezes %q, want only the new organization's", got)
	}
	if m := MergeWindows(nil, MergeWindows(oldOrg, own)); m == nil || m.Org != nil || len(m.Allow) != 1 {
		t.Errorf("organization's windows removed: %+v, want the pipeline's own", m)
	}
	if m := MergeWindows(nil, MergeWindows(oldOrg, nil)); m != nil {
		t.Errorf("organization's windows removed from a pipeline with none: %+v, want nil", m)
	}
}

// An organization's freeze holds the production stages of two
// repositories' pipelines; one with its own windows keeps them on its
// other stages. The merged windows survive the engine state's JSON.
func TestOrgFreezeHoldsTwoRepositories(t *testing.T) {
	org, diags := orgWindows(t, "windows:\n  freeze: [{from: 2026-11-23, to: 2026-11-23, reason: Org launch freeze}]\n")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	api := simplePipeline(
		Stage{Name: "beta", Targets: []string{"B"}, Bake: 0},
		Stage{Name: "prod", Targets: []string{"P"}, Bake: 0, Production: true},
	)
	api.Windows = &Windows{TimeZone: "UTC", loc: time.UTC, Allow: []Window{{Days: allDays, Start: 0, End: minutesPerDay}}, Stages: []string{"beta"}}
	web := prodPipeline(nil, "W")
	merged := WithOrgWindows([]Pipeline{api, web}, org)
	if api.Windows.Org != nil || web.Windows != nil {
		t.Fatal("WithOrgWindows changed the pipelines it was given")
	}
	data, err := json.Marshal(merged)
	if err != nil {
		t.Fatal(err)
	}
	var decoded []Pipeline
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	for i, p := range decoded {
		s := newSim(t, p)
		s.push(1, "s1")
		s.run(time.Hour)
		if len(s.last.Held) != 1 || s.last.Held[0].Blockers[0].Kind != BlockerFreeze ||
			s.last.Held[0].Blockers[0].Reason != "Org launch freeze, until Tue Nov 24 00:00 UTC" {
			t.Errorf("pipeline %d: held %+v, want the organization's freeze", i, s.last.Held)
		}
		if i == 0 {
			s.wantLog("+0m deploy B full r1 s1")
		}
	}
}
