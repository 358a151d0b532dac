package alarms

import (
	"sync"
	"time"

	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// Pipelines knows the alarms: sections of the pipelines in force (their
// own and their organization's), so that an Alertmanager notification
// wakes only the pipelines its alerts concern without loading every
// engine state. The engine tells it each saved plan; at start it is
// filled from the stored states. Safe for concurrent use.
type Pipelines struct {
	mu   sync.Mutex
	keys map[string]pipeline.Key
	list map[string]PipelineAlarms
}

// NewPipelines returns an empty index.
func NewPipelines() *Pipelines {
	return &Pipelines{keys: map[string]pipeline.Key{}, list: map[string]PipelineAlarms{}}
}

// KeyString names a pipeline in the alarm views and their logs.
func KeyString(key pipeline.Key) string { return key.Repository + "#" + key.Pipeline }

// Set records the alarms sections of p, the pipeline in force for key; a
// pipeline with neither is forgotten.
func (ps *Pipelines) Set(key pipeline.Key, p pipeline.Pipeline) {
	k := KeyString(key)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if p.Alarms == nil && p.OrgAlarms == nil {
		delete(ps.keys, k)
		delete(ps.list, k)
		return
	}
	ps.keys[k] = key
	ps.list[k] = PipelineAlarms{Key: k, Alarms: p.Alarms, Org: p.OrgAlarms}
}

// Concerned returns the pipelines the alerts concern, by asking alerts.
func (ps *Pipelines) Concerned(alerts *Alerts, changed []store.Alert) []pipeline.Key {
	ps.mu.Lock()
	list := make([]PipelineAlarms, 0, len(ps.list))
	for _, p := range ps.list {
		list = append(list, p)
	}
	ps.mu.Unlock()
	var out []pipeline.Key
	for _, k := range alerts.Concerned(changed, list) {
		ps.mu.Lock()
		key, ok := ps.keys[k]
		ps.mu.Unlock()
		if ok {
			out = append(out, key)
		}
	}
	return out
}

// Sweep finds the alerts that went stale (not refreshed for twice their
// resolve_timeout) since the last sweep and returns the pipelines they
// concern: those must plan again, as if the alerts had resolved, since no
// notification will wake them.
func (ps *Pipelines) Sweep(alerts *Alerts, seen map[string]time.Time) []pipeline.Key {
	ps.mu.Lock()
	list := make([]PipelineAlarms, 0, len(ps.list))
	for _, p := range ps.list {
		list = append(list, p)
	}
	ps.mu.Unlock()
	for _, p := range list {
		alerts.Source(p.Key, p.Alarms, p.Org) // marks what went stale
	}
	var fresh []store.Alert
	for _, al := range alerts.Stale() {
		if at, ok := seen[al.Fingerprint]; !ok || !at.Equal(al.ReceivedAt) {
			seen[al.Fingerprint] = al.ReceivedAt
			fresh = append(fresh, al)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	return ps.Concerned(alerts, fresh)
}
