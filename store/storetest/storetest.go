// Package storetest is the conformance suite of store.Store: every behaviour
// an implementation must have, as black-box tests on the interface. Each
// implementation's own tests call Run; what only one implementation has
// (files, connections, batching) stays in its own tests.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

// Opener returns a new, empty store for one test, closed when the test ends
// (Close may be called more than once).
type Opener func(t *testing.T) store.Store

// Run runs the whole suite against the stores open returns: each test is a
// subtest with a store of its own, and none runs in parallel with another.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		run  func(*testing.T, Opener)
	}{
		{"PerRepositoryOrderUnderConcurrency", testPerRepositoryOrderUnderConcurrency},
		{"RunsInOrderUnderConcurrency", testRunsInOrderUnderConcurrency},
		{"ClaimRunsRules", testClaimRunsRules},
		{"SettleRunWithAFailure", testSettleRunWithAFailure},
		{"SettleAllOrNone", testSettleAllOrNone},
		{"SettleAndClaim", testSettleAndClaim},
		{"RunLeaseExpiryAndHandBack", testRunLeaseExpiryAndHandBack},
		{"EngineStateSavedWithItsEffects", testEngineStateSavedWithItsEffects},
		{"EngineWakeTimes", testEngineWakeTimes},
		{"NextReleaseID", testNextReleaseID},
		{"ReleaseHistory", testReleaseHistory},
		{"ReleaseDecisions", testReleaseDecisions},
		{"ReleaseHistoryRejectsUnknownKind", testReleaseHistoryRejectsUnknownKind},
		{"ReleaseHistoryRestoresPerStage", testReleaseHistoryRestoresPerStage},
		{"EnqueueDuplicateLeavesRowUnchanged", testEnqueueDuplicateLeavesRowUnchanged},
		{"EnqueueContextAlreadyDone", testEnqueueContextAlreadyDone},
		{"EnqueueRejectsInvalid", testEnqueueRejectsInvalid},
		{"EnqueueConcurrentAllStored", testEnqueueConcurrentAllStored},
		{"EnqueueReportsHead", testEnqueueReportsHead},
		{"EnqueueClaimTakesOnlyAHead", testEnqueueClaimTakesOnlyAHead},
		{"EnqueueClaimOfARedelivery", testEnqueueClaimOfARedelivery},
		{"ClaimRules", testClaimRules},
		{"ClaimMarksAndCounts", testClaimMarksAndCounts},
		{"RetryNotDueBlocksOnlyItsRepository", testRetryNotDueBlocksOnlyItsRepository},
		{"LeaseExpiry", testLeaseExpiry},
		{"FinishErrors", testFinishErrors},
		{"ReleaseAll", testReleaseAll},
		{"NextDueAndDepth", testNextDueAndDepth},
		{"Prune", testPrune},
		{"DeliveryRoundTrip", testDeliveryRoundTrip},
		{"Installations", testInstallations},
		{"DeleteInstallationCascades", testDeleteInstallationCascades},
		{"AddEffectsSkipsExistingKey", testAddEffectsSkipsExistingKey},
		{"ClaimEffects", testClaimEffects},
		{"EffectFinishErrors", testEffectFinishErrors},
		{"SettleEffects", testSettleEffects},
		{"PruneEffects", testPruneEffects},
		{"EffectResultSurvivesACrash", testEffectResultSurvivesACrash},
		{"NextEffectDueIsTheEarliestRetryOrLease", testNextEffectDueIsTheEarliestRetryOrLease},
		{"NewerEffectPendingLooksOnlyUnderThePrefixAndAfterSeq", testNewerEffectPendingLooksOnlyUnderThePrefixAndAfterSeq},
		{"EnqueueRedeliveryOfADeadDelivery", testEnqueueRedeliveryOfADeadDelivery},
		{"EnqueueDuplicateOfAnUnfinishedOrDoneDelivery", testEnqueueDuplicateOfAnUnfinishedOrDoneDelivery},
		{"RedeliveryBehindALaterHead", testRedeliveryBehindALaterHead},
		{"RedeliveryOfTheOnlyRowOfItsRepository", testRedeliveryOfTheOnlyRowOfItsRepository},
		{"RetryDead", testRetryDead},
		{"ListDeliveries", testListDeliveries},
		{"ReviewGateRecords", testReviewGateRecords},
		{"ReportComments", testReportComments},
		{"RecordCommandOncePerRequest", testRecordCommandOncePerRequest},
		{"RecordCommandConcurrentDuplicates", testRecordCommandConcurrentDuplicates},
		{"RecordCommandRejectsInvalid", testRecordCommandRejectsInvalid},
		{"AuditLogFilters", testAuditLogFilters},
		{"AuditLogKeepsNoLinkCode", testAuditLogKeepsNoLinkCode},
		{"LinkCodeRedeemedOnce", testLinkCodeRedeemedOnce},
		{"LinkCodeExpiry", testLinkCodeExpiry},
		{"LinkCodeReplacesTheUsersEarlierCodes", testLinkCodeReplacesTheUsersEarlierCodes},
		{"LinkCodeHashOfAnotherUserRefused", testLinkCodeHashOfAnotherUserRefused},
		{"LinkCodeRejectsEmpty", testLinkCodeRejectsEmpty},
		{"RedeemReplacesAnEarlierLink", testRedeemReplacesAnEarlierLink},
		{"Unlink", testUnlink},
		{"ConcurrentRedeemsOneWins", testConcurrentRedeemsOneWins},
		{"EngineKeys", testEngineKeys},
		{"AlertsUpsertAndResolve", testAlertsUpsertAndResolve},
		{"AlertsOlderNewsLeftOut", testAlertsOlderNewsLeftOut},
		{"AlertsRejectsInvalid", testAlertsRejectsInvalid},
		{"AlertsPrune", testAlertsPrune},
		{"PingAndCloseTwice", testPingAndCloseTwice},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open) })
	}
}

// At is a point in the tests' time: every time is passed in, none read
// from the clock.
func At(d time.Duration) time.Time {
	return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).Add(d)
}

// NewDelivery is a push delivery of repo received at at.
func NewDelivery(id, repo string, at time.Time) store.Delivery {
	return store.Delivery{
		ID: id, Event: "push", Action: "", InstallationID: 7, Repository: repo,
		Payload: []byte(`{"id":"` + id + `"}`), ReceivedAt: at,
	}
}

// MustEnqueue stores ds, each new, and returns their sequence numbers.
func MustEnqueue(t *testing.T, s store.Inbox, ds ...store.Delivery) []int64 {
	t.Helper()
	var seqs []int64
	for _, d := range ds {
		res, err := s.Enqueue(context.Background(), d)
		if err != nil || res.Duplicate || res.Redelivered {
			t.Fatalf("Enqueue(%s) = %+v, %v", d.ID, res, err)
		}
		got, err := s.Delivery(context.Background(), d.ID)
		if err != nil {
			t.Fatalf("Delivery(%s): %v", d.ID, err)
		}
		seqs = append(seqs, got.Seq)
	}
	return seqs
}
