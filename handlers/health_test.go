package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

type fakeReadiness struct {
	pingErr, schemaErr error
	applied, latest    int64
}

func (f fakeReadiness) Ping(context.Context) error { return f.pingErr }
func (f fakeReadiness) SchemaVersion(context.Context) (int64, int64, error) {
	return f.applied, f.latest, f.schemaErr
}

func TestReadyz(t *testing.T) {
	for _, tc := range []struct {
		name       string
		db         fakeReadiness
		configured bool
		code       int
		database   string
	}{
		{"ready", fakeReadiness{applied: 7, latest: 7}, true, http.StatusOK, "ok"},
		{"ready before setup", fakeReadiness{applied: 7, latest: 7}, false, http.StatusOK, "ok"},
		{"database down", fakeReadiness{pingErr: errors.New("database is closed")}, true, http.StatusServiceUnavailable, "database is closed"},
		{"schema unreadable", fakeReadiness{schemaErr: errors.New("no such table")}, true, http.StatusServiceUnavailable, "no such table"},
		{"migrations pending", fakeReadiness{applied: 6, latest: 7}, true, http.StatusServiceUnavailable, "migrations not applied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Readyz(tc.db, func() bool { return tc.configured })(rec, httptest.NewRequest("GET", "/readyz", nil))
			var body struct {
				Database   string `json:"database"`
				Configured bool   `json:"github_app_configured"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if rec.Code != tc.code || body.Database != tc.database || body.Configured != tc.configured {
				t.Fatalf("got %d %+v; want %d, database %q, configured %t", rec.Code, body, tc.code, tc.database, tc.configured)
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	rec := httptest.NewRecorder()
	Healthz(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Fatalf("got %d %q", rec.Code, rec.Body)
	}
}
