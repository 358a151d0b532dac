package services

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// AlertmanagerOptions configures StartAlertmanager. Zero durations take
// the quickest values Alertmanager 0.25 accepts: group_wait 0s (a new
// group is sent at once), group_interval 1s (its changes, resolutions
// included, within a second; it cannot be zero), repeat_interval 1m.
type AlertmanagerOptions struct {
	// WebhookURL is where the one receiver posts, with send_resolved.
	WebhookURL string
	// Token is sent as Authorization: Bearer, read by Alertmanager from
	// a 0600 file (http_config.authorization.credentials_file), so that
	// it appears in no argv and no config.
	Token                                    string
	GroupWait, GroupInterval, RepeatInterval time.Duration
	// ResolveTimeout is the global resolve_timeout (default 5m).
	ResolveTimeout time.Duration
}

// Alertmanager is a running Alertmanager.
type Alertmanager struct {
	// URL is its base, http://127.0.0.1:PORT.
	URL string
}

// alertmanagerStartDeadline guards waits on the started program: generous, as a
// loaded CI machine is slow, and never reached when things work.
const alertmanagerStartDeadline = 60 * time.Second

// StartAlertmanager runs prometheus-alertmanager (Debian's name) or
// alertmanager on loopback, clustering off, with a temporary config and
// storage, until the test ends. It returns once Alertmanager is ready.
func StartAlertmanager(t testing.TB, o AlertmanagerOptions) *Alertmanager {
	t.Helper()
	bin := Binary(t, "prometheus-alertmanager", "alertmanager")
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(o.Token), 0o600); err != nil {
		t.Fatalf("write the Alertmanager token file: %v", err)
	}
	configFile := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(configFile, []byte(alertmanagerConfig(o, tokenFile)), 0o600); err != nil {
		t.Fatalf("write the Alertmanager config: %v", err)
	}
	addr := FreeAddr(t)
	cmd := exec.Command(bin,
		"--config.file="+configFile,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--cluster.listen-address=", // no gossip: a lone instance
		"--log.level=info",
	)
	out := startAlertmanagerProcess(t, cmd, "Alertmanager", `msg="Listening on"`)
	am := &Alertmanager{URL: "http://" + addr}
	resp, err := http.Get(am.URL + "/-/ready")
	if err != nil {
		t.Fatalf("Alertmanager listening but not answering: %v\n%s", err, out())
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Alertmanager /-/ready: %s\n%s", resp.Status, out())
	}
	return am
}

func alertmanagerConfig(o AlertmanagerOptions, tokenFile string) string {
	or := func(d, def time.Duration) string {
		if d <= 0 {
			d = def
		}
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	// JSON strings are YAML strings: the URL and path go in quoted.
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return `global:
  resolve_timeout: ` + or(o.ResolveTimeout, 5*time.Minute) + `
route:
  receiver: wavegate
  group_by: ['...']
  group_wait: ` + or(o.GroupWait, 0) + `
  group_interval: ` + or(o.GroupInterval, time.Second) + `
  repeat_interval: ` + or(o.RepeatInterval, time.Minute) + `
receivers:
  - name: wavegate
    webhook_configs:
      - url: ` + q(o.WebhookURL) + `
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: ` + q(tokenFile) + `
`
}

// startAlertmanagerProcess starts cmd, keeps its output for the test's
// failure message, waits for a line containing ready and stops it
// (SIGINT, then SIGKILL) when the test ends. It returns what the program
// has said.
func startAlertmanagerProcess(t testing.TB, cmd *exec.Cmd, name, ready string) (output func() string) {
	t.Helper()
	var mu sync.Mutex
	var buf bytes.Buffer
	output = func() string { mu.Lock(); defer mu.Unlock(); return buf.String() }
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); pw.Close() }()
	readyCh := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			buf.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.Contains(sc.Text(), ready) {
				once.Do(func() { close(readyCh) })
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second): // a guard: it exits at once on SIGINT
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s said:\n%s", name, output())
		}
	})
	select {
	case <-readyCh:
	case err := <-exited:
		t.Fatalf("%s exited before it was ready (%v):\n%s", name, err, output())
	case <-time.After(alertmanagerStartDeadline):
		t.Fatalf("%s not ready within %s:\n%s", name, alertmanagerStartDeadline, output())
	}
	return output
}

// PostableAlert is an alert as a client sends it to Alertmanager's API
// v2. A zero StartsAt is now; a zero EndsAt leaves it firing until
// resolve_timeout; an EndsAt not after now resolves it.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// PostAlerts sends alerts to POST /api/v2/alerts, as Prometheus does.
func (a *Alertmanager) PostAlerts(ctx context.Context, alerts ...PostableAlert) error {
	body, err := json.Marshal(alerts)
	if err != nil {
		return fmt.Errorf("encode %d alerts: %w", len(alerts), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL+"/api/v2/alerts", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post alerts to %s: %w", a.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("post alerts to %s: %w", a.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("post alerts to %s: %s: %s", a.URL, resp.Status, msg)
	}
	return nil
}
