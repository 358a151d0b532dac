package effects

import "testing"

func TestShownRefusalsSurviveOlderReports(t *testing.T) {
	note := &RefusalNote{By: "ada", Action: "Pause"}
	var s shownRefusals
	if got := s.show("r1", 5, nil); got != nil {
		t.Fatalf("no refusal yet: %+v", got)
	}
	if got := s.show("r1", 10, note); got != note {
		t.Fatalf("the refusal's own report: %+v", got)
	}
	if got := s.show("r1", 9, nil); got != note {
		t.Fatal("a report queued before the press, performed after it, wiped the note")
	}
	if got := s.show("r2", 9, nil); got != nil {
		t.Fatalf("another release: %+v", got)
	}
	if got := s.show("r1", 11, nil); got != nil {
		t.Fatalf("a report queued after the press: %+v, want the note replaced", got)
	}
	if got := s.show("r1", 9, nil); got != nil {
		t.Fatalf("once replaced, the note stays gone: %+v", got)
	}
}
