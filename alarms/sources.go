package alarms

import (
	"time"

	"github.com/wavegate/wavegate/pipeline"
)

// Combine answers with the alarms of every source (nil ones left out).
func Combine(sources ...pipeline.AlarmSource) pipeline.AlarmSource {
	var out combined
	for _, s := range sources {
		if s != nil {
			out = append(out, s)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

type combined []pipeline.AlarmSource

func (c combined) Firing(target string) []pipeline.Alarm {
	var out []pipeline.Alarm
	for _, s := range c {
		out = append(out, s.Firing(target)...)
	}
	return out
}

// Unavailable is the source of a pipeline whose queries nothing can
// evaluate (this Wavegate has no Prometheus): a query-error alarm on every
// target, so that its deploys wait and say why rather than pass unwatched.
// since is when it was first seen so, for the report.
func Unavailable(why string, since time.Time) (pipeline.AlarmSource, pipeline.DatapointSource) {
	return unavailable{why, since}, unavailable{why, since}
}

type unavailable struct {
	why   string
	since time.Time
}

func (u unavailable) Firing(string) []pipeline.Alarm {
	return []pipeline.Alarm{{Origin: pipeline.AlarmQueryError, Name: "prometheus", Summary: u.why, Since: u.since}}
}

func (u unavailable) Datapoints(string) (pipeline.DatapointCount, bool) {
	return pipeline.DatapointCount{Err: u.why, At: u.since}, true
}
