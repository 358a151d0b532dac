package alarms

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/wavegate/wavegate/pipeline"
)

// Watch is one target the Evaluator watches: a target of a pipeline that
// deploys or bakes, or whose next deploy is about to start or is held. The
// caller builds it from the engine's state; one Watch per target of a
// pipeline (a later one for the same Key and Target replaces the earlier).
type Watch struct {
	Key pipeline.Key
	// Alarms is the pipeline's alarms: section; nil when it has none.
	Alarms *pipeline.Alarms
	// Org is the organization file's alarms: section, whose queries concern
	// every pipeline of the organization; its alarms carry Org. Nil: none.
	Org *pipeline.Alarms
	// Datapoints is the pipeline's datapoints query template. Set it only
	// for a step whose stage has min_datapoints: it is evaluated while
	// StepKey bakes (DeployFinishedAt set).
	Datapoints string
	Stage      string
	Target     string
	// SHA is what the step puts in place.
	SHA string
	// Variant is the step's, pipeline.VariantOnebox or VariantFull; empty
	// before a deploy.
	Variant string
	// StepKey is the step's Key (pipeline.Step.Key): its data-point count
	// is answered under it.
	StepKey string
	// DeployStartedAt is when the step's deploy started; zero before a
	// deploy. alarms.compare's baseline is the hour before it.
	DeployStartedAt time.Time
	// DeployFinishedAt is when the deploy succeeded and the bake began;
	// zero while it deploys. alarms.compare and the datapoints query are
	// evaluated only from then on.
	DeployFinishedAt time.Time
}

// since is what {{.Since}} covers: the bake so far (the step's deploy
// finished), or, while the deploy runs, the deploy so far; before a deploy
// there is no step, and it is one evaluation interval. The data points are
// always counted from the deploy's end, so that requests served while the
// deploy ran, partly by the old version, do not count.
func (w Watch) since(now time.Time, interval time.Duration) time.Duration {
	switch {
	case !w.DeployFinishedAt.IsZero():
		return now.Sub(w.DeployFinishedAt)
	case !w.DeployStartedAt.IsZero():
		return now.Sub(w.DeployStartedAt)
	}
	return interval
}

// interval is how often the watch is evaluated: the shorter of its
// sections' intervals.
func (w Watch) interval() time.Duration {
	d := time.Duration(0)
	for _, a := range []*pipeline.Alarms{w.Alarms, w.Org} {
		if a != nil && a.Interval > 0 && (d == 0 || a.Interval < d) {
			d = a.Interval
		}
	}
	if d == 0 {
		d = pipeline.DefaultAlarmInterval
	}
	return d
}

// queryTimeout bounds one query: no longer than the interval, so that a
// hung Prometheus does not push evaluations back, and at most 10s.
func (w Watch) queryTimeout() time.Duration {
	return min(w.interval(), 10*time.Second)
}

// checkID names one alarm query or compare entry of a watch.
type checkID struct {
	org    bool
	origin pipeline.AlarmOrigin // query or compare
	name   string
}

// checkOutcome is one evaluation of a check.
type checkOutcome struct {
	id         checkID
	errorLimit int
	fires      bool
	summary    string
	labels     map[string]string
	err        error
	// permanent: the template cannot be rendered; retrying cannot help,
	// so it is reported at once.
	permanent bool
	// note explains a compare verdict that does not fire.
	note string
}

// watchOutcome is one evaluation of a watch.
type watchOutcome struct {
	at     time.Time
	checks []checkOutcome
	// dp is the data-point count; nil when the datapoints query does not
	// apply now.
	dp *pipeline.DatapointCount
}

// evaluate runs every check of w at now, at once: queries are independent,
// and one slow query should not delay the others past the interval.
func (e *Evaluator) evaluate(ctx context.Context, w Watch, now time.Time) watchOutcome {
	interval := w.interval()
	fields := queryFields{Target: w.Target, Stage: w.Stage, SHA: w.SHA, Variant: w.Variant,
		Since: promDuration(w.since(now, interval))}
	var jobs []func() checkOutcome
	for _, sec := range []struct {
		a   *pipeline.Alarms
		org bool
	}{{w.Alarms, false}, {w.Org, true}} {
		if sec.a == nil {
			continue
		}
		limit := sec.a.ErrorLimit
		if limit <= 0 {
			limit = pipeline.DefaultErrorLimit
		}
		for _, q := range sec.a.Queries {
			id := checkID{org: sec.org, origin: pipeline.AlarmQueryResult, name: q.Name}
			jobs = append(jobs, func() checkOutcome {
				o := e.evalQuery(ctx, w, q, fields, now)
				o.id, o.errorLimit = id, limit
				return o
			})
		}
		if w.DeployFinishedAt.IsZero() {
			continue // compare judges the bake only
		}
		for _, c := range sec.a.Compare {
			id := checkID{org: sec.org, origin: pipeline.AlarmCompare, name: c.Name}
			jobs = append(jobs, func() checkOutcome {
				o := e.evalCompare(ctx, w, c, fields, now)
				o.id, o.errorLimit = id, limit
				return o
			})
		}
	}
	out := watchOutcome{at: now, checks: make([]checkOutcome, len(jobs))}
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() { out.checks[i] = job() })
	}
	if w.Datapoints != "" && w.StepKey != "" && !w.DeployFinishedAt.IsZero() {
		dpFields := fields
		dpFields.Since = promDuration(now.Sub(w.DeployFinishedAt))
		dp := e.evalDatapoints(ctx, w, dpFields, now)
		out.dp = &dp
	}
	wg.Wait()
	return out
}

func (e *Evaluator) evalQuery(ctx context.Context, w Watch, q pipeline.AlarmQuery, f queryFields, now time.Time) checkOutcome {
	text, err := renderQuery(q.Name, q.Query, f)
	if err != nil {
		return checkOutcome{err: err, permanent: true}
	}
	v, err := e.query(ctx, w, q.Name, text, now)
	if err != nil {
		return checkOutcome{err: err}
	}
	fires, summary, labels, err := queryVerdict(v)
	if err != nil {
		return checkOutcome{err: fmt.Errorf("query %s: %w", text, err)}
	}
	return checkOutcome{fires: fires, summary: summary, labels: labels}
}

// evalCompare judges one compare entry. For a one-box step whose template
// uses {{.Variant}}, the baseline is the rest of the target now (the full
// fleet, on the old version); otherwise the hour before the deploy.
func (e *Evaluator) evalCompare(ctx context.Context, w Watch, c pipeline.Compare, f queryFields, now time.Time) checkOutcome {
	text, err := renderQuery(c.Name, c.Query, f)
	if err != nil {
		return checkOutcome{err: err, permanent: true}
	}
	baseText, baseAt, baseName := baselineQuery(text), w.DeployStartedAt, "the hour before the deploy"
	if w.Variant == pipeline.VariantOnebox {
		rest := f
		rest.Variant = pipeline.VariantFull
		restText, err := renderQuery(c.Name, c.Query, rest)
		if err != nil {
			return checkOutcome{err: err, permanent: true}
		}
		if restText != text {
			baseText, baseAt, baseName = restText, now, "the rest of the target"
		}
	}
	if baseAt.IsZero() {
		// A bake without a recorded deploy start: the baseline window is
		// unknown, and guessing it would compare against the wrong hour.
		return checkOutcome{note: "no baseline: the deploy's start time is not known"}
	}
	nowV, err := e.query(ctx, w, c.Name, text, now)
	if err != nil {
		return checkOutcome{err: err}
	}
	cur, curOK, err := resultNumber(nowV, false)
	if err != nil {
		return checkOutcome{err: fmt.Errorf("query %s: %w", text, err)}
	}
	baseV, err := e.query(ctx, w, c.Name, baseText, baseAt)
	if err != nil {
		return checkOutcome{err: err}
	}
	base, baseOK, err := resultNumber(baseV, false)
	if err != nil {
		return checkOutcome{err: fmt.Errorf("query %s: %w", baseText, err)}
	}
	v := judgeCompare(c, cur, curOK, base, baseOK, baseName)
	if v.fires {
		return checkOutcome{fires: true, summary: v.text}
	}
	return checkOutcome{note: v.text}
}

// evalDatapoints counts the step's data points: the series' values added
// up (counts add); no series is NoData, and an error is Err, both of which
// keep the bake waiting.
func (e *Evaluator) evalDatapoints(ctx context.Context, w Watch, f queryFields, now time.Time) pipeline.DatapointCount {
	text, err := renderQuery("datapoints", w.Datapoints, f)
	if err != nil {
		return pipeline.DatapointCount{Err: err.Error(), At: now}
	}
	v, err := e.query(ctx, w, "datapoints", text, now)
	if err != nil {
		return pipeline.DatapointCount{Err: err.Error(), At: now}
	}
	n, ok, err := resultNumber(v, true)
	if err != nil {
		return pipeline.DatapointCount{Err: fmt.Sprintf("query %s: %v", text, err), At: now}
	}
	return pipeline.DatapointCount{Value: n, NoData: !ok, At: now}
}

// query runs one instant query at ts, bounded by the watch's query timeout
// (also sent to Prometheus, so that it stops working on it), counted and
// timed.
func (e *Evaluator) query(ctx context.Context, w Watch, name, text string, ts time.Time) (model.Value, error) {
	timeout := w.queryTimeout()
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := e.clock.Now()
	v, _, _, err := e.api.Query(qctx, text, ts, v1.WithTimeout(timeout))
	e.metrics.duration.Observe(e.clock.Now().Sub(start).Seconds())
	outcome := "ok"
	if err != nil {
		outcome = "error"
		if errors.Is(qctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			outcome = "timeout"
			err = fmt.Errorf("Prometheus gave no answer within %s", timeout)
		}
		// Debug: each failure counts toward the limit, and what the limit
		// raises is logged once, as a warning.
		e.logger.DebugContext(ctx, "prometheus query failed", "repository", w.Key.Repository, "pipeline", w.Key.Pipeline,
			"target", w.Target, "query_name", name, "query", text, "error", err)
	}
	e.metrics.queries.WithLabelValues(outcome).Inc()
	return v, err
}
