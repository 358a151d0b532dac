package services

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// PrometheusOptions says what a test's Prometheus watches.
type PrometheusOptions struct {
	// Scrape is the base URL of a service whose /metrics is scraped every
	// second (an httptest server's URL), with job="service".
	Scrape string
	// Rules are rule files' contents (YAML), evaluated every second.
	Rules []string
	// Alertmanager is the host:port of an Alertmanager to send alerts to;
	// empty: none.
	Alertmanager string
}

// Prometheus is a real Prometheus on loopback, for one test.
type Prometheus struct {
	// URL is its base URL, http://127.0.0.1:PORT.
	URL string

	t    testing.TB
	bin  string
	args []string
	dir  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd exits
}

// StartPrometheus starts Prometheus (Debian's /usr/bin/prometheus) with a
// temporary configuration and storage, listening on loopback only, and
// waits until it is ready. It is stopped when the test ends.
func StartPrometheus(t testing.TB, opts PrometheusOptions) *Prometheus {
	t.Helper()
	bin := Binary(t, "prometheus")
	dir := t.TempDir()
	cfg, err := prometheusConfig(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	p := &Prometheus{
		URL: "http://" + addr,
		t:   t,
		bin: bin,
		dir: dir,
		// Only what a test needs: no admin API, no lifecycle endpoints, no
		// remote-write receiver (all off unless asked for), loopback only.
		args: []string{
			"--config.file=" + filepath.Join(dir, "prometheus.yml"),
			"--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--storage.tsdb.retention.time=1h",
			"--web.listen-address=" + addr,
			"--web.console.templates=" + filepath.Join(dir, "consoles"),
			"--web.console.libraries=" + filepath.Join(dir, "console_libraries"),
			"--log.level=warn",
		},
	}
	t.Cleanup(p.Stop)
	p.Start()
	return p
}

func prometheusConfig(dir string, opts PrometheusOptions) (string, error) {
	var b strings.Builder
	b.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
	if opts.Scrape != "" {
		u, err := url.Parse(opts.Scrape)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("scrape target %q: want a base URL such as http://127.0.0.1:8080", opts.Scrape)
		}
		fmt.Fprintf(&b, "scrape_configs:\n  - job_name: service\n    scheme: %s\n    static_configs:\n      - targets: [%q]\n", u.Scheme, u.Host)
	}
	if len(opts.Rules) > 0 {
		b.WriteString("rule_files:\n")
		for i, r := range opts.Rules {
			p := filepath.Join(dir, fmt.Sprintf("rules-%d.yml", i))
			if err := os.WriteFile(p, []byte(r), 0o600); err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "  - %q\n", p)
		}
	}
	if opts.Alertmanager != "" {
		fmt.Fprintf(&b, "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [%q]\n", opts.Alertmanager)
	}
	return b.String(), nil
}

// Start starts it again after Stop, on the same address and storage.
func (p *Prometheus) Start() {
	p.t.Helper()
	p.mu.Lock()
	if p.cmd != nil {
		p.mu.Unlock()
		p.t.Fatal("Prometheus is already running")
	}
	log, err := os.OpenFile(filepath.Join(p.dir, "prometheus.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.mu.Unlock()
		p.t.Fatal(err)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		p.mu.Unlock()
		p.t.Fatalf("start %s: %v", p.bin, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		log.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	p.waitReady(done)
}

// waitReady polls /-/ready until it answers 200, the process exits, or a
// minute passes.
func (p *Prometheus) waitReady(exited <-chan struct{}) {
	p.t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	err := promPoll(time.Minute, exited, func() (bool, error) {
		resp, err := client.Get(p.URL + "/-/ready")
		if err != nil {
			return false, nil // not listening yet
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		p.t.Fatalf("Prometheus at %s never became ready: %v\n%s", p.URL, err, p.logTail())
	}
}

// Stop stops it (SIGTERM, then SIGKILL after 10s) and waits for it to
// exit; queries then fail with "connection refused".
func (p *Prometheus) Stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(os.Interrupt)
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cmd.Process.Kill()
		<-done
	}
}

func (p *Prometheus) logTail() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "prometheus.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}

// API is a client of its HTTP API.
func (p *Prometheus) API() v1.API {
	p.t.Helper()
	c, err := api.NewClient(api.Config{Address: p.URL})
	if err != nil {
		p.t.Fatal(err)
	}
	return v1.NewAPI(c)
}

// WaitFor evaluates query now, again and again, until ok accepts its
// result, and returns that result; it fails the test after a minute. It is
// how a test waits for Prometheus to have scraped what the test did.
func (p *Prometheus) WaitFor(query string, ok func(model.Value) bool) model.Value {
	p.t.Helper()
	a := p.API()
	var last model.Value
	var lastErr error
	err := promPoll(time.Minute, nil, func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		v, _, _, err := a.Query(ctx, query, time.Now())
		if err != nil {
			lastErr = err
			return false, nil
		}
		last = v
		return ok(v), nil
	})
	if err != nil {
		p.t.Fatalf("waiting for %s: %v; last result %v, last error %v", query, err, last, lastErr)
	}
	return last
}

// promPoll calls try every 100ms until it reports done or fails, stop is
// closed, or limit passes.
func promPoll(limit time.Duration, stop <-chan struct{}, try func() (bool, error)) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		done, err := try()
		if err != nil || done {
			return err
		}
		select {
		case <-stop:
			return errors.New("the process exited")
		case <-deadline.C:
			return fmt.Errorf("not within %s", limit)
		case <-tick.C:
		}
	}
}
