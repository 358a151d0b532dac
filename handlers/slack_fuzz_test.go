package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/notify"
	"github.com/wavegate/wavegate/slackbot"
	"github.com/wavegate/wavegate/store"
)

// fuzzSlack posts body, correctly signed, to path and checks that whatever
// it holds is answered 200 or 400 and stores at most a well-formed request.
func fuzzSlack(t *testing.T, in *slackIntake, h http.Handler, body string) {
	before, err := in.store.ListDeliveries(context.Background(), store.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(in.clk.Now().Unix(), 10)
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackbot.Sign([]byte(slackVectorSecret), ts, []byte(body)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest && rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d for %q", rec.Code, body)
	}
	after, err := in.store.ListDeliveries(context.Background(), store.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) > len(before)+1 {
		t.Fatalf("one request stored %d deliveries", len(after)-len(before))
	}
	if len(after) > len(before) {
		d, err := in.store.Delivery(context.Background(), after[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var r slackRequest
		if err := json.Unmarshal(d.Payload, &r); err != nil || r.ID != d.ID || r.Team == "" || r.User == "" {
			t.Fatalf("stored %s: %+v (%v)", d.Payload, r, err)
		}
		if strings.Contains(string(d.Payload), `"token"`) {
			t.Fatalf("stored a token: %s", d.Payload)
		}
	}
}

func FuzzSlackCommandForm(f *testing.F) {
	in := newSlackIntake(f, slackVectorSecret)
	f.Add(slackVectorBody)
	f.Add(slashForm("t1", "pause app --reason \"db migration\""))
	f.Add(slashForm("", "acme/api status"))
	f.Add(slashForm("t2", "override alarm --reason 'it''s fine' --ttl 2h"))
	f.Add("team_id=T1&user_id=U1&text=%ZZ")
	f.Add("text=pause;team_id=T1")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		fuzzSlack(t, in, in.slack.Commands(), body)
	})
}

func FuzzSlackInteractionPayload(f *testing.F) {
	in := newSlackIntake(f, slackVectorSecret)
	f.Add(buttonForm("t1", notify.SlackActionApprove, "acme/api|app|3"))
	f.Add(buttonForm("", notify.SlackActionPause, "acme/api|app|3"))
	f.Add(buttonForm("t2", notify.SlackActionRollback, "acme/api|app|-1"))
	f.Add(buttonForm("t3", "other_app_button", "x"))
	f.Add("payload=" + `{"type":"view_submission","team":{"id":"T1"},"user":{"id":"U1"}}`)
	f.Add("payload=" + `{"type":"block_actions","actions":[{"block_id":"b","action_id":"wavegate_approve","value":"a/b|c|1"}]}`)
	f.Add("payload=%7B")
	f.Add("payload=null")
	f.Fuzz(func(t *testing.T, body string) {
		fuzzSlack(t, in, in.slack.Interactions(), body)
	})
}
