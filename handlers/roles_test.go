package handlers

import (
	"context"
	"slices"
	"testing"

	"github.com/wavegate/wavegate/store"
)

type forgotten struct{ calls []roleScope }

func (f *forgotten) ForgetRoles(owner, repo, login string) {
	f.calls = append(f.calls, roleScope{owner, repo, login})
}

// Payloads are cut down from GitHub's documented examples of each event.
func TestRoleChangesForgetWhatTheyTouch(t *testing.T) {
	const (
		repo   = `"repository":{"id":9,"name":"api","full_name":"acme/api","owner":{"login":"acme"}}`
		org    = `"organization":{"login":"acme","id":38302899}`
		team   = `"team":{"name":"release","id":3253328,"slug":"release","permission":"pull"}`
		alice  = `{"login":"alice","id":7}`
		sender = `"sender":{"login":"admin"},"installation":{"id":1}`
	)
	tests := []struct {
		event, action, payload string
		want                   []roleScope
	}{
		{"member", "added", `"member":` + alice + `,` + repo, []roleScope{{"acme", "api", "alice"}}},
		{"member", "removed", `"member":` + alice + `,` + repo, []roleScope{{"acme", "api", "alice"}}},
		{"member", "edited", `"member":` + alice + `,"changes":{"permission":{"from":"admin"}},` + repo, []roleScope{{"acme", "api", "alice"}}},
		{"membership", "added", `"scope":"team","member":` + alice + `,` + team + `,` + org, []roleScope{{"acme", "", "alice"}}},
		{"membership", "removed", `"scope":"team","member":` + alice + `,` + team + `,` + org, []roleScope{{"acme", "", "alice"}}},
		{"organization", "member_added", `"membership":{"state":"active","role":"member","user":` + alice + `},` + org, []roleScope{{"acme", "", "alice"}}},
		{"organization", "member_removed", `"membership":{"state":"active","role":"member","user":` + alice + `},` + org, []roleScope{{"acme", "", "alice"}}},
		{"organization", "member_invited", `"invitation":{"id":1,"login":"alice","role":"direct_member"},"user":` + alice + `,` + org, []roleScope{{"acme", "", "alice"}}},
		{"organization", "member_invited", `"invitation":{"id":1,"login":null,"email":"a@example.com","role":"direct_member"},` + org, nil},
		{"organization", "renamed", `"changes":{"login":{"from":"acme-old"}},` + org, nil},
		{"team", "added_to_repository", team + `,` + repo + `,` + org, []roleScope{{"acme", "api", ""}}},
		{"team", "removed_from_repository", team + `,` + repo + `,` + org, []roleScope{{"acme", "api", ""}}},
		{"team", "edited", `"changes":{"repository":{"permissions":{"from":{"push":false}}}},` + team + `,` + repo + `,` + org, []roleScope{{"acme", "api", ""}}},
		{"team", "edited", `"changes":{"privacy":{"from":"secret"}},` + team + `,` + org, []roleScope{{"acme", "", ""}}},
		{"team", "deleted", team + `,` + org, []roleScope{{"acme", "", ""}}},
		{"team", "created", team + `,` + org, nil},
	}
	for _, tc := range tests {
		cache := &forgotten{}
		h := tableHandlers()
		h.Roles = &Roles{Cache: cache}
		r := tableRouter(t, h)
		d := store.Delivery{ID: "d", Event: tc.event, Action: tc.action,
			Payload: []byte(`{"action":"` + tc.action + `",` + tc.payload + `,` + sender + `}`)}
		if err := r.Handle(context.Background(), d); err != nil {
			t.Errorf("%s.%s: %v", tc.event, tc.action, err)
			continue
		}
		if !slices.Equal(cache.calls, tc.want) {
			t.Errorf("%s.%s %s: forgot %+v, want %+v", tc.event, tc.action, tc.payload, cache.calls, tc.want)
		}
	}
}

// A role change that names no owner cannot be scoped; it is an error to
// record, not a change to ignore silently.
func TestRoleChangeWithoutOwnerIsAnError(t *testing.T) {
	cache := &forgotten{}
	h := tableHandlers()
	h.Roles = &Roles{Cache: cache}
	r := tableRouter(t, h)
	d := store.Delivery{ID: "d-7", Event: "member", Action: "added", Payload: []byte(`{"action":"added","member":{"login":"alice"}}`)}
	if err := r.Handle(context.Background(), d); err == nil || len(cache.calls) != 0 {
		t.Fatalf("err %v, forgot %+v; want an error naming the delivery", err, cache.calls)
	}
}
