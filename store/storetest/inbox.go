package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

func claimIDs(t *testing.T, s store.Store, now time.Time, limit int) []string {
	t.Helper()
	ds, err := s.Claim(context.Background(), now, limit, time.Hour)
	if err != nil {
		t.Fatalf("Claim(%v): %v", now, err)
	}
	ids := []string{}
	for _, d := range ds {
		if d.State != store.DeliveryProcessing {
			t.Errorf("claimed %s in state %s", d.ID, d.State)
		}
		ids = append(ids, d.ID)
	}
	return ids
}

func wantIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func testClaimRules(t *testing.T, open Opener) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup []store.Delivery
		now   time.Time
		limit int
		want  []string
	}{
		{
			name:  "one per repository, in seq order",
			setup: []store.Delivery{NewDelivery("a1", "o/a", At(0)), NewDelivery("a2", "o/a", At(0)), NewDelivery("b1", "o/b", At(0)), NewDelivery("a3", "o/a", At(0))},
			now:   At(0), limit: 10,
			want: []string{"a1", "b1"},
		},
		{
			name:  "no repository is a key like any other",
			setup: []store.Delivery{NewDelivery("n1", "", At(0)), NewDelivery("a1", "o/a", At(0)), NewDelivery("n2", "", At(0))},
			now:   At(0), limit: 10,
			want: []string{"n1", "a1"},
		},
		{
			name:  "due at exactly now, not before",
			setup: []store.Delivery{NewDelivery("now", "o/a", At(time.Minute)), NewDelivery("later", "o/b", At(time.Minute+1))},
			now:   At(time.Minute), limit: 10,
			want: []string{"now"},
		},
		{
			name:  "a head not yet due blocks its repository",
			setup: []store.Delivery{NewDelivery("a1", "o/a", At(time.Hour)), NewDelivery("a2", "o/a", At(0)), NewDelivery("b1", "o/b", At(0))},
			now:   At(0), limit: 10,
			want: []string{"b1"},
		},
		{
			name:  "limit in seq order",
			setup: []store.Delivery{NewDelivery("c", "o/c", At(0)), NewDelivery("a", "o/a", At(0)), NewDelivery("b", "o/b", At(0))},
			now:   At(0), limit: 2,
			want: []string{"c", "a"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			MustEnqueue(t, s, tc.setup...)
			wantIDs(t, "first Claim", claimIDs(t, s, tc.now, tc.limit), tc.want...)
			ds, err := s.Claim(ctx, tc.now, tc.limit, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			// Nothing more until the claimed ones finish, unless the limit cut.
			if len(tc.want) < tc.limit && len(ds) != 0 {
				t.Errorf("second Claim took %d more, want none while leases live", len(ds))
			}
		})
	}
}

func testClaimMarksAndCounts(t *testing.T, open Opener) {
	s := open(t)
	MustEnqueue(t, s, NewDelivery("d1", "o/a", At(0)))
	ds, err := s.Claim(context.Background(), At(time.Second), 1, time.Minute)
	if err != nil || len(ds) != 1 {
		t.Fatalf("Claim = %v, %v", ds, err)
	}
	d := ds[0]
	if d.State != store.DeliveryProcessing || d.Attempts != 1 || d.Seq == 0 || string(d.Payload) != `{"id":"d1"}` {
		t.Errorf("claimed %+v", d)
	}
	for _, bad := range []struct {
		limit int
		lease time.Duration
	}{{0, time.Minute}, {1, 0}} {
		if _, err := s.Claim(context.Background(), At(0), bad.limit, bad.lease); err == nil {
			t.Errorf("Claim(limit %d, lease %v) succeeded", bad.limit, bad.lease)
		}
	}
}

// A retry not yet due holds back its repository's later rows, not others.
func testRetryNotDueBlocksOnlyItsRepository(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	seqs := MustEnqueue(t, s, NewDelivery("a1", "o/a", At(0)), NewDelivery("a2", "o/a", At(0)), NewDelivery("b1", "o/b", At(0)))
	wantIDs(t, "Claim", claimIDs(t, s, At(0), 10), "a1", "b1")
	if err := s.Retry(ctx, seqs[0], At(10*time.Minute), "502 from GitHub"); err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, seqs[2], At(0)); err != nil {
		t.Fatal(err)
	}
	MustEnqueue(t, s, NewDelivery("b2", "o/b", At(time.Minute)))

	wantIDs(t, "Claim before the retry is due", claimIDs(t, s, At(time.Minute), 10), "b2")
	wantIDs(t, "Claim when the retry is due", claimIDs(t, s, At(10*time.Minute), 10), "a1")
	got, err := s.Delivery(ctx, "a1")
	if err != nil || got.Attempts != 2 || got.LastError != "502 from GitHub" {
		t.Errorf("a1 after retry and reclaim = %+v, %v", got, err)
	}
	if err := s.Complete(ctx, seqs[0], At(11*time.Minute)); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "Claim after a1 is done", claimIDs(t, s, At(11*time.Minute), 10), "a2")
}

func testLeaseExpiry(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	MustEnqueue(t, s, NewDelivery("a1", "o/a", At(0)), NewDelivery("a2", "o/a", At(0)))
	if ds, err := s.Claim(ctx, At(0), 10, time.Minute); err != nil || len(ds) != 1 {
		t.Fatalf("Claim = %v, %v", ds, err)
	}
	wantIDs(t, "Claim while the lease lives", claimIDs(t, s, At(time.Minute-1), 10))
	// Expired, a1 is claimable again and still comes before a2.
	ds, err := s.Claim(ctx, At(time.Minute), 10, time.Minute)
	if err != nil || len(ds) != 1 || ds[0].ID != "a1" || ds[0].Attempts != 2 {
		t.Fatalf("Claim after expiry = %+v, %v; want a1 on attempt 2", ds, err)
	}
}

func testFinishErrors(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	seqs := MustEnqueue(t, s, NewDelivery("a1", "o/a", At(0)))
	seq := seqs[0]
	ops := map[string]func(seq int64) error{
		"complete": func(seq int64) error { return s.Complete(ctx, seq, At(0)) },
		"retry":    func(seq int64) error { return s.Retry(ctx, seq, At(0), "e") },
		"kill":     func(seq int64) error { return s.Kill(ctx, seq, At(0), "e") },
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			err := op(seq + 1000)
			if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), fmt.Sprintf("%s delivery seq %d", name, seq+1000)) {
				t.Errorf("%s missing seq = %v, want ErrNotFound naming the seq", name, err)
			}
			if err := op(seq); !errors.Is(err, store.ErrNotClaimed) {
				t.Errorf("%s pending (unclaimed) delivery = %v, want ErrNotClaimed", name, err)
			}
		})
	}
	wantIDs(t, "Claim", claimIDs(t, s, At(0), 1), "a1")
	if err := s.Kill(ctx, seq, At(time.Second), "bad payload"); err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, seq, At(0)); !errors.Is(err, store.ErrNotClaimed) {
		t.Errorf("Complete of a dead delivery = %v, want ErrNotClaimed", err)
	}
	got, _ := s.Delivery(ctx, "a1")
	if got.State != store.DeliveryDead || got.LastError != "bad payload" || !got.ProcessedAt.Equal(At(time.Second)) {
		t.Errorf("killed delivery = %+v", got)
	}
}

func testReleaseAll(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	seqs := MustEnqueue(t, s, NewDelivery("a1", "o/a", At(0)), NewDelivery("b1", "o/b", At(0)), NewDelivery("c1", "o/c", At(0)))
	wantIDs(t, "Claim", claimIDs(t, s, At(0), 10), "a1", "b1", "c1")
	if err := s.Complete(ctx, seqs[2], At(0)); err != nil {
		t.Fatal(err)
	}
	n, err := s.ReleaseAll(ctx, At(time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("ReleaseAll = %d, %v; want 2", n, err)
	}
	due, ok, err := s.NextDue(ctx)
	if err != nil || !ok || !due.Equal(At(time.Hour)) {
		t.Errorf("NextDue after ReleaseAll = %v, %v, %v; want %v", due, ok, err, At(time.Hour))
	}
	wantIDs(t, "Claim before release time", claimIDs(t, s, At(time.Hour-1), 10))
	wantIDs(t, "Claim at release time", claimIDs(t, s, At(time.Hour), 10), "a1", "b1")
	if n, err := s.ReleaseAll(ctx, At(time.Hour)); err != nil || n != 2 {
		t.Fatalf("second ReleaseAll = %d, %v; want 2", n, err)
	}
	if c, _ := s.Delivery(ctx, "c1"); c.State != store.DeliveryDone {
		t.Errorf("ReleaseAll touched a done delivery: %s", c.State)
	}
}

// NextDue is when Claim could next return something: over each repository's
// first unfinished delivery, its next attempt or its lease end.
func testNextDueAndDepth(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	check := func(what string, wantDue time.Time, wantOK bool, wantDepth int) {
		t.Helper()
		due, ok, err := s.NextDue(ctx)
		if err != nil || ok != wantOK || (ok && !due.Equal(wantDue)) {
			t.Errorf("%s: NextDue = %v, %v, %v; want %v, %v", what, due, ok, err, wantDue, wantOK)
		}
		if n, err := s.Depth(ctx); err != nil || n != wantDepth {
			t.Errorf("%s: Depth = %d, %v; want %d", what, n, err, wantDepth)
		}
	}
	check("empty", time.Time{}, false, 0)
	seqs := MustEnqueue(t, s, NewDelivery("late", "o/a", At(5*time.Minute)), NewDelivery("early", "o/b", At(time.Minute)))
	check("two pending", At(time.Minute), true, 2)
	wantIDs(t, "Claim", claimIDs(t, s, At(time.Minute), 10), "early")
	check("early processing until 1h1m", At(5*time.Minute), true, 2)
	if err := s.Retry(ctx, seqs[1], At(3*time.Minute), "e"); err != nil {
		t.Fatal(err)
	}
	check("early retried", At(3*time.Minute), true, 2)
	wantIDs(t, "Claim", claimIDs(t, s, At(5*time.Minute), 10), "late", "early")
	check("both processing: the first lease end", At(time.Hour+5*time.Minute), true, 2)

	// Due long ago, but behind "late": not due by itself.
	behind := MustEnqueue(t, s, NewDelivery("behind", "o/a", At(0)))[0]
	check("waiting behind a processing one", At(time.Hour+5*time.Minute), true, 3)
	if err := s.Complete(ctx, seqs[0], At(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	check("head of its repository now", At(0), true, 2)

	wantIDs(t, "Claim", claimIDs(t, s, At(6*time.Minute), 10), "behind")
	if err := s.Complete(ctx, behind, At(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Kill(ctx, seqs[1], At(6*time.Minute), "e"); err != nil {
		t.Fatal(err)
	}
	check("all finished", time.Time{}, false, 0)
}

func testPrune(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	seqs := MustEnqueue(t, s,
		NewDelivery("done-old", "o/a", At(0)), NewDelivery("dead-old", "o/b", At(0)),
		NewDelivery("done-new", "o/c", At(0)), NewDelivery("processing", "o/d", At(0)),
		NewDelivery("pending", "o/e", At(0)))
	wantIDs(t, "Claim", claimIDs(t, s, At(0), 4), "done-old", "dead-old", "done-new", "processing")
	for _, err := range []error{
		s.Complete(ctx, seqs[0], At(time.Hour)),
		s.Kill(ctx, seqs[1], At(time.Hour), "e"),
		s.Complete(ctx, seqs[2], At(3*time.Hour)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Prune(ctx, At(2*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	for id, wantGone := range map[string]bool{"done-old": true, "dead-old": true, "done-new": false, "processing": false, "pending": false} {
		_, err := s.Delivery(ctx, id)
		if gone := errors.Is(err, store.ErrNotFound); gone != wantGone {
			t.Errorf("after Prune, %s gone = %v, want %v (err %v)", id, gone, wantGone, err)
		}
	}
}

func testDeliveryRoundTrip(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	in := store.Delivery{
		ID: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Event: "pull_request", Action: "opened",
		InstallationID: 1 << 40, Repository: "octo/hello", Payload: []byte{0, 1, 2, 0xff},
		ReceivedAt: time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.FixedZone("x", 3600)),
		// Ignored by Enqueue: a new delivery is always pending.
		State: store.DeliveryDone, Attempts: 9, LastError: "ignored",
	}
	if _, err := s.Enqueue(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.Delivery(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.Seq, want.State, want.Attempts, want.LastError = got.Seq, store.DeliveryPending, 0, ""
	want.ReceivedAt = in.ReceivedAt.UTC()
	want.NextAttemptAt = in.ReceivedAt.UTC()
	if got.Seq < 1 || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("Delivery =\n%+v\nwant\n%+v", got, want)
	}
	if _, err := s.Delivery(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Delivery(missing) = %v, want ErrNotFound", err)
	}
}
