package main

import (
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
