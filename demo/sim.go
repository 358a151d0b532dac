package demo

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wavegate/wavegate/deploy"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/internal/inbox"
	"github.com/wavegate/wavegate/store"
)

// deployDuration is how long a simulated deploy takes, in demo time.
const deployDuration = 3 * time.Minute

// sha makes a commit sha from a name, so the demo's commits read the same
// every run.
func sha(name string) string {
	sum := sha1.Sum([]byte("wavegate demo " + name))
	return hex.EncodeToString(sum[:])
}

// outcomes hands the inbox's outcome of each delivery to whoever sent it
// and waits for it: the demo moves on only once Wavegate has acted, so its
// story reads the same on a slow machine and at any speed.
type outcomes struct {
	mu      sync.Mutex
	waiting map[string]chan inbox.Outcome
}

func (o *outcomes) expect(key string) chan inbox.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.waiting == nil {
		o.waiting = map[string]chan inbox.Outcome{}
	}
	ch := make(chan inbox.Outcome, 8)
	o.waiting[key] = ch
	return ch
}

func (o *outcomes) forget(key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.waiting, key)
}

// report is the app's OnDeliveryOutcome; it never blocks the inbox.
func (o *outcomes) report(out inbox.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, key := range []string{"id:" + out.Delivery.ID, bodyKey(out.Delivery.Payload)} {
		if ch, ok := o.waiting[key]; ok {
			select {
			case ch <- out:
			default:
			}
		}
	}
}

func bodyKey(body []byte) string {
	sum := sha256.Sum256(body)
	return "body:" + hex.EncodeToString(sum[:])
}

// await waits until the delivery is done; a retry is waited through, a
// dead delivery is an error.
func await(ctx context.Context, what string, ch chan inbox.Outcome) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case out := <-ch:
			switch out.State {
			case store.DeliveryDone:
				return nil
			case store.DeliveryDead:
				return fmt.Errorf("demo: Wavegate could not process %s: %v", what, out.Err)
			}
		}
	}
}

// sim is the simulated world around Wavegate: GitHub (deliveries, the
// deployment system answering deployments), Alertmanager, and the clock.
type sim struct {
	gh       *githubfake.Server
	clk      *clock.Scaled
	creds    credentials
	appURL   string // http://host:port, no trailing slash
	client   *http.Client
	outcomes *outcomes
	seq      atomic.Int64
	// onDeploy is told of each finished simulated deploy, before its
	// status reaches Wavegate; the story uses it to put things right before
	// a rollback is reported (the alarm resolves).
	onDeploy func(ctx context.Context, p deploy.Payload)
}

// post sends body to Wavegate at path and waits until it is processed.
func (s *sim) post(ctx context.Context, path, what string, header http.Header, key string, body []byte) error {
	ch := s.outcomes.expect(key)
	defer s.outcomes.forget(key)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.appURL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = header
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("demo: deliver %s: %w", what, err)
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("demo: deliver %s: Wavegate answered %d: %s", what, resp.StatusCode, bytes.TrimSpace(msg))
	}
	return await(ctx, what, ch)
}

// deliver sends a GitHub webhook about demo/shop, signed as GitHub signs.
func (s *sim) deliver(ctx context.Context, event string, payload map[string]any) error {
	payload["installation"] = map[string]any{"id": installationID}
	payload["repository"] = map[string]any{"id": repoID, "name": repoName, "full_name": repoFull,
		"default_branch": "main", "private": false, "owner": map[string]any{"login": owner, "type": "Organization"}}
	if _, ok := payload["sender"]; !ok {
		payload["sender"] = user(owner)
	}
	return s.deliverRaw(ctx, event, payload)
}

func (s *sim) deliverRaw(ctx context.Context, event string, payload map[string]any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("demo: encode %s payload: %w", event, err)
	}
	id := fmt.Sprintf("demo-%d-%s", s.seq.Add(1), event)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitHub-Hookshot/wavegate-demo")
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", id)
	h.Set("X-Hub-Signature-256", githubfake.Sign([]byte(s.creds.webhookSecret), body))
	return s.post(ctx, "/webhooks/github", event+" "+id, h, "id:"+id, body)
}

func user(login string) map[string]any { return map[string]any{"login": login, "type": "User"} }

// alert posts an Alertmanager notification (webhook version 4) for one
// alert on target, firing or resolved.
func (s *sim) alert(ctx context.Context, target, status string, startsAt time.Time) error {
	ends := "0001-01-01T00:00:00Z"
	if status == "resolved" {
		ends = s.clk.Now().UTC().Format(time.RFC3339)
	}
	labels := map[string]string{"alertname": "HighErrorRate", "service": "shop", "target": target, "severity": "page"}
	body, err := json.Marshal(map[string]any{
		"version": "4", "groupKey": `{}:{alertname="HighErrorRate"}`, "status": status, "receiver": "wavegate",
		"groupLabels": map[string]string{"alertname": "HighErrorRate"}, "commonLabels": labels,
		"commonAnnotations": map[string]string{}, "externalURL": "http://127.0.0.1:9093", "truncatedAlerts": 0,
		"alerts": []any{map[string]any{
			"status": status, "labels": labels,
			"annotations": map[string]string{"summary": "5xx responses above 2% on " + target},
			"startsAt":    startsAt.UTC().Format(time.RFC3339), "endsAt": ends,
			"generatorURL": "http://127.0.0.1:9090/graph", "fingerprint": "5a1e0d6c2b7f4e91",
		}},
	})
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", "Bearer "+s.creds.alertToken)
	return s.post(ctx, "/webhooks/alertmanager", "Alertmanager notification ("+status+")", h, bodyKey(body), body)
}

// carryOut is the simulated deployment system: each deployment Wavegate
// creates succeeds after deployDuration of demo time, reported as GitHub
// reports it, with a status and a deployment_status webhook.
func (s *sim) carryOut(ctx context.Context, d githubfake.Deployment) error {
	var outer struct {
		Wavegate deploy.Payload `json:"wavegate"`
	}
	if err := json.Unmarshal(d.Payload, &outer); err != nil || outer.Wavegate.Key == "" {
		return nil // not Wavegate's
	}
	p := outer.Wavegate
	t := s.clk.NewTimer(deployDuration)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil
	case <-t.C():
	}
	if s.onDeploy != nil {
		s.onDeploy(ctx, p)
	}
	desc := fmt.Sprintf("%s %s (%s) on %s", p.Action, shortSHA(p.SHA), p.Variant, p.Target)
	st, err := s.gh.AddDeploymentStatus(repoFull, d.ID, "success", desc)
	if err != nil {
		return err
	}
	return s.deliver(ctx, "deployment_status", map[string]any{
		"action": "created",
		"deployment_status": map[string]any{"id": st.ID, "state": st.State, "description": st.Description,
			"environment": st.Environment, "creator": user("deploy-bot"),
			"created_at": st.CreatedAt.Format(time.RFC3339), "updated_at": st.CreatedAt.Format(time.RFC3339)},
		"deployment": map[string]any{"id": d.ID, "sha": d.SHA, "ref": d.Ref, "task": d.Task, "environment": d.Environment,
			"payload": json.RawMessage(d.Payload), "creator": user("wavegate-demo[bot]"),
			"created_at": d.CreatedAt.Format(time.RFC3339), "updated_at": d.CreatedAt.Format(time.RFC3339)},
		"sender": user("deploy-bot"),
	})
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}
