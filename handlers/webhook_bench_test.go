package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store/sqlite"
)

// BenchmarkWebhookIntake is one signed ~20 KB delivery taken in: read,
// verified, its metadata read, stored durably. With -cpuprofile it shows
// where intake's CPU goes:
//
//	go test -run '^$' -bench BenchmarkWebhookIntake -cpuprofile /tmp/intake.prof ./handlers
func BenchmarkWebhookIntake(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	hook, err := NewWebhook(WebhookConfig{Secret: func() []byte { return secret }, Inbox: st, Clock: clock.Real()})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"action":"closed","number":7,"pull_request":{"number":7,"body":"` + strings.Repeat("x", 20000) +
		`"},"repository":{"id":9,"name":"api","full_name":"acme/api","owner":{"login":"acme"}},"installation":{"id":1}}`)
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/github", bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", "pull_request")
		req.Header.Set("X-GitHub-Delivery", "bench-"+strconv.Itoa(i))
		req.Header.Set("X-Hub-Signature-256", sig)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		hook.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("delivery %d: %d %s", i, rec.Code, rec.Body)
		}
	}
}
