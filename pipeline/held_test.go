package pipeline

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// What holds a release is part of the state Plan returns, so the runner
// saves it and reports read the holds decided with the runner's inputs.
func TestPlanRecordsWhatHoldsEachReleaseInTheState(t *testing.T) {
	opens := simStart.Add(3 * time.Hour)
	s := newSim(t, simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: 0}))
	s.in.Blockers = windowClosed{until: opens}
	s.push(1, "s1")
	want := []Held{{ReleaseID: 1, Stage: "a", Target: "A", Blockers: []Blocker{
		{Kind: BlockerWindow, Reason: "outside the deploy window", Until: opens}}}}
	if !reflect.DeepEqual(s.st.Held, want) || !reflect.DeepEqual(s.last.Held, want) {
		t.Fatalf("state held %+v, result held %+v; want %+v in both", s.st.Held, s.last.Held, want)
	}
	// Stored as JSON between plans, like the rest of the state.
	var st State
	if err := json.Unmarshal([]byte(mustJSON(t, s.st)), &st); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st.Held, want) {
		t.Fatalf("held after JSON %+v, want %+v", st.Held, want)
	}
	s.run(5 * time.Hour)
	s.wantLog("+180m deploy A full r1 s1", "+181m released r1 ")
	if len(s.st.Held) != 0 {
		t.Fatalf("held after the window opened: %+v", s.st.Held)
	}
}

// A state saved before the held list was recorded loads without it, and
// the next plan fills it.
func TestStateSavedWithoutHeldLoadsAndIsFilled(t *testing.T) {
	s := newSim(t, simplePipeline(Stage{Name: "a", Targets: []string{"A"}, Bake: 0}))
	s.in.Blockers = windowClosed{until: simStart.Add(time.Hour)}
	s.push(1, "s1")
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(mustJSON(t, s.st)), &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "Held")
	var old State
	if err := json.Unmarshal([]byte(mustJSON(t, doc)), &old); err != nil {
		t.Fatal(err)
	}
	if old.Held != nil || len(old.Releases) != 1 {
		t.Fatalf("old state: held %+v, %d releases", old.Held, len(old.Releases))
	}
	res := Plan(s.p, old, s.in, s.now)
	if len(res.State.Held) != 1 || !strings.Contains(res.State.Held[0].Blockers[0].Reason, "deploy window") {
		t.Fatalf("held after the next plan: %+v", res.State.Held)
	}
}
