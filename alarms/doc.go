// Package alarms owns the alarm and data-point sources of the engine: the
// Alertmanager alerts Wavegate was sent (kept, matched to pipelines by
// their alarms.match, forgotten when resolved or stale), and the
// Prometheus queries it evaluates itself (alarms.queries, alarms.compare
// and the datapoints query) for the targets that deploy or bake. It
// answers the planner through pipeline.AlarmSource and
// pipeline.DatapointSource, from what it already holds; its Feed connects
// these sources to the engine, planning a pipeline again when they change.
package alarms
