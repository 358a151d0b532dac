package app

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/internal/fakes/githubfake/webhooks"
	"github.com/wavegate/wavegate/internal/testlog"
	"github.com/wavegate/wavegate/store"
)

// Reasons an example cannot be processed against the fake: GitHub state
// the fake cannot have.
const (
	noInstallation = "captured from a repository's webhook, it names no installation, which every delivery " +
		"to an App does; its handler needs an installation's token to call GitHub"
	otherInstallation = "it names installation 957387 for Codertocat/Hello-World, which the other examples " +
		"name under installation 1; the fake, like GitHub, keeps a repository in one installation"
)

// Every example payload GitHub documents, of every event (329 of 58 in
// @octokit/webhooks-examples 7.6.1), goes through the webhook endpoint and
// the router as the App registers its handlers, against a fake GitHub
// seeded with what the payloads name. None dies and none logs an ERROR,
// except those named in deadExamples; events no handler wants are ignored
// unread, however their payloads look.
func TestAllExamplePayloadsThroughTheRouter(t *testing.T) {
	// The examples that die here, by event and index among that event's
	// examples (as the source lists them), with why.
	deadExamples := map[string]string{
		"check_suite[7]":   otherInstallation, // rerequested
		"check_suite[8]":   otherInstallation, // rerequested
		"pull_request[0]":  noInstallation,    // opened
		"pull_request[5]":  noInstallation,    // converted_to_draft
		"pull_request[7]":  noInstallation,    // converted_to_draft
		"pull_request[15]": noInstallation,    // ready_for_review
		"pull_request[17]": noInstallation,    // ready_for_review
	}
	examples, err := webhooks.Examples()
	if err != nil {
		t.Fatal(err)
	}
	fake := newFake(t)
	seedFromExamples(t, fake, examples)
	logs := &testlog.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	r := startWith(t, newConfig(t, fake, true), fake, clock.NewFake(time.Now()), Options{Logger: logger})

	names := map[string]string{} // delivery id -> event[index]
	index := map[string]int{}
	stored := 0
	for _, ex := range examples {
		name := fmt.Sprintf("%s[%d]", ex.Event, index[ex.Event])
		index[ex.Event]++
		id := "example-" + name
		names[id] = name
		code := r.deliver(ex.Event, id, string(ex.Payload))
		switch {
		case ex.Event == "ping" && code == http.StatusOK:
		case code == http.StatusAccepted:
			stored++
		default:
			t.Errorf("%s (%s): answered %d", name, ex.Action, code)
		}
	}
	dead := map[string]bool{}
	for range stored {
		o := r.next()
		name := names[o.Delivery.ID]
		switch {
		case o.State == store.DeliveryDead && deadExamples[name] != "":
			dead[name] = true
		case o.State != store.DeliveryDone:
			t.Errorf("%s (%s.%s) ended %s: %v", name, o.Delivery.Event, o.Delivery.Action, o.State, o.Err)
		}
	}
	for name, why := range deadExamples {
		if !dead[name] {
			t.Errorf("%s was expected to die (%s) and did not: drop it from deadExamples", name, why)
		}
	}
	for _, rec := range logs.Records(t, "") {
		if rec["level"] == "ERROR" && !(rec["msg"] == "delivery failed permanently" && dead[names[fmt.Sprint(rec["delivery"])]]) {
			t.Errorf("ERROR logged: %v", rec)
		}
	}
	if stored < 300 {
		t.Fatalf("only %d examples stored", stored)
	}
}

// seedFromExamples gives the fake the state GitHub had when the examples
// were sent, as far as the payloads tell it and the fake can hold it: the
// repositories they name, under installation 1 (the one most of them
// name), their pull requests, and every other installation they name.
func seedFromExamples(t *testing.T, fake *githubfake.Server, examples []webhooks.Example) {
	repos := map[string]bool{"acme/api": true}
	pulls := map[string]bool{}
	for _, ex := range examples {
		var p struct {
			Installation *struct{ ID int64 } `json:"installation"`
			Repository   *struct {
				Name          string `json:"name"`
				FullName      string `json:"full_name"`
				DefaultBranch string `json:"default_branch"`
				Owner         struct{ Login string }
			} `json:"repository"`
			PullRequest *struct {
				Number      int
				Title, Body string
				Draft       bool
				User        struct{ Login string }
				Head, Base  struct{ Ref, SHA string }
			} `json:"pull_request"`
		}
		if err := json.Unmarshal(ex.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.Installation != nil && p.Installation.ID != githubfake.DefaultInstallationID {
			fake.AddInstallation(p.Installation.ID, "someone")
		}
		r := p.Repository
		if r == nil {
			continue
		}
		if !repos[strings.ToLower(r.FullName)] {
			repos[strings.ToLower(r.FullName)] = true
			fake.AddRepo(r.Owner.Login, r.Name, githubfake.RepoOpts{DefaultBranch: r.DefaultBranch})
		}
		if pr := p.PullRequest; pr != nil && !pulls[fmt.Sprint(r.FullName, "#", pr.Number)] {
			pulls[fmt.Sprint(r.FullName, "#", pr.Number)] = true
			fake.AddPull(r.FullName, githubfake.Pull{Number: pr.Number, Title: pr.Title, Body: pr.Body,
				User: pr.User.Login, Draft: pr.Draft, HeadRef: pr.Head.Ref, HeadSHA: pr.Head.SHA,
				BaseRef: pr.Base.Ref, BaseSHA: pr.Base.SHA})
		}
	}
}
