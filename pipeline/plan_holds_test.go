package pipeline

import (
	"slices"
	"strings"
	"testing"
)

// A deploy held for new reasons is a decision, which the reports follow;
// held as before, or by the same alarm whose summary moved, it is not.
func TestNewHoldsAreDecisions(t *testing.T) {
	s := newSim(t, alarmPipeline())
	src := &fakeAlarms{firing: []Alarm{highErrorRate("B", 0)}}
	s.in.Alarms = src
	s.push(1, "s1")
	holds := func() []string {
		var out []string
		for _, d := range s.last.Decisions {
			if d.What == "held" {
				out = append(out, d.Target+" "+d.Reason)
			}
		}
		return out
	}
	if got := holds(); len(got) != 1 || !strings.HasPrefix(got[0], "B alarm: ") {
		t.Fatalf("first hold: %q", got)
	}
	src.firing[0].Summary = "error rate 6%"
	s.plan()
	if got := holds(); len(got) != 0 {
		t.Fatalf("the same alarm, its summary moved: %q", got)
	}
	latency := highErrorRate("B", 0)
	latency.Name = "HighLatency"
	src.firing = append(src.firing, latency)
	s.plan()
	if got := holds(); len(got) != 1 || !slices.ContainsFunc(got, func(h string) bool { return strings.Contains(h, "HighLatency") }) {
		t.Fatalf("a second alarm: %q", got)
	}
}
