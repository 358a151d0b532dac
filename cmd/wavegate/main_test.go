package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"version", []string{"version"}, 0, "wavegate ", ""},
		{"help", []string{"help"}, 0, "Commands:", ""},
		{"unknown command", []string{"deploy-everything"}, 2, "", `unknown command "deploy-everything"`},
		{"serve flags", []string{"serve", "-h"}, 0, "", "WAVEGATE_GITHUB_WEBHOOK_SECRET"},
		{"bad flag value", []string{"serve", "--log-format", "xml"}, 2, "", "--log-format"},
		{"serve is the default", []string{"--workers", "0"}, 2, "", "--workers 0"},
		{"data directory that cannot be used", []string{"serve", "--data-dir", "/dev/null/data", "--log-format", "json"}, 1, "", "/dev/null/data: not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(tc.args, func(string) string { return "" }, &out, &errOut)
			if code != tc.wantCode || !strings.Contains(out.String(), tc.wantOut) || !strings.Contains(errOut.String(), tc.wantErr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d, stdout ∋ %q, stderr ∋ %q",
					code, out.String(), errOut.String(), tc.wantCode, tc.wantOut, tc.wantErr)
			}
		})
	}
}

// A bad value is said once, with where to look, not buried in every flag.
func TestServeBadValueSaysSoOnce(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--retention", "7d"}, "wavegate: invalid value \"7d\" for flag -retention: durations have no days: write 168h\n" +
			"run 'wavegate serve -h' for every flag\n"},
		{[]string{"serve", "--colour"}, "wavegate: flag provided but not defined: -colour\nrun 'wavegate serve -h' for every flag\n"},
		{[]string{"serve", "now"}, "wavegate: unexpected arguments: now\nrun 'wavegate serve -h' for every flag\n"},
		// Not a mistake on the command line: no pointer to the flags.
		{[]string{"serve", "--workers", "0"}, "wavegate: --workers 0: want at least 1\n"},
	} {
		var out, errOut strings.Builder
		if code := run(tc.args, func(string) string { return "" }, &out, &errOut); code != 2 || errOut.String() != tc.want || out.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s\nwant exit 2, stderr:\n%s", tc.args, code, out.String(), errOut.String(), tc.want)
		}
	}
}

// flag's help says "value" for a type it does not know; every flag names
// what it takes instead, but for the switches, which take nothing.
func TestServeHelpNamesWhatEachFlagTakes(t *testing.T) {
	switches := map[string]bool{"ui-public": true}
	var out, errOut strings.Builder
	if code := run([]string{"serve", "-h"}, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	flagLine := regexp.MustCompile(`^  -(\S+)(?: (\S+))?$`)
	flags := 0
	for _, line := range strings.Split(errOut.String(), "\n") {
		m := flagLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		flags++
		if switches[m[1]] {
			if m[2] != "" {
				t.Errorf("-%s is a switch but takes %q", m[1], m[2])
			}
			delete(switches, m[1])
			continue
		}
		if m[2] == "" || m[2] == "value" || strings.ToUpper(m[2]) != m[2] {
			t.Errorf("-%s takes %q; want a placeholder such as FILE, ADDR or DURATION", m[1], m[2])
		}
	}
	if flags < 15 || len(switches) > 0 {
		t.Errorf("found %d flags in the help, not the switches %v:\n%s", flags, switches, errOut.String())
	}
}

func TestDemoFlags(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"help says loopback only", []string{"demo", "-h"}, 0, "loopback only"},
		{"help names the speed", []string{"demo", "-h"}, 0, "one-hour bake takes 6s"},
		{"off loopback", []string{"demo", "--listen", "0.0.0.0:3000"}, 2, "not loopback"},
		{"every interface", []string{"demo", "--listen", ":3000"}, 2, "not loopback"},
		{"speed too high", []string{"demo", "--listen", "127.0.0.1:0", "--speed", "2000000"}, 2, "--speed"},
		{"speed zero", []string{"demo", "--listen", "127.0.0.1:0", "--speed", "0"}, 2, "--speed"},
		{"negative speed", []string{"demo", "--listen", "127.0.0.1:0", "--speed", "-1"}, 2, "--speed"},
		{"stray argument", []string{"demo", "now"}, 2, "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(tc.args, func(string) string { return "" }, &out, &errOut)
			if code != tc.wantCode || !strings.Contains(errOut.String(), tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d, stderr ∋ %q", code, errOut.String(), tc.wantCode, tc.wantErr)
			}
		})
	}
}
