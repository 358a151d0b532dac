package pipeline

import "testing"

// Why a rollback request has nothing to do, for every mix of targets
// skipped (newer or other releases on them) and rollbacks already over.
func TestWhyNothingToRollBack(t *testing.T) {
	newer := skippedTarget{target: "t1", why: "release 3 (s3) has since deployed to t1; rolling back would undo it", newer: true}
	other := skippedTarget{target: "t2", why: "t2 runs s9 now, not this release"}
	for _, tc := range []struct {
		name    string
		skipped []skippedTarget
		over    int
		target  string
		want    string
	}{
		{"one skipped", []skippedTarget{other}, 0, "", other.why},
		{"all skipped for newer releases", []skippedTarget{newer, newer}, 0, "", "a newer release runs on every target"},
		{"skipped for mixed reasons", []skippedTarget{newer, other}, 0, "", "no target it reached runs it any more"},
		{"over, others newer", []skippedTarget{newer}, 1, "", "it is already rolled back, and a newer release runs on its other targets"},
		{"over, others run something else", []skippedTarget{other}, 2, "", "it is already rolled back, and its other targets run something else now"},
		{"over everywhere", nil, 1, "t1", "it is already rolled back"},
		{"target never reached", nil, 0, "t1", "it never reached t1"},
		{"nothing deployed", nil, 0, "", "it has not deployed anywhere yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := rollbackScope{skipped: tc.skipped}
			if got := sc.whyNothing(tc.over, tc.target); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
