package pipeline

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// item is one string of a list with where to report it. Items of an aliased
// list are reported at the alias, where the list is used, rather than at the
// anchor, which may belong to another stage.
type item struct {
	value string
	node  *yaml.Node
}

func (it item) pos() Pos { return posOf(it.node) }

// posOf is where n was written. Pos stays its own type rather than an alias
// of yamlwalk.Pos, so that the exported model does not change; the two
// convert freely, as the reporter's ErrorAt and WarnAt need.
func posOf(n *yaml.Node) Pos { return Pos(yamlwalk.PosOf(n)) }

// stringList reads a list of strings as yamlwalk.StringList does, and
// returns the items that are strings, non-nil, even when others are not, so
// that the caller can still check them; nil means there was no list.
func stringList(r *yamlwalk.Reporter, n *yaml.Node, p string) ([]item, bool) {
	nodes, ok := yamlwalk.StringList(r, n, p)
	if nodes == nil {
		return nil, ok
	}
	aliased := yamlwalk.Deref(n) != n
	items := make([]item, 0, len(nodes))
	for _, c := range nodes {
		at := c
		if aliased {
			at = n
		}
		items = append(items, item{value: yamlwalk.Deref(c).Value, node: at})
	}
	return items, ok
}

// durationValue reads a duration in exactly the syntax of durationPattern
// (which the JSON Schema also uses, so that an editor and `wavegate
// validate` agree): whole numbers with Go's units, never negative.
func durationValue(r *yamlwalk.Reporter, re *regexp.Regexp, n *yaml.Node, p string) (time.Duration, bool) {
	v := yamlwalk.Deref(n)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int" {
		r.Errorf(n, "%s needs a unit, like %[2]ss, %[2]sm or %[2]sh; got number %[2]s", p, v.Value)
		return 0, false
	}
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		r.Errorf(n, "%s must be a duration like 30m, 1h or 1h30m; got %s", p, yamlwalk.Describe(n))
		return 0, false
	}
	s := v.Value
	if strings.HasPrefix(s, "-") {
		r.Errorf(n, "%s must not be negative, got %q", p, s)
		return 0, false
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if x, err := strconv.Atoi(days); err == nil && x >= 0 && x <= 100_000 {
			r.Errorf(n, "%s: durations have no days; use hours: %dh for %s", p, 24*x, s)
			return 0, false
		}
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil && re.MatchString(s):
		r.Errorf(n, "%s is too long: %q", p, s)
		return 0, false
	case err != nil && strings.ContainsRune(s, 'd'):
		r.Errorf(n, "%s: durations have no days; use hours (1d = 24h); got %q", p, s)
		return 0, false
	case err != nil:
		r.Errorf(n, "%s must be a duration like 30m, 1h or 1h30m (units ns, us, ms, s, m, h); got %q", p, s)
		return 0, false
	case !re.MatchString(s):
		r.Errorf(n, "%s: write %q as %q (whole numbers with units)", p, s, formatDuration(d))
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
