package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// conversionBody is shaped like GitHub's answer to
// POST /app-manifests/{code}/conversions (201 Created).
const conversionBody = `{
  "id": 98765,
  "slug": "wavegate-acme",
  "node_id": "A_kwDOABCDEFzOAAGB_Q",
  "client_id": "Iv23liQ1w2e3r4t5y6u7",
  "owner": {"login": "acme", "id": 4242, "node_id": "O_kgDOAABCDg", "type": "Organization", "site_admin": false},
  "name": "Wavegate (acme)",
  "description": "Review gate and staged deployments.",
  "external_url": "https://wavegate.example.com",
  "html_url": "https://github.com/apps/wavegate-acme",
  "created_at": "2026-03-02T09:00:05Z",
  "updated_at": "2026-03-02T09:00:05Z",
  "permissions": {"checks": "write", "contents": "read", "metadata": "read"},
  "events": ["check_run", "push"],
  "installations_count": 0,
  "client_secret": "` + testClientSecret + `",
  "webhook_secret": "` + testWebhookSecret + `",
  "pem": "-----BEGIN RSA PRIVATE KEY-----\n` + testKeyBody + `\n-----END RSA PRIVATE KEY-----\n"
}`

func fakeConversions(t *testing.T, status int, body string) (*github.Client, *[]string) {
	t.Helper()
	var paths []string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v3/app-manifests/{code}/conversions", func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client, err := github.NewClient(srv.Client()).WithEnterpriseURLs(srv.URL, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return client, &paths
}

func TestExchangeManifestCode(t *testing.T) {
	client, paths := fakeConversions(t, http.StatusCreated, conversionBody)
	got, err := ExchangeManifestCode(context.Background(), client, testCode)
	if err != nil {
		t.Fatal(err)
	}
	want := testCreds()
	if got.AppID != want.AppID || got.Slug != want.Slug || got.Name != want.Name || got.HTMLURL != want.HTMLURL ||
		got.ClientID != want.ClientID || got.ClientSecret != want.ClientSecret || got.WebhookSecret != want.WebhookSecret ||
		string(got.PrivateKeyPEM) != string(want.PrivateKeyPEM) {
		t.Fatalf("credentials = %#v\nwant %#v (secrets compared, not shown)", got, want)
	}
	if len(*paths) != 1 || (*paths)[0] != "/api/v3/app-manifests/"+testCode+"/conversions" {
		t.Fatalf("requests = %v", *paths)
	}
}

func TestExchangeManifestCodeErrors(t *testing.T) {
	t.Run("GitHub refuses", func(t *testing.T) {
		client, _ := fakeConversions(t, http.StatusNotFound, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`)
		_, err := ExchangeManifestCode(context.Background(), client, testCode)
		if err == nil {
			t.Fatal("no error for a 404")
		}
		if strings.Contains(err.Error(), testCode) {
			t.Errorf("error shows the one-time code: %v", err)
		}
		var ghErr *github.ErrorResponse
		if !errors.As(err, &ghErr) || ghErr.Response.StatusCode != http.StatusNotFound {
			t.Errorf("error %v does not wrap GitHub's answer", err)
		}
	})
	t.Run("incomplete answer", func(t *testing.T) {
		client, _ := fakeConversions(t, http.StatusCreated, `{"id": 5, "slug": "x"}`)
		_, err := ExchangeManifestCode(context.Background(), client, testCode)
		if err == nil || !strings.Contains(err.Error(), "pem") {
			t.Fatalf("err = %v, want one naming the missing pem", err)
		}
	})
	t.Run("malformed code", func(t *testing.T) {
		client, paths := fakeConversions(t, http.StatusCreated, conversionBody)
		for _, code := range []string{"", "../../app", "abc?x=1", "a/b"} {
			if _, err := ExchangeManifestCode(context.Background(), client, code); err == nil {
				t.Errorf("code %q accepted", code)
			}
		}
		if len(*paths) != 0 {
			t.Errorf("malformed codes reached GitHub: %v", *paths)
		}
	})
}
