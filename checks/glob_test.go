package checks

import (
	"path"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		// Literals.
		{"README.md", "README.md", true},
		{"README.md", "readme.md", false}, // case matters, as in Git
		{"README.md", "docs/README.md", false},
		{"docs/a.md", "docs/a.md", true},
		{"", "", true},
		{"", "a", false},

		// "*" stays within a segment.
		{"*.md", "README.md", true},
		{"*.md", "docs/README.md", false},
		{"docs/*", "docs/a.md", true},
		{"docs/*", "docs/sub/a.md", false},
		{"docs/*.md", "docs/.hidden.md", true}, // dot files are not special
		{"*", "a", true},
		{"*", "", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"a*", "b", false},
		{"*a", "bba", true},
		{"*a", "bab", false},

		// "?" is one character, a rune rather than a byte.
		{"?.md", "a.md", true},
		{"?.md", "ab.md", false},
		{"?.md", ".md", false},
		{"?.md", "é.md", true},
		{"?", "/", false},
		{"é*", "été", true},

		// "**" as a segment.
		{"**", "a", true},
		{"**", "a/b/c", true},
		{"**/*.md", "README.md", true},
		{"**/*.md", "a/b/README.md", true},
		{"**/*.md", "a/b/README.txt", false},
		{"docs/**", "docs/a", true},
		{"docs/**", "docs/a/b/c.md", true},
		{"docs/**", "docs", false}, // inside, not the directory itself
		{"docs/**", "documents/a", false},
		{"docs/**", "x/docs/a", false},
		{"a/**/b", "a/b", true},
		{"a/**/b", "a/x/b", true},
		{"a/**/b", "a/x/y/z/b", true},
		{"a/**/b", "a/x/y/z/c", false},
		{"a/**/b", "a/b/c", false},
		{"a/**/b/**/c", "a/b/c", true},
		{"a/**/b/**/c", "a/x/b/y/b/z/c", true},
		{"a/**/b/**/c", "a/x/b/y/b/z/d", false},
		{"**/test/**", "x/test/y", true},
		{"**/test/**", "test/y", true},
		{"**/test/**", "x/test", false},
		{"**/**", "a", true},

		// "**" inside a segment is two stars.
		{"a**", "abc", true},
		{"a**", "a/b", false},
		{"**.md", "x.md", true},
		{"**.md", "d/x.md", false},

		// Other glob syntax is literal.
		{"[ab].md", "a.md", false},
		{"[ab].md", "[ab].md", true},
		{`a\*`, `a\b`, true},

		// Bytes that are not UTF-8 are matched as they are.
		{"\xff*", "\xffabc", true},
		{"?", "\xff", true},
		{"\xfe", "\xff", false},
	}
	for _, tt := range tests {
		if got := MatchGlob(tt.pattern, tt.name); got != tt.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestMatchAny(t *testing.T) {
	tests := []struct {
		patterns []string
		name     string
		want     bool
	}{
		{nil, "a", false},
		{[]string{"docs/**"}, "docs/a", true},
		{[]string{"docs/**"}, "src/a", false},
		{[]string{"docs/**", "*.md"}, "README.md", true},
		{[]string{"**", "!infra/**"}, "src/main.go", true},
		{[]string{"**", "!infra/**"}, "infra/main.tf", false},
		// The last match wins, so an include after an exclude re-includes.
		{[]string{"**", "!infra/**", "infra/shared/**"}, "infra/shared/x", true},
		{[]string{"**", "!infra/**", "infra/shared/**"}, "infra/x", false},
		// An exclude first has nothing to exclude from.
		{[]string{"!infra/**"}, "src/a", false},
		{[]string{"!infra/**", "**"}, "infra/a", true},
	}
	for _, tt := range tests {
		if got := MatchAny(tt.patterns, tt.name); got != tt.want {
			t.Errorf("MatchAny(%q, %q) = %v, want %v", tt.patterns, tt.name, got, tt.want)
		}
	}
}

func TestValidateGlob(t *testing.T) {
	for _, p := range []string{"docs/**", "**", "*.md", "!infra/**", "a/**/b"} {
		if err := ValidateGlob(p); err != nil {
			t.Errorf("ValidateGlob(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range []string{"", "!", "/docs/**", "./docs/**", "docs/", "a//b", "!/x"} {
		if err := ValidateGlob(p); err == nil {
			t.Errorf("ValidateGlob(%q) = nil, want an error", p)
		}
	}
}

// Stars must not backtrack exponentially: a pattern of many stars against a
// long near-miss finishes at once.
func TestMatchGlobNoBlowUp(t *testing.T) {
	pattern := strings.Repeat("*a", 200) + "b"
	name := strings.Repeat("a", 5000)
	segPattern := strings.Repeat("**/a/", 200) + "b"
	segName := strings.Repeat("a/", 2000) + "c"
	start := time.Now()
	if MatchGlob(pattern, name) {
		t.Error("near-miss pattern matched")
	}
	if MatchGlob(segPattern, segName) {
		t.Error("near-miss segment pattern matched")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("matching took %v", d)
	}
}

// Without "**", MatchGlob must agree with path.Match, whose "*" and "?"
// have the same meaning; with "**", a path matched by the pattern with
// "**" taken as "*" must still match (zero or more segments include one).
func FuzzMatchGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"docs/*.md", "docs/a.md"}, {"*", "a/b"}, {"a?c", "abc"}, {"a*b*c", "aXbYc"},
		{"**/x", "a/b/x"}, {"a/**", "a"}, {"?", "\xff"}, {"*é", "xé"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got := MatchGlob(pattern, name)
		// path.Match lets "*" stop inside a multi-byte character; MatchGlob
		// keeps characters whole. They differ only on invalid UTF-8.
		if strings.ContainsAny(pattern, "[\\") || !utf8.ValidString(pattern) || !utf8.ValidString(name) {
			return
		}
		if !strings.Contains(pattern, "**") {
			want, err := path.Match(pattern, name)
			if err == nil && got != want {
				t.Fatalf("MatchGlob(%q, %q) = %v, path.Match says %v", pattern, name, got, want)
			}
			return
		}
		single := strings.ReplaceAll(pattern, "**", "*")
		if ok, err := path.Match(single, name); err == nil && ok && !got {
			t.Fatalf("MatchGlob(%q, %q) = false, but %q matches", pattern, name, single)
		}
	})
}
