package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/inbox"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

// BenchmarkWebhookIntakeProcessed is a delivery's whole cost in Wavegate:
// a signed ~20 KB delivery POSTed over loopback HTTP, verified, stored, then
// claimed and settled by the inbox workers (8, as served) with a handler
// that does nothing. Deliveries are sent one at a time, each alone in its
// commit as at a steady few hundred a second. cpu-ms/op is the process's
// user and system time per delivery (getrusage), the figure CPU targets are
// stated in; unlike wall time it barely moves with the machine's load. It
// includes the load generator's side of each HTTP exchange, in the same
// process.
//
//	go test -run '^$' -bench BenchmarkWebhookIntakeProcessed -benchtime 3000x -count 5 ./handlers
func BenchmarkWebhookIntakeProcessed(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var settled atomic.Int64
	allSettled := make(chan struct{})
	target := int64(b.N)
	proc, err := inbox.New(inbox.Options{
		Store:   st,
		Handler: inbox.HandlerFunc(func(context.Context, store.Delivery) error { return nil }),
		OnOutcome: func(inbox.Outcome) {
			if settled.Add(1) == target {
				close(allSettled)
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- proc.Run(ctx) }()
	hook, err := NewWebhook(WebhookConfig{Secret: func() []byte { return secret }, Inbox: st, Clock: clock.Real(), Notify: proc.Notify})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	client := srv.Client()

	body := benchPayload()
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	cpu0 := processCPU(b)
	b.ResetTimer()
	for i := range b.N {
		req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("X-GitHub-Event", "pull_request")
		req.Header.Set("X-GitHub-Delivery", "bench-"+strconv.Itoa(i))
		req.Header.Set("X-Hub-Signature-256", sig)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			b.Fatalf("delivery %d: %s", i, resp.Status)
		}
	}
	select {
	case <-allSettled:
	case err := <-ran:
		b.Fatalf("workers stopped: %v", err)
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	cancel()
	<-ran
}

// processCPU is the process's user and system time so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
