package alarms

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/prometheus/common/model"
)

// queryFields are what a query template may use. The names are the
// pipeline file's contract ({{.Target}}, {{.Stage}}, {{.SHA}}, {{.Since}},
// {{.Variant}}); a template naming anything else fails to render.
type queryFields struct {
	Target, Stage, SHA, Variant string
	// Since is a PromQL duration ("37m", "1h2m3s"): see Watch.
	Since string
}

// renderQuery fills a query template. Rendering errors are the pipeline
// file's mistakes, which no retry mends.
func renderQuery(name, text string, f queryFields) (string, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("query template %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, f); err != nil {
		return "", fmt.Errorf("query template %s: %w", name, err)
	}
	return b.String(), nil
}

// promDuration writes d as a PromQL range, rounded up to whole seconds and
// at least 1s: a zero or sub-second range is a syntax error in PromQL.
func promDuration(d time.Duration) string {
	secs := (d + time.Second - 1) / time.Second
	if secs < 1 {
		secs = 1
	}
	return model.Duration(secs * time.Second).String()
}

// series is one labelled number out of a query result.
type series struct {
	labels model.Metric
	value  float64
	// histogram: the sample is a native histogram, which has no single
	// value.
	histogram bool
}

// resultSeries flattens a query's result to one number per series, sorted
// by labels so that "the first series" of a summary is stable: Prometheus
// does not promise an order. A range vector contributes its last sample.
// NaN samples are left out: NaN is what PromQL gives for "no value" (0/0
// when nothing was served), and its comparison filters drop it too, so a
// query like `errors/total > 0.01` and one without the filter agree.
func resultSeries(v model.Value) ([]series, error) {
	var out []series
	switch r := v.(type) {
	case nil:
		return nil, nil
	case model.Vector:
		for _, s := range r {
			if s.Histogram != nil {
				out = append(out, series{labels: s.Metric, histogram: true})
				continue
			}
			if !math.IsNaN(float64(s.Value)) {
				out = append(out, series{labels: s.Metric, value: float64(s.Value)})
			}
		}
	case model.Matrix:
		for _, s := range r {
			switch {
			case len(s.Values) > 0:
				if last := float64(s.Values[len(s.Values)-1].Value); !math.IsNaN(last) {
					out = append(out, series{labels: s.Metric, value: last})
				}
			case len(s.Histograms) > 0:
				out = append(out, series{labels: s.Metric, histogram: true})
			}
		}
	case *model.Scalar:
		if !math.IsNaN(float64(r.Value)) {
			out = append(out, series{value: float64(r.Value)})
		}
	case *model.String:
		return nil, fmt.Errorf("the query returns a string (%q), not a number or series", r.Value)
	default:
		return nil, fmt.Errorf("the query returns a %s, not a number or series", v.Type())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].labels.String() < out[j].labels.String() })
	return out, nil
}

// queryVerdict interprets an alarm query's result: a vector or matrix with
// a series fires, so does a scalar other than 0; nothing clears. The
// summary shows the first series and its value, and how many more there
// are.
func queryVerdict(v model.Value) (fires bool, summary string, labels map[string]string, err error) {
	ss, err := resultSeries(v)
	if err != nil {
		return false, "", nil, err
	}
	if _, scalar := v.(*model.Scalar); scalar {
		if len(ss) == 0 || ss[0].value == 0 {
			return false, "", nil, nil
		}
		return true, "scalar " + promValueString(ss[0].value), nil, nil
	}
	if len(ss) == 0 {
		return false, "", nil, nil
	}
	first := ss[0]
	summary = first.labels.String() + " " + seriesValueString(first)
	if more := len(ss) - 1; more == 1 {
		summary += " (and 1 more series)"
	} else if more > 1 {
		summary += fmt.Sprintf(" (and %d more series)", more)
	}
	if len(first.labels) > 0 {
		labels = make(map[string]string, len(first.labels))
		for k, v := range first.labels {
			labels[string(k)] = string(v)
		}
	}
	return true, summary, labels, nil
}

func seriesValueString(s series) string {
	if s.histogram {
		return "(native histogram)"
	}
	return promValueString(s.value)
}

// resultNumber reduces a result to one number for the datapoints query and
// the compare entries; ok is false when there is no series (no data). many
// says what to do with several series: add them up (counts) or refuse
// (ratios and latencies, which do not add).
func resultNumber(v model.Value, addUp bool) (value float64, ok bool, err error) {
	ss, err := resultSeries(v)
	if err != nil {
		return 0, false, err
	}
	if len(ss) > 1 && !addUp {
		return 0, false, fmt.Errorf("the query returns %d series (first %s); it must return one: aggregate it, e.g. with sum(...) or max(...)",
			len(ss), ss[0].labels)
	}
	for _, s := range ss {
		if s.histogram {
			return 0, false, fmt.Errorf("the query returns a native histogram (%s), not a number", s.labels)
		}
		value += s.value
	}
	return value, len(ss) > 0, nil
}

// promValueString writes a value with four significant digits, plainly
// when that is readable (0.05235, 1235, 120) and in exponent form
// otherwise.
func promValueString(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == 0:
		return "0"
	}
	a := math.Abs(v)
	if a < 1e-3 || a >= 1e9 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	// Round to four significant digits, then print without exponent or
	// trailing zeros.
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	s := strconv.FormatFloat(r, 'f', -1, 64)
	return strings.TrimSuffix(s, ".0")
}
