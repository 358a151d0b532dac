package pipeline

import (
	"slices"
	"testing"
	"time"
)

// countingPipeline is alarmPipeline whose wave-1 waits for 3,000 data
// points (datapoints_timeout: the default, 4 × 1h).
func countingPipeline() Pipeline {
	p := alarmPipeline()
	p.Datapoints = `sum(increase(http_requests_total{env="{{.Target}}",version="{{.SHA}}"}[{{.Since}}]))`
	p.Stages[1].MinDatapoints = 3000
	return p
}

// P1's one-box step of release 1, whose bake runs +12m..+72m.
var p1Onebox = StepKey(1, "wave-1", "P1", VariantOnebox, ActionDeploy)

func TestDatapointsGateBakes(t *testing.T) {
	count := func(v float64) DatapointCount { return DatapointCount{Value: v, At: simStart.Add(70 * time.Minute)} }
	for _, tc := range []struct {
		name string
		// at +80m, the count for P1's one-box step; none when absent.
		count   *DatapointCount
		nilSrc  bool
		waiting string
		// then at +100m, the count; nil: unchanged.
		later   *DatapointCount
		want    []string
		reason  string // the release's failure, if it fails
		dpAt80m DatapointProgress
	}{
		{name: "reached before the bake's time: it ends on time", count: ptr(count(3000)),
			want:    []string{"+0m deploy B full r1 s1", "+11m deploy P1 onebox r1 s1", "+72m deploy P1 full r1 s1"},
			dpAt80m: DatapointProgress{}},
		{name: "short, then reached after the bake's time: it ends that moment", count: ptr(count(1240.7)), later: ptr(count(3000)),
			waiting: "waiting for data points: 1,240 of 3,000 data points",
			want:    []string{"+0m deploy B full r1 s1", "+11m deploy P1 onebox r1 s1", "+100m deploy P1 full r1 s1"},
			dpAt80m: DatapointProgress{Count: 1240, Min: 3000, At: simStart.Add(70 * time.Minute)}},
		{name: "no data is not zero", count: &DatapointCount{NoData: true, At: simStart.Add(70 * time.Minute)}, later: ptr(count(3001)),
			waiting: "waiting for data points: no data yet, 3,000 data points needed",
			want:    []string{"+0m deploy B full r1 s1", "+11m deploy P1 onebox r1 s1", "+100m deploy P1 full r1 s1"},
			dpAt80m: DatapointProgress{Min: 3000, NoData: true, At: simStart.Add(70 * time.Minute)}},
		{name: "a query error waits", count: &DatapointCount{Err: "bad_data: parse error", At: simStart.Add(70 * time.Minute)},
			waiting: "waiting for data points: data points query failing, 3,000 needed: bad_data: parse error",
			want:    []string{"+0m deploy B full r1 s1", "+11m deploy P1 onebox r1 s1", "+252m failed r1 wave-1", "+252m nothing-to-roll-back r1 wave-1/P1"},
			reason:  "the one-box bake of P1 could not count its 3,000 data points within 4h (datapoints_timeout): the datapoints query failed: bad_data: parse error",
			dpAt80m: DatapointProgress{Min: 3000, Err: "bad_data: parse error", At: simStart.Add(70 * time.Minute)}},
		{name: "never counted (no source) waits, then times out", nilSrc: true,
			waiting: "waiting for data points: data points not counted yet, 3,000 needed",
			want:    []string{"+0m deploy B full r1 s1", "+11m deploy P1 onebox r1 s1", "+252m failed r1 wave-1", "+252m nothing-to-roll-back r1 wave-1/P1"},
			reason:  "the one-box bake of P1 had no data-point count within 4h (datapoints_timeout) (3,000 data points needed)",
			dpAt80m: DatapointProgress{Min: 3000}},
		{name: "short until the timeout: the release fails in the stage", count: ptr(count(1240)),
			waiting: "waiting for data points: 1,240 of 3,000 data points",
			want:    []string{"+0m deploy B full r1 s1", "+11m deploy P1 onebox r1 s1", "+252m failed r1 wave-1", "+252m nothing-to-roll-back r1 wave-1/P1"},
			reason:  "the one-box bake of P1 counted only 1,240 of 3,000 data points within 4h (datapoints_timeout)",
			dpAt80m: DatapointProgress{Count: 1240, Min: 3000, At: simStart.Add(70 * time.Minute)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, countingPipeline())
			src := fakeDatapoints{}
			if !tc.nilSrc {
				s.in.Datapoints = src
			}
			s.push(1, "s1")
			s.run(20 * time.Minute)
			if tc.count != nil {
				src[p1Onebox] = *tc.count
				s.plan()
			}
			s.run(80 * time.Minute)
			tr := s.st.Release(1).Stages["wave-1"].Targets["P1"]
			if tc.waiting != "" {
				deadline := simStart.Add(12*time.Minute + 4*time.Hour)
				if tr.Phase != PhaseOneboxBaking || tr.Waiting != tc.waiting || !s.last.WakeAt.Equal(deadline) {
					t.Fatalf("P1 %s waiting %q, wakes at %v; want the one-box bake waiting %q, waking at the timeout %v", tr.Phase, tr.Waiting, s.last.WakeAt, tc.waiting, deadline)
				}
				if tr.Datapoints != tc.dpAt80m {
					t.Fatalf("P1's data points %+v, want %+v", tr.Datapoints, tc.dpAt80m)
				}
			}
			if tc.later != nil {
				s.run(100 * time.Minute)
				src[p1Onebox] = *tc.later
				s.plan()
			}
			s.run(300 * time.Minute)
			s.wantLog(tc.want...)
			if r := s.st.Release(1); tc.reason != "" && (r.Status != ReleaseFailed || r.Reason != tc.reason) {
				t.Fatalf("release %s %q; want failed: %q", r.Status, r.Reason, tc.reason)
			}
		})
	}
}

// The count is the one of the bake's own step: the one-box step's count
// does not end the full bake.
func TestDatapointsAreCountedPerStep(t *testing.T) {
	s := newSim(t, countingPipeline())
	src := fakeDatapoints{p1Onebox: {Value: 5000, At: simStart.Add(20 * time.Minute)}}
	s.in.Datapoints = src
	s.push(1, "s1")
	s.run(200 * time.Minute)
	s.wantLog("+0m deploy B full r1 s1", "+11m deploy P1 onebox r1 s1", "+72m deploy P1 full r1 s1")
	tr := s.st.Release(1).Stages["wave-1"].Targets["P1"]
	if tr.Phase != PhaseFullBaking || tr.Waiting != "waiting for data points: data points not counted yet, 3,000 needed" {
		t.Fatalf("P1 %s waiting %q", tr.Phase, tr.Waiting)
	}
}

func TestFormatCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1240: "1,240", 1234567: "1,234,567", -3000: "-3,000"} {
		if got := FormatCount(n); got != want {
			t.Errorf("FormatCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// A bake's progress is a decision, which the reports follow, when it moves
// a tenth of the minimum or starts to wait past its time; a count moving
// within a tenth is not, so that a comment is not edited at every
// evaluation.
func TestDatapointsProgressIsReportedInSteps(t *testing.T) {
	s := newSim(t, countingPipeline())
	src := fakeDatapoints{}
	s.in.Datapoints = src
	s.push(1, "s1")
	s.run(20 * time.Minute)
	decided := func(count float64) []string {
		t.Helper()
		src[p1Onebox] = DatapointCount{Value: count, At: s.now}
		s.plan()
		var out []string
		for _, d := range s.last.Decisions {
			out = append(out, d.What+": "+d.Reason)
		}
		return out
	}
	for _, tc := range []struct {
		count float64
		want  []string
	}{
		{1240, []string{"data points: 1,240 of 3,000 data points"}},
		{1290, nil},
		{1500, []string{"data points: 1,500 of 3,000 data points"}},
	} {
		if got := decided(tc.count); !slices.Equal(got, tc.want) {
			t.Errorf("count %v: decisions %q, want %q", tc.count, got, tc.want)
		}
	}
	s.run(80 * time.Minute) // past the bake's time, still short: the plan at its end says it waits
	var waits []string
	for _, d := range s.last.Decisions {
		waits = append(waits, d.What+": "+d.Reason)
	}
	if !slices.Equal(waits, []string{"waiting: waiting for data points: 1,500 of 3,000 data points"}) {
		t.Errorf("past the bake's time: decisions %q", waits)
	}
	if got := decided(1520); len(got) != 0 {
		t.Errorf("still waiting, within a tenth: decisions %q", got)
	}
	if got := decided(2100); !slices.Equal(got, []string{"data points: 2,100 of 3,000 data points"}) {
		t.Errorf("still waiting, a tenth further: decisions %q", got)
	}
}
