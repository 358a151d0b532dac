// Command loadgen sends signed GitHub webhook deliveries to a Wavegate on
// loopback and reports throughput and acknowledgement latency. It is the
// intake benchmark's second process; see BENCHMARKS.md.
//
// With -rate it is open-loop: requests are scheduled at a fixed rate and
// latency counts from each request's scheduled time, so a server that stalls
// cannot hide its delay by slowing the sender down. Without -rate it is
// closed-loop: -concurrency senders send as fast as answers come back.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:3000/webhooks/github", "webhook endpoint (loopback only)")
	secret := flag.String("secret", "", "webhook secret")
	rate := flag.Float64("rate", 0, "deliveries per second (0: as fast as possible)")
	concurrency := flag.Int("concurrency", 32, "requests in flight at most")
	duration := flag.Duration("duration", 20*time.Second, "how long to send")
	size := flag.Int("size", 20_000, "payload size in bytes")
	repos := flag.Int("repos", 100, "distinct repositories the deliveries are spread over")
	action := flag.String("action", "synchronize",
		`the pull_request action; "closed" is routed to no handler, so each delivery is a no-op done at once`)
	flag.Parse()
	if err := run(*target, *secret, *rate, *concurrency, *duration, *size, *repos, *action); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type payload struct{ body, signature []byte }

func run(target, secret string, rate float64, concurrency int, duration time.Duration, size, repos int, action string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); (ip == nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
		return fmt.Errorf("refusing %s: load is only ever sent to loopback", u.Host)
	}
	if secret == "" {
		return fmt.Errorf("-secret is required")
	}
	payloads := make([]payload, repos)
	for i := range payloads {
		body := pullRequestPayload(i, size, action)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		payloads[i] = payload{body, []byte("sha256=" + hex.EncodeToString(mac.Sum(nil)))}
	}
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency,
	}, Timeout: 30 * time.Second}

	type result struct {
		latency time.Duration
		status  int
		err     error
	}
	results := make(chan result, 1<<16)
	jobs := make(chan time.Time, concurrency)
	var wg sync.WaitGroup
	var seq sync.Mutex
	n := 0
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for scheduled := range jobs {
				seq.Lock()
				p := payloads[n%len(payloads)]
				n++
				seq.Unlock()
				status, err := send(client, target, p)
				results <- result{time.Since(scheduled), status, err}
			}
		}()
	}
	var latencies []time.Duration
	statuses := map[int]int{}
	errs := 0
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for r := range results {
			if r.err != nil {
				errs++
				continue
			}
			statuses[r.status]++
			latencies = append(latencies, r.latency)
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	start := time.Now()
	if rate > 0 {
		interval := time.Duration(float64(time.Second) / rate)
		for i := 0; ; i++ {
			scheduled := start.Add(time.Duration(i) * interval)
			if d := time.Until(scheduled); d > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(d):
				}
			}
			if ctx.Err() != nil {
				break
			}
			jobs <- scheduled // blocks when every sender is busy; latency still counts from scheduled
		}
	} else {
		for ctx.Err() == nil {
			jobs <- time.Now()
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	close(results)
	<-collected

	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	mode := "closed-loop"
	if rate > 0 {
		mode = fmt.Sprintf("open-loop at %.0f/s", rate)
	}
	fmt.Printf("mode: %s, concurrency %d, payload %d bytes, %d repositories, %s\n", mode, concurrency, size, repos, elapsed.Round(time.Millisecond))
	fmt.Printf("answered: %d (%s), transport errors: %d\n", len(latencies), formatStatuses(statuses), errs)
	fmt.Printf("throughput: %.0f deliveries/s\n", float64(statuses[http.StatusAccepted])/elapsed.Seconds())
	fmt.Printf("ack latency: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond),
		pct(0.999).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	if errs > 0 || statuses[http.StatusAccepted] != len(latencies) {
		return fmt.Errorf("not every delivery was accepted")
	}
	return nil
}

func send(client *http.Client, target string, p payload) (int, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(p.body))
	if err != nil {
		return 0, err
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/loadgen")
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", hex.EncodeToString(id))
	req.Header.Set("X-Hub-Signature-256", string(p.signature))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// pullRequestPayload is a pull_request delivery with action of about size
// bytes, its description padded the way long PR descriptions are.
func pullRequestPayload(repo, size int, action string) []byte {
	head := fmt.Sprintf(`{"action":%q,"number":%d,"installation":{"id":1},`+
		`"repository":{"id":%d,"name":"svc-%d","full_name":"acme/svc-%d","owner":{"login":"acme"}},`+
		`"sender":{"login":"octocat","id":1},"pull_request":{"number":%d,"state":"open","title":"Make it faster",`+
		`"user":{"login":"octocat"},"head":{"sha":"%040d","ref":"feature"},"base":{"ref":"main"},"body":"`,
		action, repo+1, 1000+repo, repo, repo, repo+1, repo)
	tail := `"}}`
	pad := max(0, size-len(head)-len(tail))
	line := "- [x] Sufficient test coverage\\n"
	body := strings.Repeat(line, pad/len(line)+1)[:pad]
	body = strings.TrimRight(body, "\\")
	return []byte(head + body + tail)
}

func formatStatuses(m map[int]int) string {
	var parts []string
	for code, n := range m {
		parts = append(parts, fmt.Sprintf("%d×%d", n, code))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
