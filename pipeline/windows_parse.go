package pipeline

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// Bounds that keep evaluation cheap and reasons readable; real files have
// a handful of each.
const (
	maxAllow        = 50
	maxFreezes      = 100
	maxFreezeReason = 200
)

func windowsKeys() []string { return []string{"timezone", "allow", "freeze", "stages"} }
func freezeKeys() []string  { return []string{"from", "to", "reason"} }

// windowsSection is a parsed windows: section with what its stages: said,
// checked once the pipeline's stages are known (they may come later in the
// file).
type windowsSection struct {
	w      *Windows
	stages []item
}

// windows reads a windows: section; nil when absent or null. pos receives
// the positions of its values ("windows.allow[1]").
func (p *parser) windows(n *yaml.Node, path string, pos map[string]Pos) (windowsSection, bool) {
	if yamlwalk.IsNull(n) {
		return windowsSection{}, true
	}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, "%s must be a mapping with timezone, allow, freeze and stages, got %s", path, yamlwalk.Describe(n))
		return windowsSection{}, false
	}
	// The zone comes first whatever the order of the keys: freezes are
	// local dates in it.
	fields := map[string]*yaml.Node{}
	ok := true
	for k, v := range yamlwalk.Fields(m) {
		if !slices.Contains(windowsKeys(), k.Value) {
			p.r.UnknownKey(k, path, windowsKeys())
			ok = false
			continue
		}
		fields[k.Value] = v
		pos["windows."+k.Value] = posOf(v)
	}
	ws := &Windows{TimeZone: "UTC", loc: time.UTC}
	if v := fields["timezone"]; v != nil {
		name, good := yamlwalk.String(p.r, v, path+".timezone")
		if good {
			loc, err := loadZone(name)
			if err != nil {
				p.r.Errorf(v, "%s: %s; use an IANA name such as America/Los_Angeles, Europe/Berlin or UTC", path+".timezone", zoneError(name))
				good = false
			} else {
				ws.TimeZone, ws.loc = name, loc
			}
		}
		ok = ok && good
	}
	var sec windowsSection
	if v := fields["allow"]; v != nil {
		allow, good := p.allow(v, path+".allow", pos)
		ws.Allow, ok = allow, ok && good
	}
	if v := fields["freeze"]; v != nil {
		freezes, good := p.freezes(v, path+".freeze", ws.loc, pos)
		ws.Freezes, ok = freezes, ok && good
	}
	if v := fields["stages"]; v != nil {
		items, good := stringList(p.r, v, path+".stages")
		if good && len(items) == 0 {
			p.r.Errorf(v, "%s is empty, so the windows would hold no stage; leave it out to hold the production stages", path+".stages")
			good = false
		}
		for i, it := range items {
			pos[fmt.Sprintf("windows.stages[%d]", i)] = it.pos()
		}
		sec.stages, ok = items, ok && good
	}
	if ok && len(ws.Allow) == 0 && len(ws.Freezes) == 0 {
		p.r.Warnf(n, "%s has neither allow nor freeze, so it holds no deploy", path)
	}
	sec.w = ws
	return sec, ok
}

// zoneError says what is wrong with a zone name without the path of the
// server's zone files.
func zoneError(name string) string {
	switch {
	case name == "" || name == "Local":
		return fmt.Sprintf("%q is not a zone name (the server's own zone is not allowed: it would change with the machine)", name)
	case strings.Count(name, "/") == 0 && len(name) <= 5 && strings.ToUpper(name) == name && name != "UTC":
		return fmt.Sprintf("unknown time zone %q (abbreviations such as PST or CET are not zones: they do not say when daylight saving time applies)", name)
	}
	return fmt.Sprintf("unknown time zone %q", name)
}

func (p *parser) allow(n *yaml.Node, path string, pos map[string]Pos) ([]Window, bool) {
	items, ok := stringList(p.r, n, path)
	if items == nil {
		return nil, false
	}
	if len(items) > maxAllow {
		p.r.Errorf(n, "%s has %d entries; at most %d are allowed", path, len(items), maxAllow)
		return nil, false
	}
	if ok && len(items) == 0 {
		p.r.Errorf(n, "%s is empty, so no deploy could ever start; leave it out to allow any time", path)
		return nil, false
	}
	out := make([]Window, 0, len(items))
	for i, it := range items {
		pos[fmt.Sprintf("windows.allow[%d]", i)] = it.pos()
		w, err := ParseWindow(it.value)
		if err != nil {
			p.r.Errorf(it.node, "%s[%d] %q: %v", path, i, it.value, err)
			ok = false
			continue
		}
		out = append(out, w)
	}
	return out, ok
}

func (p *parser) freezes(n *yaml.Node, path string, loc *time.Location, pos map[string]Pos) ([]Freeze, bool) {
	v := yamlwalk.Deref(n)
	if v.Kind != yaml.SequenceNode {
		p.r.Errorf(n, "%s must be a list of {from, to, reason}, got %s", path, yamlwalk.Describe(n))
		return nil, false
	}
	if len(v.Content) > maxFreezes {
		p.r.Errorf(n, "%s has %d freezes; at most %d are allowed (remove those that are over)", path, len(v.Content), maxFreezes)
		return nil, false
	}
	ok := true
	var out []Freeze
	for i, c := range v.Content {
		pos[fmt.Sprintf("windows.freeze[%d]", i)] = posOf(c)
		f, good := p.freeze(c, fmt.Sprintf("%s[%d]", path, i), loc)
		if good {
			out = append(out, f)
		}
		ok = ok && good
	}
	return out, ok
}

func (p *parser) freeze(n *yaml.Node, path string, loc *time.Location) (Freeze, bool) {
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, "%s must be a mapping like {from: 2026-12-20, to: 2027-01-04, reason: Holiday freeze}, got %s", path, yamlwalk.Describe(n))
		return Freeze{}, false
	}
	var f Freeze
	var fromNode, toNode *yaml.Node
	hasReason, ok := false, true
	for k, v := range yamlwalk.Fields(m) {
		var good bool
		switch k.Value {
		case "from":
			fromNode = v
			f.From, good = p.freezeTime(v, path+".from", loc, false)
		case "to":
			toNode = v
			f.To, good = p.freezeTime(v, path+".to", loc, true)
		case "reason":
			hasReason = true
			f.Reason, good = p.freezeReason(v, path+".reason")
		default:
			p.r.UnknownKey(k, path, freezeKeys())
		}
		ok = ok && good
	}
	for _, missing := range []struct {
		node *yaml.Node
		key  string
	}{{fromNode, "from"}, {toNode, "to"}} {
		if missing.node == nil {
			p.r.Errorf(n, "%s needs %s: a date (2026-12-20) or a date and time (\"2026-12-20 18:00\", in the windows' zone, or RFC 3339)", path, missing.key)
			ok = false
		}
	}
	if !hasReason {
		// An error rather than a warning: the reason is all that a held
		// deploy can report about the freeze.
		p.r.Errorf(n, "%s needs a reason: it is what every deploy the freeze holds reports", path)
		ok = false
	}
	if ok && !f.To.After(f.From) {
		p.r.Errorf(toNode, "%s ends (to: %s) before it starts (from: %s); a date in to is included, so from and to may be the same day", path, yamlwalk.Deref(toNode).Value, yamlwalk.Deref(fromNode).Value)
		ok = false
	}
	return f, ok
}

// freezeTime reads a freeze's from or to. A date is a whole day in the
// windows' zone: from is its first instant; to includes the day, so it is
// the next day's first instant. A date and time without an offset is in
// the zone; with one (RFC 3339) it is that instant.
func (p *parser) freezeTime(n *yaml.Node, path string, loc *time.Location, end bool) (time.Time, bool) {
	v := yamlwalk.Deref(n)
	// An unquoted date is a YAML timestamp; its text is what was written.
	if v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!str" && v.ShortTag() != "!!timestamp") {
		p.r.Errorf(n, "%s must be a date like 2026-12-20 or a date and time like \"2026-12-20 18:00\", got %s", path, yamlwalk.Describe(n))
		return time.Time{}, false
	}
	t, err := ParseFreezeTime(v.Value, loc, end)
	if err != nil {
		p.r.Errorf(n, "%s: %v", path, err)
		return time.Time{}, false
	}
	return t, true
}

// ParseFreezeTime reads a freeze bound as freezeTime describes; end says
// whether it is a to.
func ParseFreezeTime(s string, loc *time.Location, end bool) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		y, m, day := d.Date()
		if end {
			day++
		}
		return wallClock(y, m, day, 0, loc), nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04"} {
		if d, err := time.Parse(layout, s); err == nil {
			y, m, day := d.Date()
			return wallClock(y, m, day, d.Hour()*60+d.Minute(), loc), nil
		}
	}
	if d, err := time.Parse(time.RFC3339, s); err == nil {
		return d, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-12-20), a local date and time (2026-12-20 18:00) or an RFC 3339 time (2026-12-20T18:00:00-08:00)", s)
}

func (p *parser) freezeReason(n *yaml.Node, path string) (string, bool) {
	s, ok := yamlwalk.String(p.r, n, path)
	if !ok {
		return "", false
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		p.r.Errorf(n, "%s must say why, like \"Holiday freeze\": it is what every deploy the freeze holds reports", path)
		return "", false
	case len(s) > maxFreezeReason:
		p.r.Errorf(n, "%s is %d bytes long; at most %d", path, len(s), maxFreezeReason)
		return "", false
	case strings.ContainsFunc(s, unicode.IsControl):
		p.r.Errorf(n, "%s must be one line", path)
		return "", false
	}
	return s, true
}

// windowStages checks windows.stages against the pipeline's stages and
// sets Stages; with none given it warns when no stage is production, since
// the windows would then hold nothing.
func (p *parser) windowStages(pl *Pipeline, sec windowsSection, path string) bool {
	ws := sec.w
	if sec.stages == nil {
		if !slices.ContainsFunc(pl.Stages, func(s Stage) bool { return s.Production && !s.IsApproval() }) {
			p.r.WarnAt(yamlwalk.Pos(pl.At("windows")), "%s holds the production stages by default, and pipeline %q has none: name the stages it holds in %s.stages", path, pl.Name, path)
		}
		return true
	}
	var names []string
	for _, s := range pl.Stages {
		names = append(names, s.Name)
	}
	ok := true
	ws.Stages = []string{}
	for i, it := range sec.stages {
		where := fmt.Sprintf("%s.stages[%d]", path, i)
		i := slices.IndexFunc(pl.Stages, func(s Stage) bool { return s.Name == it.value })
		switch {
		case i < 0:
			hint := ""
			if c, found := yamlwalk.Closest(it.value, names); found {
				hint = fmt.Sprintf(" (did you mean %q?)", c)
			}
			p.r.Errorf(it.node, "%s: pipeline %q has no stage %q%s", where, pl.Name, it.value, hint)
			ok = false
		case pl.Stages[i].IsApproval():
			p.r.Errorf(it.node, "%s: %q is an approval stage, which deploys nothing for windows to hold", where, it.value)
			ok = false
		case slices.Contains(ws.Stages, it.value):
			p.r.Errorf(it.node, "%s: stage %q is named twice", where, it.value)
			ok = false
		default:
			ws.Stages = append(ws.Stages, it.value)
		}
	}
	return ok
}
