package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/wavegate/wavegate/config/yamlwalk"
	"go.yaml.in/yaml/v3"
)

// Reading the alarms: section, strictly: unknown keys, bad label names,
// regular expressions and templates are errors with their positions, so
// that junk under alarms: can never pass for alarms that watch something.

// Bounds that keep matching and evaluation cheap; real files have a
// handful of each.
const (
	maxMatchers      = 30
	maxAlarmQueries  = 50
	maxCompares      = 50
	maxQueryLen      = 4096
	maxLabelValueLen = 1024
	minAlarmInterval = time.Second
	maxAlarmInterval = time.Hour
	maxErrorLimit    = 100
	// labelPattern is a Prometheus label name.
	labelPattern = `^[a-zA-Z_][a-zA-Z0-9_]*$`
)

func alarmsKeys() []string {
	return []string{"match", "target_label", "interval", "error_limit", "resolve_timeout", "queries", "compare"}
}

// orgAlarmsKeys are the keys an organization's alarms: may have: it
// claims Alertmanager alerts for every pipeline, and has no queries, which
// need a pipeline's targets and stages.
func orgAlarmsKeys() []string { return []string{"match", "target_label", "resolve_timeout"} }

func compareKeys() []string { return []string{"name", "query", "max_ratio", "min_ratio"} }

// alarms reads an alarms: section; nil when absent, null or empty. pos
// receives the positions of its values ("alarms.match.service",
// "alarms.queries.fault-rate", "alarms.compare[0]"). org reads an
// organization file's section.
func (p *parser) alarms(n *yaml.Node, path string, pos map[string]Pos, org bool) (*Alarms, bool) {
	if yamlwalk.IsNull(n) {
		return nil, true
	}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, "%s must be a mapping with match, target_label, queries and the other alarm keys, got %s", path, yamlwalk.Describe(n))
		return nil, false
	}
	if len(m.Content) == 0 {
		return nil, true
	}
	a := &Alarms{TargetLabel: DefaultTargetLabel, Interval: DefaultAlarmInterval,
		ErrorLimit: DefaultErrorLimit, ResolveTimeout: DefaultResolveTimeout}
	ok := true
	names := map[string]Pos{}
	for k, v := range yamlwalk.Fields(m) {
		kp := path + "." + k.Value
		if org && slices.Contains(alarmsKeys(), k.Value) && !slices.Contains(orgAlarmsKeys(), k.Value) {
			p.r.Errorf(k, "an organization's alarms only claim Alertmanager alerts for every pipeline (match, target_label, resolve_timeout); %s belongs to a pipeline's own alarms (pipelines.NAME.alarms.%s), where targets and stages are known", k.Value, k.Value)
			ok = false
			continue
		}
		pos["alarms."+k.Value] = posOf(v)
		good := true
		switch k.Value {
		case "match":
			a.Match, good = p.match(v, kp, pos)
		case "target_label":
			a.TargetLabel, good = p.labelName(v, kp)
		case "interval":
			a.Interval, good = p.boundedDuration(v, kp, minAlarmInterval, maxAlarmInterval)
		case "error_limit":
			a.ErrorLimit, good = yamlwalk.Int(p.r, v, kp, 1, maxErrorLimit)
		case "resolve_timeout":
			a.ResolveTimeout, good = p.boundedDuration(v, kp, time.Second, 24*time.Hour)
		case "queries":
			a.Queries, good = p.alarmQueries(v, kp, pos, names)
		case "compare":
			a.Compare, good = p.compares(v, kp, pos, names)
		default:
			delete(pos, "alarms."+k.Value)
			known := alarmsKeys()
			if org {
				known = orgAlarmsKeys()
			}
			p.r.UnknownKey(k, path, known)
			good = false
		}
		ok = ok && good
	}
	if ok && len(a.Match) == 0 && len(a.Queries) == 0 && len(a.Compare) == 0 {
		if org {
			p.r.Warnf(n, "%s has no match, so it claims no alert", path)
		} else {
			p.r.Warnf(n, "%s has neither match, queries nor compare, so it watches nothing and nothing rolls back by itself", path)
		}
	}
	return a, ok
}

// match reads label matchers: `service: api` is equality, and a value
// written "=~REGEX" is a regular expression anchored at both ends, as in
// Alertmanager's routes.
func (p *parser) match(n *yaml.Node, path string, pos map[string]Pos) ([]LabelMatcher, bool) {
	if yamlwalk.IsNull(n) {
		return nil, true
	}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, `%s must be a mapping of label names to values, like {service: api} or {service: "=~api|web"}, got %s`, path, yamlwalk.Describe(n))
		return nil, false
	}
	if len(m.Content)/2 > maxMatchers {
		p.r.Errorf(n, "%s has %d labels; at most %d are allowed", path, len(m.Content)/2, maxMatchers)
		return nil, false
	}
	var out []LabelMatcher
	ok := true
	for k, v := range yamlwalk.Fields(m) {
		kp := path + "." + k.Value
		pos["alarms.match."+k.Value] = posOf(v)
		if !p.re.label.MatchString(k.Value) {
			p.r.Errorf(k, "%s: %q is not a label name (letters, digits and _, not starting with a digit)", path, k.Value)
			ok = false
			continue
		}
		s, good := yamlwalk.String(p.r, v, kp)
		if !good {
			ok = false
			continue
		}
		op, value := "=", s
		switch {
		case strings.HasPrefix(s, "=~"):
			op, value = "=~", s[2:]
		case strings.HasPrefix(s, "!=") || strings.HasPrefix(s, "!~"):
			p.r.Errorf(v, `%s %q: negative matchers are not supported; write a value (equality) or "=~REGEX" (a regular expression)`, kp, s)
			ok = false
			continue
		}
		if len(value) > maxLabelValueLen {
			p.r.Errorf(v, "%s is %d bytes long; at most %d", kp, len(value), maxLabelValueLen)
			ok = false
			continue
		}
		lm, err := NewLabelMatcher(k.Value, op, value)
		if err != nil {
			p.r.Errorf(v, "%s %q is not a valid regular expression: %v", kp, value, err)
			ok = false
			continue
		}
		out = append(out, lm)
	}
	return out, ok
}

func (p *parser) labelName(n *yaml.Node, path string) (string, bool) {
	s, ok := yamlwalk.String(p.r, n, path)
	if !ok {
		return "", false
	}
	if !p.re.label.MatchString(s) {
		p.r.Errorf(n, "%s %q is not a label name (letters, digits and _, not starting with a digit)", path, s)
		return "", false
	}
	return s, true
}

func (p *parser) boundedDuration(n *yaml.Node, path string, lo, hi time.Duration) (time.Duration, bool) {
	d, ok := durationValue(p.r, p.re.duration, n, path)
	if ok && (d < lo || d > hi) {
		p.r.Errorf(n, "%s must be between %s and %s, got %s", path, formatDuration(lo), formatDuration(hi), formatDuration(d))
		return 0, false
	}
	return d, ok
}

// alarmQueries reads queries: name -> PromQL template, sorted by name.
// names holds the alarm names already taken, queries' and compares'.
func (p *parser) alarmQueries(n *yaml.Node, path string, pos map[string]Pos, names map[string]Pos) ([]AlarmQuery, bool) {
	if yamlwalk.IsNull(n) {
		return nil, true
	}
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, "%s must be a mapping of alarm names to PromQL queries, like {fault-rate: 'sum(rate(errors_total{env=\"{{.Target}}\"}[5m])) > 0'}, got %s", path, yamlwalk.Describe(n))
		return nil, false
	}
	if len(m.Content)/2 > maxAlarmQueries {
		p.r.Errorf(n, "%s has %d queries; at most %d are allowed", path, len(m.Content)/2, maxAlarmQueries)
		return nil, false
	}
	var out []AlarmQuery
	ok := true
	for k, v := range yamlwalk.Fields(m) {
		kp := path + "." + k.Value
		pos["alarms.queries."+k.Value] = posOf(v)
		good := p.alarmName(k, k.Value, kp, names)
		q, goodQ := p.queryTemplate(v, kp)
		if good && goodQ {
			out = append(out, AlarmQuery{Name: k.Value, Query: q})
		}
		ok = ok && good && goodQ
	}
	slices.SortFunc(out, func(a, b AlarmQuery) int { return strings.Compare(a.Name, b.Name) })
	return out, ok
}

// alarmName checks a query's or compare's name: it appears in reports and
// in the reasons of rollbacks, so it follows the name rule and is unique.
func (p *parser) alarmName(at *yaml.Node, name, path string, names map[string]Pos) bool {
	if !p.re.validName(name) {
		p.r.Errorf(at, "%s: alarm name %q is not allowed: use %s", path, name, nameRule())
		return false
	}
	if first, dup := names[name]; dup {
		p.r.Errorf(at, "%s: alarm name %q is already used at line %d; queries and compare entries need distinct names", path, name, first.Line)
		return false
	}
	names[name] = posOf(at)
	return true
}

func (p *parser) compares(n *yaml.Node, path string, pos map[string]Pos, names map[string]Pos) ([]Compare, bool) {
	if yamlwalk.IsNull(n) {
		return nil, true
	}
	v := yamlwalk.Deref(n)
	if v.Kind != yaml.SequenceNode {
		p.r.Errorf(n, "%s must be a list of {query, max_ratio, min_ratio}, got %s", path, yamlwalk.Describe(n))
		return nil, false
	}
	if len(v.Content) > maxCompares {
		p.r.Errorf(n, "%s has %d entries; at most %d are allowed", path, len(v.Content), maxCompares)
		return nil, false
	}
	var out []Compare
	ok := true
	for i, c := range v.Content {
		pos[fmt.Sprintf("alarms.compare[%d]", i)] = posOf(c)
		cmp, good := p.compare(c, fmt.Sprintf("%s[%d]", path, i), i, names)
		if good {
			out = append(out, cmp)
		}
		ok = ok && good
	}
	return out, ok
}

func (p *parser) compare(n *yaml.Node, path string, i int, names map[string]Pos) (Compare, bool) {
	m := yamlwalk.Deref(n)
	if m.Kind != yaml.MappingNode {
		p.r.Errorf(n, "%s must be a mapping like {query: 'sum(rate(http_requests_total{env=\"{{.Target}}\"}[5m]))', min_ratio: 0.5}, got %s", path, yamlwalk.Describe(n))
		return Compare{}, false
	}
	c := Compare{Name: fmt.Sprintf("compare[%d]", i)}
	var maxNode, minNode *yaml.Node
	hasQuery, ok := false, true
	for k, v := range yamlwalk.Fields(m) {
		kp := path + "." + k.Value
		good := true
		switch k.Value {
		case "name":
			var s string
			if s, good = yamlwalk.String(p.r, v, kp); good {
				c.Name, good = s, p.alarmName(v, s, kp, names)
			}
		case "query":
			hasQuery = true
			c.Query, good = p.queryTemplate(v, kp)
		case "max_ratio":
			maxNode = v
			c.MaxRatio, good = p.ratio(v, kp)
			if good && c.MaxRatio <= 1 {
				p.r.Errorf(v, "%s must be above 1: it fires when the value exceeds the baseline times max_ratio (2 for twice the baseline), got %s", kp, yamlwalk.Deref(v).Value)
				good = false
			}
		case "min_ratio":
			minNode = v
			c.MinRatio, good = p.ratio(v, kp)
			if good && c.MinRatio >= 1 {
				p.r.Errorf(v, "%s must be below 1: it fires when the value falls under the baseline times min_ratio (0.5 for half the baseline), got %s", kp, yamlwalk.Deref(v).Value)
				good = false
			}
		default:
			p.r.UnknownKey(k, path, compareKeys())
			good = false
		}
		ok = ok && good
	}
	if !hasQuery {
		p.r.Errorf(n, "%s needs a query: the PromQL template whose value is compared with its baseline", path)
		ok = false
	}
	if maxNode == nil && minNode == nil {
		p.r.Errorf(n, "%s needs max_ratio, min_ratio or both: the bounds of the value against its baseline", path)
		ok = false
	}
	return c, ok
}

// ratio reads a positive finite number.
func (p *parser) ratio(n *yaml.Node, path string) (float64, bool) {
	v := yamlwalk.Deref(n)
	var f float64
	if v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!int" && v.ShortTag() != "!!float") || v.Decode(&f) != nil {
		p.r.Errorf(n, "%s must be a number, like 0.5 or 3, got %s", path, yamlwalk.Describe(n))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		p.r.Errorf(n, "%s must be a number above 0, got %s", path, v.Value)
		return 0, false
	}
	return f, true
}

// queryTemplate reads a PromQL template and checks it as a template; the
// PromQL itself is checked by Prometheus when it is evaluated.
func (p *parser) queryTemplate(n *yaml.Node, path string) (string, bool) {
	s, ok := yamlwalk.String(p.r, n, path)
	if !ok {
		return "", false
	}
	if err := CheckQueryTemplate(s); err != nil {
		p.r.Errorf(n, "%s %v", path, err)
		return "", false
	}
	return s, true
}
