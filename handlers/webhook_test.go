package handlers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

var secret = []byte("It's a Secret to Everybody")

const prPayload = `{"action":"opened","number":7,"installation":{"id":42},"repository":{"full_name":"acme/api"},"pull_request":{"number":7}}`

type intake struct {
	t        *testing.T
	store    store.Store
	hook     *Webhook
	srv      *httptest.Server
	notified int
	secret   []byte
}

func newIntake(t *testing.T, maxBody int64) *intake {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	in := &intake{t: t, store: st, secret: secret}
	in.hook, err = NewWebhook(WebhookConfig{
		Secret: func() []byte { return in.secret }, Inbox: st, Notify: func() { in.notified++ },
		Clock: clock.NewFake(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)), Registerer: prometheus.NewRegistry(),
		MaxBody: maxBody,
	})
	if err != nil {
		t.Fatal(err)
	}
	in.srv = httptest.NewServer(in.hook)
	t.Cleanup(in.srv.Close)
	return in
}

// post sends body with the given headers; sig "" means sign it correctly.
func (in *intake) post(event, id, body string, header map[string]string) (int, string) {
	in.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, in.srv.URL, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", githubfake.Sign(secret, []byte(body)))
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(msg)
}

func (in *intake) depth() int {
	in.t.Helper()
	n, err := in.store.Depth(context.Background())
	if err != nil {
		in.t.Fatal(err)
	}
	return n
}

func TestWebhookStoresAndAcknowledges(t *testing.T) {
	in := newIntake(t, 0)
	resp, err := githubfake.Deliver(context.Background(), in.srv.URL, secret, "pull_request", "d-1", []byte(prPayload))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d, want 202", resp.StatusCode)
	}
	d, err := in.store.Delivery(context.Background(), "d-1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Event != "pull_request" || d.Action != "opened" || d.Repository != "acme/api" || d.InstallationID != 42 ||
		d.State != store.DeliveryPending || string(d.Payload) != prPayload {
		t.Fatalf("stored %+v", d)
	}
	if in.notified != 1 {
		t.Fatalf("workers notified %d times, want 1", in.notified)
	}
	if got := testutil.ToFloat64(in.hook.received.WithLabelValues("pull_request")); got != 1 {
		t.Fatalf("received metric %v", got)
	}
}

func TestWebhookDuplicateStoredOnce(t *testing.T) {
	in := newIntake(t, 0)
	if code, _ := in.post("pull_request", "d-1", prPayload, nil); code != http.StatusAccepted {
		t.Fatalf("first: %d", code)
	}
	code, msg := in.post("pull_request", "d-1", prPayload, nil)
	if code != http.StatusOK || !strings.Contains(msg, "duplicate") {
		t.Fatalf("duplicate: %d %q, want 200 duplicate", code, msg)
	}
	if in.depth() != 1 || in.notified != 1 {
		t.Fatalf("depth %d notified %d, want 1 and 1", in.depth(), in.notified)
	}
	if got := testutil.ToFloat64(in.hook.dupes.WithLabelValues("pull_request")); got != 1 {
		t.Fatalf("duplicate metric %v", got)
	}
}

func TestWebhookRefusals(t *testing.T) {
	forged := "sha256=" + strings.Repeat("0", 64)
	tests := []struct {
		name    string
		event   string
		body    string
		header  map[string]string
		noSec   bool
		want    int
		reason  string
		message string
	}{
		{"unsigned", "push", prPayload, map[string]string{"X-Hub-Signature-256": ""}, false, 401, "signature_missing", "missing"},
		{"forged", "push", prPayload, map[string]string{"X-Hub-Signature-256": forged}, false, 401, "signature_mismatch", "does not match"},
		{"sha1 only", "push", prPayload, map[string]string{"X-Hub-Signature-256": "", "X-Hub-Signature": "sha1=0123"}, false, 401, "signature_missing", "missing"},
		{"malformed", "push", prPayload, map[string]string{"X-Hub-Signature-256": "sha256=xyz"}, false, 401, "signature_malformed", "malformed"},
		{"no secret configured", "push", prPayload, nil, true, 503, "no_secret", "no webhook secret"},
		{"missing delivery id", "push", prPayload, map[string]string{"X-GitHub-Delivery": ""}, false, 400, "missing_headers", "X-GitHub-Delivery"},
		{"too large", "push", `{"x":"` + strings.Repeat("a", 2000) + `"}`, nil, false, 413, "too_large", "exceeds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := newIntake(t, 1024)
			if tc.noSec {
				in.secret = nil
			}
			code, msg := in.post(tc.event, "d-1", tc.body, tc.header)
			if code != tc.want || !strings.Contains(msg, tc.message) {
				t.Fatalf("got %d %q, want %d containing %q", code, msg, tc.want, tc.message)
			}
			if in.depth() != 0 {
				t.Fatal("a refused delivery was stored")
			}
			if got := testutil.ToFloat64(in.hook.rejected.WithLabelValues(tc.reason)); got != 1 {
				t.Fatalf("rejected{reason=%q} = %v, want 1", tc.reason, got)
			}
		})
	}
}

func TestWebhookTooLargeWithoutContentLength(t *testing.T) {
	in := newIntake(t, 1024)
	body := strings.Repeat("a", 4096)
	// A reader of unknown size makes the client stream it chunked, so only
	// the read cap can catch it.
	req, _ := http.NewRequest(http.MethodPost, in.srv.URL, io.MultiReader(strings.NewReader(body)))
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", "d-1")
	req.Header.Set("X-Hub-Signature-256", githubfake.Sign(secret, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	if in.depth() != 0 {
		t.Fatal("an oversized delivery was stored")
	}
}

func TestWebhookPingAndMethod(t *testing.T) {
	in := newIntake(t, 0)
	if code, _ := in.post("ping", "p-1", `{"zen":"Keep it logically awesome."}`, nil); code != http.StatusOK {
		t.Fatalf("ping: %d, want 200", code)
	}
	if in.depth() != 0 {
		t.Fatal("ping was stored")
	}
	resp, err := http.Get(in.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d, want 405", resp.StatusCode)
	}
}

func TestWebhookMalformedJSONIsStoredForTheWorkerToReject(t *testing.T) {
	in := newIntake(t, 0)
	if code, _ := in.post("pull_request", "d-bad", `{"action":`, nil); code != http.StatusAccepted {
		t.Fatalf("status %d, want 202", code)
	}
	d, err := in.store.Delivery(context.Background(), "d-bad")
	if err != nil {
		t.Fatal(err)
	}
	// The router reads only payloads a handler wants.
	r := NewRouter(nil)
	r.On("pull_request", func(context.Context, Event) error { return nil })
	err = r.Handle(context.Background(), d)
	if err == nil || !strings.Contains(err.Error(), "parse pull_request payload of delivery d-bad") {
		t.Fatalf("routing a malformed payload: %v", err)
	}
}

func TestWebhookFormEncodedPayload(t *testing.T) {
	in := newIntake(t, 0)
	form := "payload=" + url.QueryEscape(prPayload)
	code, _ := in.post("pull_request", "d-form", form, map[string]string{
		"Content-Type":        "application/x-www-form-urlencoded",
		"X-Hub-Signature-256": githubfake.Sign(secret, []byte(form)),
	})
	if code != http.StatusAccepted {
		t.Fatalf("status %d", code)
	}
	d, err := in.store.Delivery(context.Background(), "d-form")
	if err != nil || !bytes.Equal(d.Payload, []byte(prPayload)) || d.Repository != "acme/api" {
		t.Fatalf("stored %q (%v), want the unwrapped JSON", d.Payload, err)
	}
}

func TestWebhookStoreFailureIs500(t *testing.T) {
	in := newIntake(t, 0)
	if err := in.store.Close(); err != nil {
		t.Fatal(err)
	}
	code, msg := in.post("push", "d-1", prPayload, nil)
	if code != http.StatusInternalServerError || !strings.Contains(msg, "redeliver") {
		t.Fatalf("got %d %q, want 500 asking for redelivery", code, msg)
	}
}
