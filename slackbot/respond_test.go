package slackbot_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/slackbot"
)

func TestMrkdwn(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Paused **app**.", "Paused *app*."},
		{"See [release 3](https://x.test/r/3?a=1&b=2).", "See <https://x.test/r/3?a=1&amp;b=2|release 3>."},
		{"reason: <!channel> & <@U1>", "reason: &lt;!channel&gt; &amp; &lt;@U1&gt;"},
		{"`/deploy pause`", "`/deploy pause`"},
		{"[not a link](javascript:alert(1))", "[not a link](javascript:alert(1))"},
	} {
		if got := slackbot.Mrkdwn(tc.in); got != tc.want {
			t.Errorf("Mrkdwn(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRespond(t *testing.T) {
	var status int
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, map[int]string{200: "ok", 404: "expired_url", 500: "oops"}[status])
	}))
	defer srv.Close()
	loopback := slackbot.Responder{Allow: func(*url.URL) bool { return true }}
	ctx := context.Background()

	status = 200
	if err := loopback.Respond(ctx, srv.URL+"/commands/T1/1/secret", "hi"); err != nil {
		t.Fatal(err)
	}
	if body != `{"response_type":"ephemeral","text":"hi"}` {
		t.Fatalf("posted %s", body)
	}
	status = 404
	err := loopback.Respond(ctx, srv.URL+"/commands/T1/1/secret", "hi")
	if err == nil || slackbot.IsTransient(err) || !strings.Contains(err.Error(), "expired_url") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("expired URL: %v; want a permanent error naming expired_url and not the URL", err)
	}
	status = 500
	if err := loopback.Respond(ctx, srv.URL+"/x", "hi"); !slackbot.IsTransient(err) {
		t.Fatalf("5xx: %v, want transient", err)
	}
	// Only Slack's hooks hosts, over https, by default.
	for _, u := range []string{srv.URL + "/x", "https://evil.test/commands/1", "http://hooks.slack.com/commands/1"} {
		if err := (slackbot.Responder{}).Respond(ctx, u, "hi"); !errors.Is(err, slackbot.ErrResponseURL) {
			t.Errorf("Respond(%s) = %v, want ErrResponseURL", u, err)
		}
	}
}
