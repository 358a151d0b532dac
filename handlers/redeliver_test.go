package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/internal/inbox"
	"github.com/wavegate/wavegate/internal/testlog"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

// A delivery that died is processed again when GitHub redelivers it under
// the same id: the endpoint answers 202, logs the redelivery with the error
// it died of, and the router gets the new payload. A further copy is a
// duplicate again.
func TestRedeliveredDeadDeliveryIsProcessed(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := clock.NewFake(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	logs := &testlog.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))

	router := NewRouter(logger)
	var pushed []string
	router.On("push", func(_ context.Context, ev Event) error {
		pushed = append(pushed, ev.Payload.(interface{ GetRef() string }).GetRef())
		return nil
	})
	outcomes := make(chan inbox.Outcome, 10)
	proc, err := inbox.New(inbox.Options{Store: st, Handler: router, Clock: clk, Logger: logger,
		Poll: 24 * time.Hour, OnOutcome: func(o inbox.Outcome) { outcomes <- o }})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = proc.Run(runCtx) }()
	defer func() { cancel(); <-stopped }()

	registry := prometheus.NewRegistry()
	hook, err := NewWebhook(WebhookConfig{Secret: func() []byte { return secret }, Inbox: st, Notify: proc.Notify,
		Clock: clk, Logger: logger, Registerer: registry})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	post := func(id, payload string) int {
		t.Helper()
		resp, err := githubfake.Deliver(ctx, srv.URL, secret, "push", id, []byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	next := func() inbox.Outcome {
		t.Helper()
		select {
		case o := <-outcomes:
			return o
		case <-time.After(10 * time.Second): // a deadlock guard, not a wait for time to pass
			t.Fatal("no delivery outcome")
			return inbox.Outcome{}
		}
	}

	const good = `{"ref":"refs/heads/main","repository":{"full_name":"acme/api"}}`
	if code := post("d-1", `{"ref":`); code != http.StatusAccepted {
		t.Fatalf("first delivery: %d", code)
	}
	if o := next(); o.State != store.DeliveryDead {
		t.Fatalf("a payload that does not parse ended %s, want dead", o.State)
	}

	clk.Advance(time.Hour)
	if code := post("d-1", good); code != http.StatusAccepted {
		t.Fatalf("redelivery of the dead delivery: %d, want 202", code)
	}
	if o := next(); o.Delivery.ID != "d-1" || o.State != store.DeliveryDone {
		t.Fatalf("redelivery ended %s %s (%v), want d-1 done", o.Delivery.ID, o.State, o.Err)
	}
	if len(pushed) != 1 || pushed[0] != "refs/heads/main" {
		t.Fatalf("router handed the handler %v, want the redelivered payload once", pushed)
	}
	recs := logs.Records(t, "dead delivery redelivered; processing it again")
	if len(recs) != 1 || recs[0]["level"] != "INFO" || recs[0]["delivery"] != "d-1" || recs[0]["event"] != "push" ||
		!strings.Contains(recs[0]["previous_error"].(string), "parse push payload") {
		t.Fatalf("redelivery log records %v", recs)
	}
	if got := testutil.ToFloat64(hook.redelivered.WithLabelValues("push")); got != 1 {
		t.Errorf("redelivered metric %v, want 1", got)
	}

	// Done now: another copy is a duplicate, not processed again.
	if code := post("d-1", good); code != http.StatusOK {
		t.Fatalf("copy of a done delivery: %d, want 200", code)
	}
	if code := post("d-2", good); code != http.StatusAccepted {
		t.Fatal(code)
	}
	if o := next(); o.Delivery.ID != "d-2" {
		t.Fatalf("next outcome is %s, want d-2: the duplicate was processed", o.Delivery.ID)
	}
	if len(pushed) != 2 {
		t.Fatalf("handler ran %d times, want 2", len(pushed))
	}
}
