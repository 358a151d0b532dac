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
		name, query string
		args        []any
		want, not   string
	}{
		{"inbox heads", dueHeadsQuery, []any{1, 2, 3}, "SCAN h", "SCAN i"},
		{"inbox run", claimRunQuery, []any{1, 2, "o/a", 4, 5}, "SEARCH inbox USING INDEX inbox_repository_unfinished", "SCAN"},
		{"inbox run claim", claimRunUpdate, []any{1, "o/a", 3, 4}, "SEARCH inbox USING INDEX inbox_repository_unfinished", "SCAN"},
		{"outbox", outboxQueue.claimQuery(), []any{1, 2, 3, 4}, "SCAN i USING COVERING INDEX outbox_claim", "SCAN i\n"},
	} {
		rows, err := s.read.Query("EXPLAIN QUERY PLAN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
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
			t.Errorf("%s claim plan:\n%swant %q and no %q", tc.name, got, tc.want, tc.not)
		}
	}
}
