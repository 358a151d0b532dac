package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/wavegate/wavegate/store"
)

func testReviewGateRecords(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)

	if _, err := s.CheckRun(ctx, "acme/api", "abc", "wavegate/review"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown check run: %v", err)
	}
	if err := s.SaveCheckRun(ctx, "Acme/API", "abc", "wavegate/review", 7, At(0)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCheckRun(ctx, "acme/api", "abc", "wavegate/review", 8, At(1)); err != nil {
		t.Fatal(err)
	}
	if id, err := s.CheckRun(ctx, "acme/api", "abc", "wavegate/review"); err != nil || id != 8 {
		t.Fatalf("check run id %d %v, want the latest, 8, whatever the name's case", id, err)
	}
	if _, err := s.CheckRun(ctx, "acme/api", "abc", "wavegate/deploy"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another check's name must not match: %v", err)
	}

	r := store.ReviewResult{Repository: "acme/api", PullNumber: 3, HeadSHA: "abc", Conclusion: "failure", Title: "0 of 1 approvals", EvaluatedAt: At(2)}
	if err := s.SaveReviewResult(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Conclusion, r.Title = "success", "1 of 1 approvals"
	if err := s.SaveReviewResult(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReviewResultFor(ctx, "acme/api", 3, "abc")
	if err != nil || got.Conclusion != "success" || got.Title != "1 of 1 approvals" || !got.EvaluatedAt.Equal(At(2)) {
		t.Fatalf("review result %+v %v", got, err)
	}
	if _, err := s.ReviewResultFor(ctx, "acme/api", 3, "def"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another head's result: %v", err)
	}

	if err := s.SaveVerdicts(ctx,
		store.CommitVerdict{Repository: "acme/api", SHA: "c1", Reviewed: true, PullNumber: 3, DecidedAt: At(3)},
		store.CommitVerdict{Repository: "acme/api", SHA: "c2", Reviewed: false, Reason: "pushed without a pull request", DecidedAt: At(3)},
	); err != nil {
		t.Fatal(err)
	}
	v, err := s.Verdict(ctx, "acme/api", "c2")
	if err != nil || v.Reviewed || v.Reason != "pushed without a pull request" {
		t.Fatalf("verdict %+v %v", v, err)
	}
	if v, err := s.Verdict(ctx, "acme/api", "c1"); err != nil || !v.Reviewed || v.PullNumber != 3 {
		t.Fatalf("verdict %+v %v", v, err)
	}
	if _, err := s.Verdict(ctx, "acme/web", "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another repository's verdict: %v", err)
	}
}

func testReportComments(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.ReportComment(ctx, "acme/api", 7, "app/1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	c := store.ReportComment{Repository: "Acme/API", PullNumber: 7, ReleaseKey: "app/1", CommentID: 11, BodyHash: "h1"}
	if err := s.SaveReportComment(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.CommentID, c.BodyHash = 12, "h2"
	if err := s.SaveReportComment(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReportComment(ctx, "acme/api", 7, "app/1")
	if err != nil || got.CommentID != 12 || got.BodyHash != "h2" {
		t.Fatalf("got %+v %v", got, err)
	}
}
