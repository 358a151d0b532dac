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
	"github.com/wavegate/wavegate/internal/fakes/githubfake/webhooks"
	"github.com/wavegate/wavegate/store/sqlite"
)

// benchPayload is a ~20 KB pull_request delivery, its routing fields last
// as in GitHub's.
func benchPayload() []byte {
	return []byte(`{"action":"closed","number":7,"pull_request":{"number":7,"body":"` + strings.Repeat("x", 20000) +
		`"},"repository":{"id":9,"name":"api","full_name":"acme/api","owner":{"login":"acme"}},"installation":{"id":1}}`)
}

// BenchmarkReadMeta reads the routing fields of benchPayload and of a real
// example payload, by readMeta and by the json.Unmarshal it replaced.
func BenchmarkReadMeta(b *testing.B) {
	examples, err := webhooks.Examples()
	if err != nil {
		b.Fatal(err)
	}
	var example []byte
	for _, ex := range examples {
		if ex.Event == "pull_request" && ex.Action == "synchronize" {
			example = ex.Payload
			break
		}
	}
	for _, body := range []struct {
		name string
		data []byte
	}{{"20KB", benchPayload()}, {"pull_request.synchronize", example}} {
		for _, read := range []struct {
			name string
			fn   func([]byte) deliveryMeta
		}{{"readMeta", readMeta}, {"json.Unmarshal", metaByUnmarshal}} {
			b.Run(body.name+"/"+read.name, func(b *testing.B) {
				b.SetBytes(int64(len(body.data)))
				b.ReportAllocs()
				for b.Loop() {
					if read.fn(body.data).Action == "" {
						b.Fatal("no action read")
					}
				}
			})
		}
	}
}

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
	body := benchPayload()
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
