package alarms

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// AlertsConfig configures Alerts.
type AlertsConfig struct {
	Clock      clock.Clock
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Alerts is the view of the Alertmanager alerts firing that the engine
// asks: loaded from the store at start, told of every alert stored after
// (Apply). Safe for concurrent use.
type Alerts struct {
	cfg AlertsConfig

	mu sync.Mutex
	// known is each alert as last stored, by fingerprint: resolved ones
	// are kept a while, as the store keeps them, so that an older
	// notification applied late (two workers racing) is known as older.
	known     map[string]store.Alert
	firing    int
	lastSweep time.Time
	// stale holds the firing alerts found unrefreshed for twice a
	// pipeline's resolve_timeout, each with the received-at it was found
	// stale at, so that it is reported once.
	stale map[string]time.Time

	staleTotal prometheus.Counter
}

// NewAlerts returns an empty view; its metrics are registered on
// cfg.Registerer.
func NewAlerts(cfg AlertsConfig) (*Alerts, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Alerts{
		cfg: cfg, known: map[string]store.Alert{}, stale: map[string]time.Time{},
		staleTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wavegate_alerts_stale_total",
			Help: "Firing Alertmanager alerts treated as resolved because no notification refreshed them for twice resolve_timeout.",
		}),
	}
	firing := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "wavegate_alertmanager_alerts_firing",
		Help: "Alertmanager alerts firing as last notified, stale ones included.",
	}, func() float64 {
		a.mu.Lock()
		defer a.mu.Unlock()
		return float64(a.firing)
	})
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{a.staleTotal, firing} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("register Alertmanager alert metrics: %w", err)
			}
		}
	}
	return a, nil
}

// Load replaces the view with the firing alerts the store holds.
func (a *Alerts) Load(ctx context.Context, st store.Alerts) error {
	if st == nil {
		return errors.New("load Alertmanager alerts: no store")
	}
	firing, err := st.FiringAlerts(ctx)
	if err != nil {
		return fmt.Errorf("load Alertmanager alerts: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.known)
	clear(a.stale)
	for _, al := range firing {
		a.known[al.Fingerprint] = al
	}
	a.firing = len(firing)
	return nil
}

// Apply takes alerts just stored: firing ones are held (a refresh ends
// their staleness), resolved ones stop firing. An alert older than the
// one held is left out, as the store does.
func (a *Alerts) Apply(changed []store.Alert) {
	now := a.cfg.Clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, al := range changed {
		held, ok := a.known[al.Fingerprint]
		if ok && al.ReceivedAt.Before(held.ReceivedAt) {
			continue
		}
		delete(a.stale, al.Fingerprint)
		if ok && held.Status == store.AlertFiring {
			a.firing--
		}
		if al.Status == store.AlertFiring {
			a.firing++
		}
		a.known[al.Fingerprint] = al
	}
	if now.Sub(a.lastSweep) >= sweepEvery {
		a.lastSweep = now
		for fp, al := range a.known {
			if al.Status != store.AlertFiring && now.Sub(al.ReceivedAt) > forgetResolved {
				delete(a.known, fp)
			}
		}
	}
}

// A resolved alert is forgotten a day after, as the store prunes it
// (handlers.DefaultResolvedAlertRetention), in a sweep each hour.
const (
	forgetResolved = 24 * time.Hour
	sweepEvery     = time.Hour
)

// Stale returns the firing alerts found stale and not refreshed since, by
// fingerprint.
func (a *Alerts) Stale() []store.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []store.Alert
	for fp := range a.stale {
		if al, ok := a.known[fp]; ok && al.Status == store.AlertFiring {
			out = append(out, al)
		}
	}
	slices.SortFunc(out, func(x, y store.Alert) int { return cmp.Compare(x.Fingerprint, y.Fingerprint) })
	return out
}

// Source returns the alarms firing now for the pipeline key, whose alarms
// section is p, in an organization whose alarms section is org (either
// may be nil): the alerts p matches, and those org matches, marked Org.
// It is a snapshot taken now, as Plan must answer from data loaded.
func (a *Alerts) Source(key string, p, org *pipeline.Alarms) pipeline.AlarmSource {
	now := a.cfg.Clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	var s source
	for _, al := range a.known {
		if al.Status != store.AlertFiring {
			continue
		}
		for _, m := range []struct {
			alarms *pipeline.Alarms
			org    bool
		}{{p, false}, {org, true}} {
			if m.alarms == nil || !pipeline.MatchAll(m.alarms.Match, al.Labels) {
				continue
			}
			if a.isStale(key, al, now, m.alarms.ResolveTimeout) {
				break
			}
			s = append(s, alarmOf(al, m.alarms, m.org))
			break // matched by the pipeline: the organization's match adds nothing
		}
	}
	slices.SortFunc(s, func(x, y pipeline.Alarm) int {
		return cmp.Or(cmp.Compare(x.Target, y.Target), cmp.Compare(x.Name, y.Name),
			x.Since.Compare(y.Since), cmp.Compare(fmt.Sprint(x.Labels), fmt.Sprint(y.Labels)))
	})
	return s
}

// isStale says whether al, not refreshed for twice resolveTimeout, is to
// be treated as resolved, and reports it the first time.
func (a *Alerts) isStale(key string, al store.Alert, now time.Time, resolveTimeout time.Duration) bool {
	if resolveTimeout <= 0 {
		resolveTimeout = pipeline.DefaultResolveTimeout
	}
	if now.Sub(al.ReceivedAt) < 2*resolveTimeout {
		return false
	}
	if at, ok := a.stale[al.Fingerprint]; !ok || !at.Equal(al.ReceivedAt) {
		a.stale[al.Fingerprint] = al.ReceivedAt
		a.staleTotal.Inc()
		a.cfg.Logger.Warn("Alertmanager alert treated as resolved: no notification refreshed it for twice resolve_timeout; "+
			"set repeat_interval on Wavegate's route below resolve_timeout so firing alerts are sent again in time",
			"alertname", al.Labels["alertname"], "fingerprint", al.Fingerprint, "labels", al.Labels,
			"last_received", al.ReceivedAt, "resolve_timeout", resolveTimeout, "pipeline", key)
	}
	return true
}

func alarmOf(al store.Alert, m *pipeline.Alarms, org bool) pipeline.Alarm {
	label := m.TargetLabel
	if label == "" {
		label = pipeline.DefaultTargetLabel
	}
	summary := al.Annotations["summary"]
	if summary == "" {
		summary = al.Annotations["description"]
	}
	return pipeline.Alarm{
		Origin: pipeline.AlarmAlertmanager, Name: al.Labels["alertname"], Target: al.Labels[label],
		Summary: summary, Labels: al.Labels, Since: al.StartsAt, Org: org,
	}
}

// source is a snapshot of the alarms of one pipeline.
type source []pipeline.Alarm

// Firing returns the alarms on target and those on every target.
func (s source) Firing(target string) []pipeline.Alarm {
	var out []pipeline.Alarm
	for _, al := range s {
		if al.Target == "" || al.Target == target {
			out = append(out, al)
		}
	}
	return out
}

// PipelineAlarms names one pipeline's alarms section and its
// organization's, for Concerned.
type PipelineAlarms struct {
	Key         string
	Alarms, Org *pipeline.Alarms
}

// Concerned returns the keys of the pipelines, in the order given, that
// any of the alerts concerns (matched by the pipeline's alarms or its
// organization's), resolved ones included: those are the engine runs to
// wake.
func (a *Alerts) Concerned(changed []store.Alert, pipelines []PipelineAlarms) []string {
	var keys []string
	for _, p := range pipelines {
		for _, al := range changed {
			if (p.Alarms != nil && pipeline.MatchAll(p.Alarms.Match, al.Labels)) ||
				(p.Org != nil && pipeline.MatchAll(p.Org.Match, al.Labels)) {
				keys = append(keys, p.Key)
				break
			}
		}
	}
	return keys
}
