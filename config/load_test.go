package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/checks"
)

func TestLoadAbsentAndEmpty(t *testing.T) {
	for _, tc := range []struct {
		name          string
		org, repo     []byte
		wantApprovals int
	}{
		{"both absent", nil, nil, 1},
		{"both empty", []byte{}, []byte{}, 1},
		{"organization only", []byte("review: {approvals: 2}"), nil, 2},
		{"empty repository file keeps organization defaults", []byte("review: {approvals: 2}"), []byte("# soon\n"), 2},
		{"repository only", nil, []byte("review: {approvals: 3}"), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, diags, err := Load(orgFile, tc.org, repoFile, tc.repo)
			if err != nil || c == nil || len(diags) != 0 {
				t.Fatalf("Load = %v, %v, %v", c, diags, err)
			}
			want := checks.DefaultPolicy()
			want.Approvals = tc.wantApprovals
			if !reflect.DeepEqual(c.Review, want) {
				t.Errorf("policy = %+v, want %+v", c.Review, want)
			}
		})
	}
}

func TestLoadRefusesBrokenFiles(t *testing.T) {
	good := []byte("review: {approvals: 2}\n")
	bad := []byte("review:\n  approvals: \"two\"\n")
	for _, tc := range []struct {
		name      string
		org, repo []byte
		wantFile  string
	}{
		{"broken repository file", good, bad, repoFile},
		{"broken organization file", bad, good, orgFile},
		{"broken repository file, no organization file", nil, bad, repoFile},
		{"organization file as a list", []byte("- a\n"), nil, orgFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, diags, err := Load(orgFile, tc.org, repoFile, tc.repo)
			if c != nil {
				t.Fatalf("a broken file produced a config: %+v", c.Review)
			}
			if err == nil || !diags.HasErrors() {
				t.Fatalf("err = %v, diags = %v; want an error", err, diags)
			}
			var ds Diagnostics
			if !errors.As(err, &ds) || len(ds) == 0 || ds[0].File != tc.wantFile {
				t.Errorf("error %q does not carry diagnostics for %s", err, tc.wantFile)
			}
		})
	}
}

func TestLoadKeepsWarnings(t *testing.T) {
	c, diags, err := Load(orgFile, []byte("review:\n  approvals: 2\n"), repoFile, []byte("policies: {onebox: {mode: warn}}\n"))
	if err != nil || c == nil {
		t.Fatalf("warnings alone must not fail Load: %v", err)
	}
	if len(diags) != 1 || diags[0].Severity != SeverityWarning || diags[0].File != repoFile {
		t.Errorf("diags = %v, want the repository's policies warning", diags)
	}
	if c.Policies != nil {
		t.Error("a repository's policies leaked into the config")
	}

	// With an error elsewhere, the warning is still reported, after the
	// organization's diagnostics.
	_, diags, err = Load(orgFile, []byte("review: {aprovals: 1}\n"), repoFile, []byte("policies: {}\n"))
	if err == nil || len(diags) != 2 || diags[0].File != orgFile || diags[1].Severity != SeverityWarning {
		t.Errorf("diags = %v", diags)
	}
	if strings.Contains(err.Error(), "warning") {
		t.Errorf("the error lists warnings: %q", err)
	}
}
