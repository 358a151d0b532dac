package yamlwalk

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Typed readers for scalar values. Each reports a type error at the value
// (an alias is reported where it is used, not where its anchor is) and
// returns ok=false, so that one bad value never becomes a default. p is the
// value's path, as messages name it ("review.approvals").

// Int reads an integer in [lo, hi].
func Int(r *Reporter, n *yaml.Node, p string, lo, hi int) (int, bool) {
	v := Deref(n)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int" {
		// Decoding into int64 fails for integers beyond it, which are out of
		// range as surely as 11 is.
		var x int64
		if err := v.Decode(&x); err != nil || x < int64(lo) || x > int64(hi) {
			r.Errorf(n, "%s must be between %d and %d, got %s", p, lo, hi, v.Value)
			return 0, false
		}
		return int(x), true
	}
	r.Errorf(n, "%s must be an integer, got %s", p, Describe(n))
	return 0, false
}

// Bool reads true or false.
func Bool(r *Reporter, n *yaml.Node, p string) (bool, bool) {
	v := Deref(n)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!bool" {
		var b bool
		if err := v.Decode(&b); err == nil {
			return b, true
		}
	}
	r.Errorf(n, "%s must be true or false, got %s", p, Describe(n))
	return false, false
}

// String reads a string; a number or boolean is not one, so that
// `name: 1.10` cannot silently become "1.1".
func String(r *Reporter, n *yaml.Node, p string) (string, bool) {
	v := Deref(n)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
		return v.Value, true
	}
	r.Errorf(n, "%s must be a string, got %s", p, Describe(n))
	return "", false
}

// OneOf reads a string that must be one of allowed, exactly: GitHub's role
// names are lower case, and accepting "Write" here would teach people a
// spelling that fails elsewhere.
func OneOf(r *Reporter, n *yaml.Node, p string, allowed []string) (string, bool) {
	s, ok := String(r, n, p)
	if !ok {
		return "", false
	}
	if slices.Contains(allowed, s) {
		return s, true
	}
	hint := ""
	if c, ok := Closest(s, allowed); ok {
		hint = fmt.Sprintf(" (did you mean %q?)", c)
	}
	r.Errorf(n, "%s must be one of %s; got %q%s", p, strings.Join(allowed, ", "), s, hint)
	return "", false
}

// StringList returns the item nodes of a list of strings, as written, so
// that errors about an item point at it even when it is an alias. A scalar
// where a list belongs is an error rather than a one-item list, so that
// `checklist: yes` cannot mean anything by accident. For a list it returns
// the items that are strings, non-nil, even when others are not, so that the
// caller can still check them; nil means there was no list.
func StringList(r *Reporter, n *yaml.Node, p string) ([]*yaml.Node, bool) {
	v := Deref(n)
	if v.Kind != yaml.SequenceNode {
		r.Errorf(n, "%s must be a list of strings, got %s", p, Describe(n))
		return nil, false
	}
	items := make([]*yaml.Node, 0, len(v.Content))
	ok := true
	for i, c := range v.Content {
		if _, isStr := String(r, c, fmt.Sprintf("%s[%d]", p, i)); !isStr {
			ok = false
			continue
		}
		items = append(items, c)
	}
	return items, ok
}
