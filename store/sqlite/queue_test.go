package sqlite

import (
	"strings"
	"testing"
)

// The claims must stay cheap with a large backlog: the inbox's walks the
// repository heads, never the inbox, and the outbox's reads its claim index
// alone. Writing the SQL once for both tables must not lose either.
func TestClaimQueryPlans(t *testing.T) {
	s := openTest(t)
	for _, tc := range []struct {
		q         leasedQueue
		want, not string
	}{
		{inboxQueue, "SCAN h", "SCAN i"},
		{outboxQueue, "SCAN i USING COVERING INDEX outbox_claim", "SCAN i\n"},
	} {
		rows, err := s.read.Query("EXPLAIN QUERY PLAN "+tc.q.claimQuery(), 1, 2, 3, 4)
		if err != nil {
			t.Fatalf("%s: %v", tc.q.table, err)
		}
		var plan strings.Builder
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(detail + "\n")
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if got := plan.String(); !strings.Contains(got, tc.want) || strings.Contains(got, tc.not) {
			t.Errorf("%s claim plan:\n%swant %q and no %q", tc.q.table, got, tc.want, tc.not)
		}
	}
}
