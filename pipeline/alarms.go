package pipeline

import (
	"fmt"
	"regexp"
	"time"
)

// The alarms: section of a pipeline (and of the organization's file), read
// into Alarms by Parse; and the signals the alarm sources feed Plan through
// Inputs: alarms firing on targets, and data-point counts of bakes.

// Defaults of the alarms: section.
const (
	DefaultTargetLabel    = "target"
	DefaultAlarmInterval  = 15 * time.Second
	DefaultErrorLimit     = 3
	DefaultResolveTimeout = 5 * time.Minute
)

// Alarms is a pipeline's alarms: section, defaults applied.
type Alarms struct {
	// Match selects the Alertmanager alerts that are this pipeline's: all
	// matchers must hold (Alertmanager route semantics). Empty: none.
	Match []LabelMatcher `json:",omitempty"`
	// TargetLabel names the label whose value is a target; an alert
	// without it concerns every target of the pipeline.
	TargetLabel string
	// Interval is how often queries are evaluated while a target deploys
	// or bakes.
	Interval time.Duration
	// ErrorLimit is how many consecutive errors of a query hold the deploy.
	ErrorLimit int
	// ResolveTimeout is Alertmanager's resolve_timeout as the operator set
	// it: an alert not refreshed for twice this is treated as resolved.
	ResolveTimeout time.Duration
	// Queries fire when their result is not empty; sorted by name.
	Queries []AlarmQuery `json:",omitempty"`
	// Compare fires when a value during the bake strays from its baseline.
	Compare []Compare `json:",omitempty"`
}

// LabelMatcher is one label condition: Name = Value, or Name =~ Value
// (a regular expression anchored at both ends, as Alertmanager's).
type LabelMatcher struct {
	Name  string
	Regex bool   `json:",omitempty"`
	Value string // as written
	re    *regexp.Regexp
}

// AlarmQuery is a named PromQL template ({{.Target}}, {{.Stage}},
// {{.SHA}}, {{.Since}}).
type AlarmQuery struct {
	Name  string
	Query string
}

// Compare is one alarms.compare entry: the query's value for the target
// during the bake against its value over the hour before the deploy
// started (or, for a one-box step whose template uses {{.Variant}}, the
// rest of the target). MaxRatio and MinRatio are zero when not set.
type Compare struct {
	Name     string // "compare[N]" unless named
	Query    string
	MaxRatio float64 `json:",omitempty"`
	MinRatio float64 `json:",omitempty"`
}

// AlarmSource says which alarms fire on the targets of one pipeline now:
// Alertmanager alerts matched to it, query results, compare verdicts, and
// queries in error past their limit. It must answer from data already
// loaded: Plan is pure.
type AlarmSource interface {
	// Firing returns the alarms concerning target (alerts without a target
	// label included).
	Firing(target string) []Alarm
}

// AlarmOrigin says where an alarm comes from.
type AlarmOrigin string

// Alarm origins.
const (
	AlarmAlertmanager AlarmOrigin = "alertmanager"
	AlarmQueryResult  AlarmOrigin = "query"
	AlarmCompare      AlarmOrigin = "compare"
	// AlarmQueryError is a query that failed ErrorLimit times in a row: it
	// holds a deploy from starting and a bake from ending (health is not
	// known), but rolls nothing back.
	AlarmQueryError AlarmOrigin = "query-error"
)

// Alarm is one alarm firing, said so a person understands it.
type Alarm struct {
	Origin AlarmOrigin
	// Name is the alert's alertname, the query's name, or the compare
	// entry's name.
	Name string
	// Target is the target it concerns; empty: every target.
	Target string
	// Summary is the alert's summary annotation, or the query's series and
	// value ("fault-rate: {env="prod-1"} 0.05"), or the compare verdict
	// with both numbers, or the query's error.
	Summary string
	Labels  map[string]string `json:",omitempty"`
	Since   time.Time
	// Org says it comes from the organization's alarms.
	Org bool `json:",omitempty"`
}

// DatapointSource says how many data points a bake step has gathered.
type DatapointSource interface {
	// Datapoints returns the count for the step (by its Key) as last
	// evaluated; ok false when it was never evaluated.
	Datapoints(stepKey string) (c DatapointCount, ok bool)
}

// DatapointCount is one evaluation of the datapoints query for a step.
type DatapointCount struct {
	Value float64
	// NoData: the query returned no series. Not zero and not a pass: the
	// bake keeps waiting.
	NoData bool `json:",omitempty"`
	// Err is the query's error when it failed; the bake keeps waiting.
	Err string `json:",omitempty"`
	At  time.Time
}

// NewLabelMatcher makes a matcher; op is "=" or "=~". A regular expression
// is anchored at both ends, as in Alertmanager's routes.
func NewLabelMatcher(name, op, value string) (LabelMatcher, error) {
	m := LabelMatcher{Name: name, Value: value}
	switch op {
	case "=":
	case "=~":
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return LabelMatcher{}, fmt.Errorf("label %s: %w", name, err)
		}
		m.Regex, m.re = true, re
	default:
		return LabelMatcher{}, fmt.Errorf("label %s: operator %q is not = or =~", name, op)
	}
	return m, nil
}

// Matches reports whether labels satisfy the matcher; a missing label is
// the empty string, as in Alertmanager.
func (m LabelMatcher) Matches(labels map[string]string) bool {
	v := labels[m.Name]
	if !m.Regex {
		return v == m.Value
	}
	re := m.re
	if re == nil { // decoded from a saved state: compile again
		var err error
		if re, err = regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
			return false
		}
	}
	return re.MatchString(v)
}

// MatchAll reports whether labels satisfy every matcher; no matchers match
// nothing, so that an alarms: section without match: claims no alert.
func MatchAll(ms []LabelMatcher, labels map[string]string) bool {
	if len(ms) == 0 {
		return false
	}
	for _, m := range ms {
		if !m.Matches(labels) {
			return false
		}
	}
	return true
}
