package handlers

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
	"github.com/wavegate/wavegate/store/sqlite"
)

func TestInstallationEventsKeepTheTable(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := tableHandlers()
	h.Installations = &Installations{Store: st, Clock: clock.NewFake(time.Unix(1e9, 0))}
	r := tableRouter(t, h)
	ctx := context.Background()
	deliver := func(event, payload string) {
		t.Helper()
		if err := r.Handle(ctx, store.Delivery{ID: event, Event: event, Payload: []byte(payload)}); err != nil {
			t.Fatalf("%s: %v", event, err)
		}
	}
	repos := func() []string {
		t.Helper()
		rs, err := st.Repositories(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rs {
			names = append(names, r.FullName)
		}
		return names
	}
	const inst = `"installation":{"id":7,"account":{"login":"acme","type":"Organization"}}`

	deliver("installation", `{"action":"created",`+inst+`,"repositories":[{"id":1,"full_name":"acme/api"},{"id":2,"full_name":"acme/web"}]}`)
	if got := repos(); !slices.Equal(got, []string{"acme/api", "acme/web"}) {
		t.Fatalf("after created: %v", got)
	}
	if id, err := st.InstallationForRepository(ctx, "acme/web"); err != nil || id != 7 {
		t.Fatalf("installation for acme/web: %d %v", id, err)
	}
	deliver("installation_repositories", `{"action":"added",`+inst+`,"repositories_added":[{"id":3,"full_name":"acme/infra"}],"repositories_removed":[]}`)
	deliver("installation_repositories", `{"action":"removed",`+inst+`,"repositories_added":[],"repositories_removed":[{"id":1,"full_name":"acme/api"}]}`)
	if got := repos(); !slices.Equal(got, []string{"acme/infra", "acme/web"}) {
		t.Fatalf("after added and removed: %v", got)
	}
	deliver("installation", `{"action":"suspend",`+inst+`}`)
	if got, err := st.Installation(ctx, 7); err != nil || !got.Suspended || got.Account != "acme" {
		t.Fatalf("after suspend: %+v %v", got, err)
	}
	if got := repos(); len(got) != 2 {
		t.Fatalf("suspend wiped the repositories: %v", got)
	}
	deliver("installation", `{"action":"deleted",`+inst+`}`)
	if _, err := st.Installation(ctx, 7); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after deleted: %v", err)
	}
	if _, err := st.InstallationForRepository(ctx, "acme/web"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("repositories outlived their installation: %v", err)
	}
}

func TestInstallationEventWithoutInstallationFails(t *testing.T) {
	h := tableHandlers()
	h.Installations = &Installations{Clock: clock.Real()}
	r := tableRouter(t, h)
	if err := r.Handle(context.Background(), store.Delivery{ID: "x", Event: "installation", Payload: []byte(`{"action":"created"}`)}); err == nil {
		t.Fatal("accepted an installation event without an installation")
	}
}
