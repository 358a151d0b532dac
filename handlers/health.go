package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Readiness is what /readyz asks of the store.
type Readiness interface {
	Ping(ctx context.Context) error
	SchemaVersion(ctx context.Context) (applied, latest int64, err error)
}

// Healthz answers 200 while the process serves: liveness, nothing more.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// Readyz answers 200 only when the database answers within 2 s and its
// schema is current, so that a load balancer sends no delivery to an
// instance that could not store it; configured says whether a GitHub App
// is in force (reported, not required: the setup flow is served without).
func Readyz(db Readiness, configured func() bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status := map[string]any{"database": "ok"}
		code := http.StatusOK
		if err := db.Ping(ctx); err != nil {
			status["database"], code = err.Error(), http.StatusServiceUnavailable
		} else if applied, latest, err := db.SchemaVersion(ctx); err != nil {
			status["database"], code = err.Error(), http.StatusServiceUnavailable
		} else {
			status["schema_version"], status["schema_latest"] = applied, latest
			if applied != latest {
				status["database"], code = "migrations not applied", http.StatusServiceUnavailable
			}
		}
		status["github_app_configured"] = configured()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(status)
	}
}
