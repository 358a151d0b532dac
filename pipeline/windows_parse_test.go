package pipeline

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// windowsFile makes a file with one pipeline of a pre-production stage
// "alpha", an approval "ok" and a production stage "wave-1", whose windows:
// section is the given lines (from line 4, indented under windows:).
func windowsFile(lines ...string) string {
	var b strings.Builder
	b.WriteString("pipelines:\n  app:\n    alarms: {queries: {q: up}}\n    windows:\n")
	for _, l := range lines {
		b.WriteString("      " + l + "\n")
	}
	b.WriteString("    stages:\n" +
		"      - {name: alpha, targets: [a], bake: 0s}\n" +
		"      - {name: ok, approval: {}}\n" +
		"      - {name: wave-1, targets: [w], bake: 1h, onebox: true}\n")
	return b.String()
}

func TestParseWindowsDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown key", windowsFile("timezone: UTC", "allow: [Mon]", "freez: []"),
			[]string{`7:7: error: unknown key "freez" in pipelines.app.windows (did you mean "freeze"?)`}},
		{"not a mapping", withKeys("    windows: [Mon]\n"),
			[]string{`4:14: error: pipelines.app.windows must be a mapping with timezone, allow, freeze and stages, got a list`}},
		{"bad day", windowsFile("allow: [Mon-Thu 09:00-17:00, Mun 09:00-17:00]"),
			[]string{`5:36: error: pipelines.app.windows.allow[1] "Mun 09:00-17:00": "Mun" is not a day: days are Mon, Tue, Wed, Thu, Fri, Sat, Sun, ranges such as "Mon-Thu", lists such as "Mon,Wed", or "daily"`}},
		{"bad time", windowsFile(`allow: ["Fri 9-12"]`),
			[]string{`5:15: error: pipelines.app.windows.allow[0] "Fri 9-12": time "9" must be HH:MM on a 24-hour clock, like 09:00 or 17:30`}},
		{"24:00 starts nothing", windowsFile(`allow: ["Sat 24:00-02:00"]`),
			[]string{`5:15: error: pipelines.app.windows.allow[0] "Sat 24:00-02:00": a window cannot start at 24:00; write 00:00 on the next day`}},
		{"allow is a string", windowsFile(`allow: "Mon-Fri"`),
			[]string{`5:14: error: pipelines.app.windows.allow must be a list of strings, got string "Mon-Fri"`}},
		{"empty allow", windowsFile(`allow: []`),
			[]string{`5:14: error: pipelines.app.windows.allow is empty, so no deploy could ever start; leave it out to allow any time`}},
		{"unknown zone", windowsFile("timezone: America/Los_Angles", "allow: [Mon]"),
			[]string{`5:17: error: pipelines.app.windows.timezone: unknown time zone "America/Los_Angles"; use an IANA name such as America/Los_Angeles, Europe/Berlin or UTC`}},
		{"abbreviation", windowsFile("timezone: PST", "allow: [Mon]"),
			[]string{`5:17: error: pipelines.app.windows.timezone: unknown time zone "PST" (abbreviations such as PST or CET are not zones: they do not say when daylight saving time applies); use an IANA name such as America/Los_Angeles, Europe/Berlin or UTC`}},
		{"server zone", windowsFile("timezone: Local", "allow: [Mon]"),
			[]string{`5:17: error: pipelines.app.windows.timezone: "Local" is not a zone name (the server's own zone is not allowed: it would change with the machine); use an IANA name such as America/Los_Angeles, Europe/Berlin or UTC`}},
		{"from after to", windowsFile("freeze: [{from: 2027-01-04, to: 2026-12-20, reason: x}]"),
			[]string{`5:39: error: pipelines.app.windows.freeze[0] ends (to: 2026-12-20) before it starts (from: 2027-01-04); a date in to is included, so from and to may be the same day`}},
		{"datetimes the wrong way", windowsFile(`freeze: [{from: "2026-12-20 18:00", to: "2026-12-20 18:00", reason: x}]`),
			[]string{`5:47: error: pipelines.app.windows.freeze[0] ends (to: 2026-12-20 18:00) before it starts (from: 2026-12-20 18:00); a date in to is included, so from and to may be the same day`}},
		{"freeze without reason", windowsFile("freeze: [{from: 2026-12-20, to: 2027-01-04}]"),
			[]string{`5:16: error: pipelines.app.windows.freeze[0] needs a reason: it is what every deploy the freeze holds reports`}},
		{"blank reason", windowsFile("freeze: [{from: 2026-12-20, to: 2027-01-04, reason: ' '}]"),
			[]string{`5:59: error: pipelines.app.windows.freeze[0].reason must say why, like "Holiday freeze": it is what every deploy the freeze holds reports`}},
		{"freeze without to", windowsFile("freeze: [{from: 2026-12-20, reason: x}]"),
			[]string{`5:16: error: pipelines.app.windows.freeze[0] needs to: a date (2026-12-20) or a date and time ("2026-12-20 18:00", in the windows' zone, or RFC 3339)`}},
		{"bad date", windowsFile("freeze: [{from: 2026-02-30, to: 2026-03-01, reason: x}]"),
			[]string{`5:23: error: pipelines.app.windows.freeze[0].from: "2026-02-30" is not a date (2026-12-20), a local date and time (2026-12-20 18:00) or an RFC 3339 time (2026-12-20T18:00:00-08:00)`}},
		{"freeze key typo", windowsFile("freeze: [{from: 2026-12-20, to: 2027-01-04, reason: x, reasn: y}]"),
			[]string{`5:62: error: unknown key "reasn" in pipelines.app.windows.freeze[0] (did you mean "reason"?)`}},
		{"freeze is a mapping", windowsFile("freeze: {from: 2026-12-20, to: 2027-01-04, reason: x}"),
			[]string{`5:15: error: pipelines.app.windows.freeze must be a list of {from, to, reason}, got a mapping`}},
		{"unknown stage", windowsFile("allow: [Mon]", "stages: [alpha, wave1]"),
			[]string{`6:23: error: pipelines.app.windows.stages[1]: pipeline "app" has no stage "wave1" (did you mean "wave-1"?)`}},
		{"approval stage", windowsFile("allow: [Mon]", "stages: [ok]"),
			[]string{`6:16: error: pipelines.app.windows.stages[0]: "ok" is an approval stage, which deploys nothing for windows to hold`}},
		{"stage twice", windowsFile("allow: [Mon]", "stages: [alpha, alpha]"),
			[]string{`6:23: error: pipelines.app.windows.stages[1]: stage "alpha" is named twice`}},
		{"empty stages", windowsFile("allow: [Mon]", "stages: []"),
			[]string{`6:15: error: pipelines.app.windows.stages is empty, so the windows would hold no stage; leave it out to hold the production stages`}},
		{"nothing to hold", windowsFile("timezone: UTC"),
			[]string{`5:7: warning: pipelines.app.windows has neither allow nor freeze, so it holds no deploy`}},
		{"no production stage", withKeys("    windows: {allow: [Mon]}\n"),
			[]string{`4:14: warning: pipelines.app.windows holds the production stages by default, and pipeline "app" has none: name the stages it holds in pipelines.app.windows.stages`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, diags := parseYAML(t, tc.yaml)
			if got := lines(diags); !slices.Equal(got, tc.want) {
				t.Fatalf("diagnostics:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if diags.HasErrors() != (ps == nil) {
				t.Fatalf("pipelines %v with diagnostics %v", ps, diags)
			}
		})
	}
}

func TestParseWindowsValues(t *testing.T) {
	ps, diags := parseYAML(t, windowsFile(
		"timezone: Europe/Berlin",
		`allow: ["Mon-Thu 09:00-17:00", "Sat 22:00-02:00", daily]`,
		"freeze:",
		"  - {from: 2026-12-20, to: 2027-01-04, reason: Holiday freeze}",
		`  - {from: "2026-03-29 01:00", to: 2026-03-29T05:00:00Z, reason: "  DST drill "}`,
		"stages: [alpha, wave-1]",
	))
	if diags.HasErrors() || len(ps) != 1 {
		t.Fatalf("diagnostics: %v", diags)
	}
	ws := ps[0].Windows
	berlin := mustZone("Europe/Berlin")
	want := []Freeze{
		{From: time.Date(2026, 12, 20, 0, 0, 0, 0, berlin), To: time.Date(2027, 1, 5, 0, 0, 0, 0, berlin), Reason: "Holiday freeze"},
		{From: time.Date(2026, 3, 29, 1, 0, 0, 0, berlin), To: utc(2026, 3, 29, 5, 0), Reason: "DST drill"},
	}
	if ws.TimeZone != "Europe/Berlin" || len(ws.Allow) != 3 || ws.Allow[2].String() != "daily" || !slices.Equal(ws.Stages, []string{"alpha", "wave-1"}) {
		t.Fatalf("windows %+v", ws)
	}
	if len(ws.Freezes) != 2 {
		t.Fatalf("freezes %+v", ws.Freezes)
	}
	for i, f := range ws.Freezes {
		if !f.From.Equal(want[i].From) || !f.To.Equal(want[i].To) || f.Reason != want[i].Reason {
			t.Errorf("freeze %d = %+v, want %+v", i, f, want[i])
		}
	}
	if ps[0].At("windows.allow[1]") != (Pos{6, 38}) {
		t.Errorf("allow[1] at %v", ps[0].At("windows.allow[1]"))
	}
}

func TestParseWindowsDefaults(t *testing.T) {
	ps, diags := parseYAML(t, windowsFile("allow: [Mon-Fri]"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ws := ps[0].Windows
	if ws.TimeZone != "UTC" || ws.Stages != nil || len(ws.Freezes) != 0 {
		t.Fatalf("windows defaults %+v", ws)
	}
	if ws.AppliesTo(ps[0].Stages[0]) || ws.AppliesTo(ps[0].Stages[1]) || !ws.AppliesTo(ps[0].Stages[2]) {
		t.Errorf("by default only the production stage wave-1 is held")
	}
}
