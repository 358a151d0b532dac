package checks

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// MatchGlob reports whether a slash-separated repository path (as GitHub
// lists changed files: "docs/guide.md", no leading slash) matches pattern.
//
//   - "*" matches any run of characters within one path segment, "?" one
//     character (a UTF-8 rune; an invalid byte counts as one).
//   - "**" as a whole segment matches zero or more segments: "a/**/b" matches
//     "a/b" and "a/x/y/b"; "**/*.md" matches "README.md" and "docs/x.md".
//     A trailing "/**" matches everything inside but not the directory
//     itself: "docs/**" matches "docs/a" and "docs/a/b", not "docs". A lone
//     "**" matches every path. Elsewhere ("a**") it is just two "*".
//   - Every other character is literal (no classes, no escapes) and case
//     matters, as it does in Git. Dot files are not special.
//
// It runs in O(len(pattern) * len(name)) at worst: no backtracking blow-up
// however many stars a pattern has.
func MatchGlob(pattern, name string) bool {
	pat := strings.Split(pattern, "/")
	if len(pat) > 0 && pat[len(pat)-1] == "**" {
		// "x/**" means "x/*/**": at least one segment below x.
		pat = append(pat[:len(pat)-1:len(pat)-1], "*", "**")
	}
	segs := strings.Split(name, "/")

	// The classic wildcard algorithm one level up: segments are the
	// characters, "**" the star. On a mismatch, only the most recent "**"
	// needs to absorb one more segment; earlier ones never do better.
	pi, si := 0, 0
	starPi, starSi := -1, 0
	for si < len(segs) {
		switch {
		case pi < len(pat) && pat[pi] == "**":
			starPi, starSi = pi, si
			pi++
		case pi < len(pat) && matchSegment(pat[pi], segs[si]):
			pi++
			si++
		case starPi >= 0:
			starSi++
			pi, si = starPi+1, starSi
		default:
			return false
		}
	}
	for pi < len(pat) && pat[pi] == "**" {
		pi++
	}
	return pi == len(pat)
}

// matchSegment matches one segment with "*" and "?", by runes.
func matchSegment(pat, s string) bool {
	pi, si := 0, 0
	starPi, starSi := -1, 0
	for si < len(s) {
		if pi < len(pat) {
			switch pat[pi] {
			case '*':
				starPi, starSi = pi, si
				pi++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[si:])
				pi++
				si += n
				continue
			default:
				// Bytes, not runes: distinct invalid bytes all decode to
				// utf8.RuneError.
				_, n := utf8.DecodeRuneInString(pat[pi:])
				if strings.HasPrefix(s[si:], pat[pi:pi+n]) {
					pi += n
					si += n
					continue
				}
			}
		}
		if starPi < 0 {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starSi:])
		starSi += n
		pi, si = starPi+1, starSi
	}
	for pi < len(pat) && pat[pi] == '*' {
		pi++
	}
	return pi == len(pat)
}

// MatchAny reports whether name is selected by a list of patterns in which
// "!pattern" excludes: the last pattern that matches decides, so
// ["**", "!infra/**", "infra/shared/**"] selects infra/shared/x but not
// infra/x. A name no pattern matches is not selected.
func MatchAny(patterns []string, name string) bool {
	_, ok := lastMatch(patterns, name)
	return ok
}

// lastMatch returns the include pattern that selects name, if any.
func lastMatch(patterns []string, name string) (string, bool) {
	for i := len(patterns) - 1; i >= 0; i-- {
		p := patterns[i]
		if excl, ok := strings.CutPrefix(p, "!"); ok {
			if MatchGlob(excl, name) {
				return "", false
			}
			continue
		}
		if MatchGlob(p, name) {
			return p, true
		}
	}
	return "", false
}

// ValidateGlob reports patterns that are well-formed for MatchAny but can
// never match a path GitHub reports, which a configuration check should
// flag rather than let silently select nothing.
func ValidateGlob(pattern string) error {
	p := strings.TrimPrefix(pattern, "!")
	switch {
	case p == "":
		return errors.New("empty pattern")
	case strings.HasPrefix(p, "/"):
		return errors.New("paths are relative to the repository root: drop the leading \"/\"")
	case strings.HasPrefix(p, "./"):
		return errors.New("paths are relative to the repository root: drop the leading \"./\"")
	case strings.HasSuffix(p, "/"):
		return errors.New("changed paths are files: end with \"/**\" to match everything in a directory")
	case strings.Contains(p, "//"):
		return errors.New("empty path segment \"//\"")
	}
	return nil
}
