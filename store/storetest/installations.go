package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wavegate/wavegate/store"
)

func testInstallations(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	inst := store.Installation{ID: 42, Account: "octo", AccountType: "Organization", UpdatedAt: At(0)}
	if err := s.UpsertInstallation(ctx, inst); err != nil {
		t.Fatal(err)
	}
	inst.Suspended, inst.UpdatedAt = true, At(time.Hour)
	if err := s.UpsertInstallation(ctx, inst); err != nil {
		t.Fatal(err)
	}
	got, err := s.Installation(ctx, 42)
	if err != nil || got != inst {
		t.Errorf("Installation(42) = %+v, %v; want %+v", got, err, inst)
	}
	if _, err := s.Installation(ctx, 43); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Installation(43) = %v, want ErrNotFound", err)
	}

	repos := func(id int64) string {
		t.Helper()
		rs, err := s.Repositories(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(rs)
	}
	if err := s.SetRepositories(ctx, 42, []store.Repository{{ID: 1, FullName: "octo/zeta", Private: false}, {ID: 3, FullName: "octo/alpha", Private: true}}); err != nil {
		t.Fatal(err)
	}
	if got, want := repos(42), "[{3 octo/alpha true} {1 octo/zeta false}]"; got != want {
		t.Errorf("after Set: %s, want %s", got, want)
	}
	if err := s.AddRepositories(ctx, 42, []store.Repository{{ID: 2, FullName: "octo/beta", Private: false}, {ID: 3, FullName: "octo/alpha-renamed", Private: false}}); err != nil {
		t.Fatal(err)
	}
	if got, want := repos(42), "[{3 octo/alpha-renamed false} {2 octo/beta false} {1 octo/zeta false}]"; got != want {
		t.Errorf("after Add: %s, want %s", got, want)
	}
	if err := s.RemoveRepositories(ctx, 42, []int64{1, 999}); err != nil {
		t.Fatal(err)
	}
	if got, want := repos(42), "[{3 octo/alpha-renamed false} {2 octo/beta false}]"; got != want {
		t.Errorf("after Remove: %s, want %s", got, want)
	}
	if err := s.SetRepositories(ctx, 42, []store.Repository{{ID: 4, FullName: "octo/gamma", Private: false}}); err != nil {
		t.Fatal(err)
	}
	if got, want := repos(42), "[{4 octo/gamma false}]"; got != want {
		t.Errorf("after second Set: %s, want %s", got, want)
	}

	for name, want := range map[string]error{"octo/gamma": nil, "OCTO/Gamma": nil, "octo/beta": store.ErrNotFound, "": store.ErrNotFound} {
		id, err := s.InstallationForRepository(ctx, name)
		if !errors.Is(err, want) || (want == nil && id != 42) {
			t.Errorf("InstallationForRepository(%q) = %d, %v; want 42 or %v", name, id, err, want)
		}
	}

	for name, op := range map[string]func() error{
		"set": func() error {
			return s.SetRepositories(ctx, 7, []store.Repository{{ID: 5, FullName: "x/y", Private: false}})
		},
		"add": func() error {
			return s.AddRepositories(ctx, 7, []store.Repository{{ID: 5, FullName: "x/y", Private: false}})
		},
	} {
		if err := op(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s repositories of a missing installation = %v, want ErrNotFound", name, err)
		}
	}
}

func testDeleteInstallationCascades(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	for _, id := range []int64{1, 2} {
		if err := s.UpsertInstallation(ctx, store.Installation{ID: id, Account: fmt.Sprint("acct", id), AccountType: "User"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetRepositories(ctx, id, []store.Repository{{ID: id * 10, FullName: fmt.Sprintf("acct%d/a", id), Private: false}, {ID: id*10 + 1, FullName: fmt.Sprintf("acct%d/b", id), Private: false}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteInstallation(ctx, 1); err != nil {
		t.Fatal(err)
	}
	countRepos := func(id int64) int {
		repos, err := s.Repositories(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return len(repos)
	}
	if n := countRepos(1); n != 0 {
		t.Errorf("%d repositories of the deleted installation remain", n)
	}
	if n := countRepos(2); n != 2 {
		t.Errorf("the other installation has %d repositories, want 2", n)
	}
	if _, err := s.InstallationForRepository(ctx, "acct1/a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("InstallationForRepository after delete = %v, want ErrNotFound", err)
	}
	if _, err := s.Installation(ctx, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Installation after delete = %v, want ErrNotFound", err)
	}
	if err := s.DeleteInstallation(ctx, 1); err != nil {
		t.Errorf("deleting an unknown installation = %v, want nil", err)
	}
}
