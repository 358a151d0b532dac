package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/wavegate/wavegate/store"
)

func testEngineKeys(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	if keys, err := s.EngineKeys(ctx, ""); err != nil || len(keys) != 0 {
		t.Fatalf("EngineKeys of an empty store = %v, %v", keys, err)
	}
	for _, k := range []store.EngineKey{
		{Repository: "acme/web", Pipeline: "site"},
		{Repository: "Acme/API", Pipeline: "workers"},
		{Repository: "acme/api", Pipeline: "app"},
		{Repository: "beta/x", Pipeline: "app"},
	} {
		if _, err := s.SaveEngineState(ctx, store.EngineState{EngineKey: k, State: []byte(`{}`)}, nil, At(0)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		repository string
		want       []store.EngineKey
	}{
		{"ACME/api", []store.EngineKey{{Repository: "ACME/api", Pipeline: "app"}, {Repository: "ACME/api", Pipeline: "workers"}}},
		{"acme/web", []store.EngineKey{{Repository: "acme/web", Pipeline: "site"}}},
		{"acme/none", nil},
		{"", []store.EngineKey{
			{Repository: "acme/api", Pipeline: "app"}, {Repository: "acme/api", Pipeline: "workers"},
			{Repository: "acme/web", Pipeline: "site"}, {Repository: "beta/x", Pipeline: "app"},
		}},
	} {
		got, err := s.EngineKeys(ctx, tc.repository)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("EngineKeys(%q) = %v, %v; want %v", tc.repository, got, err, tc.want)
		}
	}
}
