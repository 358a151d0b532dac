package handlers

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/appcreds"
)

// Wavegate's code depends on exactly these; a change to app.yml must come
// with a change here, reviewed.
func TestAppYMLDeclares(t *testing.T) {
	m, err := parseManifest(readAppYML(t))
	if err != nil {
		t.Fatal(err)
	}
	perms := []struct{ name, access string }{
		{"checks", "write"},
		{"deployments", "write"},
		{"actions", "read"},
		{"contents", "read"},
		{"pull_requests", "write"},
		{"issues", "write"},
		{"metadata", "read"},
		{"members", "read"},
	}
	for _, p := range perms {
		if got := m.DefaultPermissions[p.name]; got != p.access {
			t.Errorf("permission %s = %q, want %q", p.name, got, p.access)
		}
	}
	if len(m.DefaultPermissions) != len(perms) {
		t.Errorf("app.yml declares %d permissions, want exactly %d: %v", len(m.DefaultPermissions), len(perms), m.DefaultPermissions)
	}
	events := []string{
		"check_run", "check_suite", "push", "pull_request", "pull_request_review",
		"issue_comment", "deployment", "deployment_status", "deployment_protection_rule",
		"member", "membership", "organization", "team",
	}
	got := slices.Sorted(slices.Values(m.DefaultEvents))
	if want := slices.Sorted(slices.Values(events)); !slices.Equal(got, want) {
		t.Errorf("events = %v, want exactly %v", got, want)
	}
	if m.Name != "Wavegate" || m.Public {
		t.Errorf("name %q, public %v; want Wavegate, private", m.Name, m.Public)
	}
}

func TestParseManifestRejects(t *testing.T) {
	base := string(readAppYML(t))
	tests := []struct {
		name, yml, want string
	}{
		{"empty", "", "empty"},
		{"not yaml", "name: [unclosed", "app.yml"},
		{"typo key", strings.Replace(base, "default_events:", "default_event:", 1), "default_event"},
		{"bad access", strings.Replace(base, "checks: write", "checks: rw", 1), "default_permissions.checks"},
		{"moved hook", strings.Replace(base, "${PUBLIC_URL}/webhooks/github", "${PUBLIC_URL}/hook", 1), "hook_attributes.url"},
		{"moved redirect", strings.Replace(base, "${PUBLIC_URL}/setup/callback", "https://x.example/cb", 1), "redirect_url"},
		{"inactive hook", strings.Replace(base, "active: true", "active: false", 1), "active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSetup(SetupConfig{
				Manifest: []byte(tt.yml),
				Exchange: func(context.Context, string) (appcreds.Credentials, error) {
					return appcreds.Credentials{}, errors.New("not called")
				},
				Registered: func(context.Context, appcreds.Credentials) (bool, error) { return false, errors.New("not called") },
				Configured: func() (ConfiguredApp, bool) { return ConfiguredApp{}, false },
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestReachabilityWarnings(t *testing.T) {
	tests := []struct {
		url  string
		want int
	}{
		{"https://wavegate.acme.dev", 0},
		{"https://203.0.113.7:8443", 0},
		{"http://wavegate.acme.dev", 1},
		{"https://localhost:8080", 1},
		{"https://app.localhost", 1},
		{"https://127.0.0.1", 1},
		{"https://127.8.9.10:80", 1},
		{"https://[::1]:8080", 1},
		{"https://0.0.0.0:8080", 1},
		{"https://10.1.2.3", 1},
		{"https://192.168.1.20", 1},
		{"https://wavegate", 1},
		{"https://wavegate.internal", 1},
		{"http://localhost:8080", 2},
	}
	for _, tt := range tests {
		if got := reachabilityWarnings(tt.url); len(got) != tt.want {
			t.Errorf("%s: warnings %q, want %d", tt.url, got, tt.want)
		}
	}
}

func TestSetupStatesBounded(t *testing.T) {
	s := newSetupStates()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	owner, other := tokenDigest("owner-token-0123456789ABCDEF"), tokenDigest("other-token-0123456789ABCDEF")
	others := s.issue(other, now.Add(-time.Second)) // the oldest of all
	first := s.issue(owner, now)
	var last string
	for i := range maxSetupStates {
		last = s.issue(owner, now.Add(time.Duration(i+1)*time.Second))
	}
	if len(s.issued) > maxSetupStates+1 {
		t.Fatalf("%d states kept, bound is %d per token", len(s.issued), maxSetupStates)
	}
	if s.consume(first, owner, now) {
		t.Error("the oldest state survived eviction")
	}
	if !s.consume(others, other, now) {
		t.Error("one token's states evicted another's")
	}
	if s.consume(last, other, now) {
		t.Error("a state was accepted for a token it was not issued to")
	}
	last = s.issue(owner, now)
	if !s.consume(last, owner, now) {
		t.Error("the newest state was evicted")
	}
	if s.consume(last, owner, now) {
		t.Error("a state was accepted twice")
	}
}
