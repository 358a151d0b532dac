package pipeline

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	re := regexp.MustCompile(durationPattern)
	for d, want := range map[time.Duration]string{
		0:                              "0s",
		90 * time.Minute:               "1h30m",
		time.Hour:                      "1h",
		168 * time.Hour:                "168h",
		1500 * time.Millisecond:        "1s500ms",
		time.Hour + time.Nanosecond:    "1h1ns",
		2*time.Microsecond + 3:         "2us3ns",
		-10 * time.Minute:              "-10m",
		30*time.Minute + 5*time.Second: "30m5s",
	} {
		got := formatDuration(d)
		if got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
		// What the parser suggests must be what it accepts.
		if d >= 0 {
			back, err := time.ParseDuration(got)
			if err != nil || back != d || !re.MatchString(got) {
				t.Errorf("%q does not read back as %v (%v) or does not match the pattern", got, d, err)
			}
		}
	}
}

// checkTarget and targetPattern (the schema's) must agree on every name.
func TestTargetRulesAgree(t *testing.T) {
	re := regexp.MustCompile(targetPattern)
	for _, s := range []string{
		"prod-us-west-2a", "Production", "with space", "ünïcode", "a/b", "/a", "", "a\tb", "a\x7f", "a\u0085b",
		"a\u200bb", "-", ".", strings.Repeat("x", 255),
	} {
		if (checkTarget(s) == nil) != re.MatchString(s) {
			t.Errorf("%q: checkTarget says %v, the pattern says %v", s, checkTarget(s), re.MatchString(s))
		}
	}
	if checkTarget(strings.Repeat("x", 256)) == nil {
		t.Error("a 256-character target must be refused")
	}
}

func TestCheckBranch(t *testing.T) {
	for _, s := range []string{"main", "release/v1.2", "feature_x", "a-b", "v1"} {
		if err := checkBranch(s); err != nil {
			t.Errorf("checkBranch(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"", "refs/tags/v1", "a b", "a..b", "a//b", "/a", "a/", ".a", "a.", "a.lock", "a/.b", "@", "a@{1}", "a:b", "a~1", "a^", "a*", "a?", "a[b", `a\b`} {
		if err := checkBranch(s); err == nil {
			t.Errorf("checkBranch(%q) = nil, want an error", s)
		}
	}
}

func TestApproverPattern(t *testing.T) {
	re := regexp.MustCompile(approverPattern)
	for s, want := range map[string]bool{
		"alice": true, "@alice": true, "a-b-c": true, "@acme/release-managers": true, "@acme/sre_team": true,
		"acme/sre": false, "@acme/": false, "-alice": false, "al ice": false, "@": false, "": false,
		strings.Repeat("a", 39): true, strings.Repeat("a", 40): false, "@a/b/c": false,
	} {
		if re.MatchString(s) != want {
			t.Errorf("approver %q: match = %v, want %v", s, !want, want)
		}
	}
}
