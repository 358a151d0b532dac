package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Typed readers for scalar values. Each reports a type error at the value as
// written (an alias where it is used, not at its anchor) and returns
// ok=false, so that a bad value never turns into a default.

func intValue(r *reporter, n *yaml.Node, p string, lo, hi int) (int, bool) {
	v := deref(n)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int" {
		// Integers beyond int64 fail to decode and are out of range anyway.
		var x int64
		if err := v.Decode(&x); err != nil || x < int64(lo) || x > int64(hi) {
			r.errorf(n, "%s must be between %d and %d, got %s", p, lo, hi, v.Value)
			return 0, false
		}
		return int(x), true
	}
	r.errorf(n, "%s must be an integer, got %s", p, describe(n))
	return 0, false
}

func boolValue(r *reporter, n *yaml.Node, p string) (bool, bool) {
	v := deref(n)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!bool" {
		var b bool
		if err := v.Decode(&b); err == nil {
			return b, true
		}
	}
	r.errorf(n, "%s must be true or false, got %s", p, describe(n))
	return false, false
}

func stringValue(r *reporter, n *yaml.Node, p string) (string, bool) {
	v := deref(n)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
		return v.Value, true
	}
	r.errorf(n, "%s must be a string, got %s", p, describe(n))
	return "", false
}

// oneOf reads a string that must be one of allowed, exactly as spelled.
func oneOf(r *reporter, n *yaml.Node, p string, allowed []string) (string, bool) {
	s, ok := stringValue(r, n, p)
	if !ok {
		return "", false
	}
	if slices.Contains(allowed, s) {
		return s, true
	}
	hint := ""
	if c, ok := closest(s, allowed); ok {
		hint = fmt.Sprintf(" (did you mean %q?)", c)
	}
	r.errorf(n, "%s must be one of %s; got %q%s", p, strings.Join(allowed, ", "), s, hint)
	return "", false
}

// item is one string of a list with where to report it. Items of an aliased
// list are reported at the alias, where the list is used, rather than at the
// anchor, which may belong to another stage.
type item struct {
	value string
	node  *yaml.Node
}

func (it item) pos() Pos { return posOf(it.node) }

// stringList reads a list of strings. A scalar where a list belongs is an
// error rather than a one-item list, so that `targets: prod` and
// `targets: [prod]` cannot both look right. For a list it returns the items
// that are strings, non-nil, even when others are not, so that the caller
// can still check them; nil means there was no list.
func stringList(r *reporter, n *yaml.Node, p string) ([]item, bool) {
	v := deref(n)
	if v.Kind != yaml.SequenceNode {
		r.errorf(n, "%s must be a list of strings, got %s", p, describe(n))
		return nil, false
	}
	aliased := v != n
	items := make([]item, 0, len(v.Content))
	ok := true
	for i, c := range v.Content {
		at := c
		if aliased {
			at = n
		}
		s, isStr := stringValue(r, c, fmt.Sprintf("%s[%d]", p, i))
		if !isStr {
			ok = false
			continue
		}
		items = append(items, item{value: s, node: at})
	}
	return items, ok
}

// durationValue reads a duration in exactly the syntax of durationPattern
// (which the JSON Schema also uses, so that an editor and `wavegate
// validate` agree): whole numbers with Go's units, never negative.
func durationValue(r *reporter, re *regexp.Regexp, n *yaml.Node, p string) (time.Duration, bool) {
	v := deref(n)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int" {
		r.errorf(n, "%s needs a unit, like %[2]ss, %[2]sm or %[2]sh; got number %[2]s", p, v.Value)
		return 0, false
	}
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		r.errorf(n, "%s must be a duration like 30m, 1h or 1h30m; got %s", p, describe(n))
		return 0, false
	}
	s := v.Value
	if strings.HasPrefix(s, "-") {
		r.errorf(n, "%s must not be negative, got %q", p, s)
		return 0, false
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if x, err := strconv.Atoi(days); err == nil && x >= 0 && x <= 100_000 {
			r.errorf(n, "%s: durations have no days; use hours: %dh for %s", p, 24*x, s)
			return 0, false
		}
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil && re.MatchString(s):
		r.errorf(n, "%s is too long: %q", p, s)
		return 0, false
	case err != nil && strings.ContainsRune(s, 'd'):
		r.errorf(n, "%s: durations have no days; use hours (1d = 24h); got %q", p, s)
		return 0, false
	case err != nil:
		r.errorf(n, "%s must be a duration like 30m, 1h or 1h30m (units ns, us, ms, s, m, h); got %q", p, s)
		return 0, false
	case !re.MatchString(s):
		r.errorf(n, "%s: write %q as %q (whole numbers with units)", p, s, formatDuration(d))
		return 0, false
	}
	return d, true
}

// formatDuration writes d the way a file would: "1h30m", "10m", "0s",
// "1s500ms", without time.Duration.String's trailing zero units and
// fractions, which durationPattern rejects.
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	for _, u := range []struct {
		unit time.Duration
		name string
	}{
		{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"},
		{time.Millisecond, "ms"}, {time.Microsecond, "us"}, {time.Nanosecond, "ns"},
	} {
		if q := d / u.unit; q > 0 {
			fmt.Fprintf(&b, "%d%s", q, u.name)
			d -= q * u.unit
		}
	}
	return b.String()
}
