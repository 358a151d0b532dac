package githubfake

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSignVector is GitHub's documented example for X-Hub-Signature-256.
func TestSignVector(t *testing.T) {
	got := Sign([]byte("It's a Secret to Everybody"), []byte("Hello, World!"))
	const want = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestDeliver(t *testing.T) {
	secret := []byte("It's a Secret to Everybody")
	type seen struct {
		header http.Header
		body   string
	}
	got := make(chan seen, 2)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Header.Clone(), string(b)}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(hook.Close)

	resp, err := Deliver(context.Background(), hook.URL, secret, "ping", "d-1", []byte("Hello, World!"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("status %d", resp.StatusCode)
	}
	r := <-got
	for k, want := range map[string]string{
		"X-GitHub-Event":      "ping",
		"X-GitHub-Delivery":   "d-1",
		"X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		"Content-Type":        "application/json",
	} {
		if v := r.header.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	if ua := r.header.Get("User-Agent"); len(ua) < len("GitHub-Hookshot/") || ua[:16] != "GitHub-Hookshot/" {
		t.Errorf("User-Agent = %q", ua)
	}
	if r.body != "Hello, World!" {
		t.Errorf("body = %q", r.body)
	}

	resp, err = Deliver(context.Background(), hook.URL, nil, "push", "d-2", []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r := <-got; r.header.Get("X-Hub-Signature-256") != "" {
		t.Error("no secret, no signature")
	}
}
