// Command slackload sends signed Slack slash commands to a Wavegate on
// loopback at a fixed rate and reports acknowledgement latency: the Slack
// command benchmark's second process; see BENCHMARKS.md.
//
// It is open-loop: commands are scheduled at -rate and latency counts from
// each one's scheduled time, so a server that stalls cannot hide its delay
// by slowing the sender down.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wavegate/wavegate/slackbot"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:3000/slack/commands", "slash command endpoint (loopback only)")
	secret := flag.String("secret", "", "Slack signing secret")
	rate := flag.Float64("rate", 50, "commands per second")
	concurrency := flag.Int("concurrency", 16, "requests in flight at most")
	duration := flag.Duration("duration", 30*time.Second, "how long to send")
	users := flag.Int("users", 20, "distinct Slack users the commands come from")
	flag.Parse()
	if err := run(*target, *secret, *rate, *concurrency, *duration, *users); err != nil {
		fmt.Fprintln(os.Stderr, "slackload:", err)
		os.Exit(1)
	}
}

func run(target, secret string, rate float64, concurrency int, duration time.Duration, users int) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); (ip == nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
		return fmt.Errorf("refusing %s: load is only ever sent to loopback", u.Host)
	}
	if secret == "" || rate <= 0 {
		return fmt.Errorf("-secret and a positive -rate are required")
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
	var mu sync.Mutex
	n := 0
	for range concurrency {
		wg.Go(func() {
			for scheduled := range jobs {
				mu.Lock()
				i := n
				n++
				mu.Unlock()
				status, err := send(client, target, []byte(secret), i%users)
				results <- result{time.Since(scheduled), status, err}
			}
		})
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
		jobs <- scheduled
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
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Round(10 * time.Microsecond)
	}
	var parts []string
	for code, k := range statuses {
		parts = append(parts, fmt.Sprintf("%d×%d", k, code))
	}
	slices.Sort(parts)
	fmt.Printf("open loop at %.0f/s, %d users, %s\n", rate, users, elapsed.Round(time.Millisecond))
	fmt.Printf("answered: %d (%s), transport errors: %d\n", len(latencies), strings.Join(parts, ", "), errs)
	fmt.Printf("ack latency: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", pct(0.50), pct(0.90), pct(0.99), pct(0.999), pct(1))
	if errs > 0 || statuses[http.StatusOK] != len(latencies) {
		return fmt.Errorf("not every command was acknowledged with 200")
	}
	return nil
}

// send posts one slash command, as Slack would, signed now.
func send(client *http.Client, target string, secret []byte, user int) (int, error) {
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	body := url.Values{
		"team_id": {"T0BENCH"}, "team_domain": {"acme"}, "channel_id": {"C0BENCH"}, "channel_name": {"deploys-api"},
		"user_id": {fmt.Sprintf("U%06d", user)}, "user_name": {"bench"}, "command": {"/deploy"},
		"text":         {"acme/api pause app --reason \"load test\""},
		"response_url": {"https://hooks.slack.com/commands/T0BENCH/1/" + hex.EncodeToString(id)},
		"trigger_id":   {hex.EncodeToString(id)},
	}.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackbot.Sign(secret, ts, []byte(body)))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
