package app

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// TestCommentCommandLatency measures a PR-comment command from its webhook
// to its effects recorded (the engine's state saved, the reaction queued in
// the outbox): the target is p99 ≤ 50 ms, GitHub's own latency excluded
// (the fake answers the role check on loopback). It runs only when asked,
// since a timing on a shared machine is a measurement, not a check:
//
//	WAVEGATE_BENCH_COMMANDS=1 go test -run TestCommentCommandLatency -v ./app
func TestCommentCommandLatency(t *testing.T) {
	if os.Getenv("WAVEGATE_BENCH_COMMANDS") == "" {
		t.Skip("set WAVEGATE_BENCH_COMMANDS=1 to measure")
	}
	w := newCommandWorld(t, nil)
	w.until("sign-off", func(st pipeline.State) bool { return stageStatus(st, "sign-off") == pipeline.StageActive })
	// Effects are performed and states saved meanwhile, as in production:
	// keep their channels drained.
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case <-w.effects:
			case <-w.saved:
			case <-done:
				return
			}
		}
	}()
	const warmup, n = 20, 500
	var lat []time.Duration
	for i := range warmup + n {
		body := `/deploy pause --reason "bench"`
		if i%2 == 1 {
			body = "/deploy resume"
		}
		cid := w.fake.AddComment("acme/api", 7, "max", body)
		payload := fmt.Sprintf(`{"action":"created","issue":{"number":7,"pull_request":{"url":"u"}},`+
			`"comment":{"id":%d,"body":%q,"html_url":"https://github.com/acme/api/pull/7#issuecomment-%d","user":{"login":"max","type":"User"}},`+
			`"sender":{"login":"max","type":"User"},"installation":{"id":1},`+
			`"repository":{"id":9,"name":"api","full_name":"acme/api","owner":{"login":"acme"}}}`, cid, body, cid)
		start := time.Now()
		if code := w.r.deliver("issue_comment", fmt.Sprintf("bench-%d", i), payload); code != http.StatusAccepted {
			t.Fatalf("delivery %d: %d", i, code)
		}
		if o := w.r.next(); o.State != store.DeliveryDone {
			t.Fatalf("delivery %d: %s %v", i, o.State, o.Err)
		}
		if i >= warmup {
			lat = append(lat, time.Since(start))
		}
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	t.Logf("%d comment commands (pause/resume, one at a time): p50 %v, p90 %v, p99 %v, max %v",
		n, q(0.5), q(0.9), q(0.99), lat[len(lat)-1])
	if entries := w.audit(); len(entries) != warmup+n {
		t.Fatalf("audit rows %d, want %d", len(entries), warmup+n)
	}
	if p99 := q(0.99); p99 > 50*time.Millisecond {
		t.Errorf("p99 %v, want ≤ 50ms", p99)
	}
}
