package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/pipeline"
)

func everyone(string) bool { return true }

var (
	apiProd = pipeline.Key{Repository: "acme/api", Pipeline: "prod"}
	webProd = pipeline.Key{Repository: "acme/web", Pipeline: "prod"}
)

// ready says whether s was signalled, without waiting.
func ready(s *Stream) bool {
	select {
	case <-s.Ready():
		return true
	default:
		return false
	}
}

func TestLiveFanOut(t *testing.T) {
	l := NewLive(10)
	a, _ := l.Subscribe(everyone)
	b, _ := l.Subscribe(everyone)
	l.Publish(apiProd)
	l.Publish(webProd)
	for _, s := range []*Stream{a, b} {
		if !ready(s) {
			t.Fatal("a stream was not signalled")
		}
		keys, dropped := s.Take()
		if fmt.Sprint(keys) != fmt.Sprint([]pipeline.Key{apiProd, webProd}) || dropped != 0 {
			t.Errorf("Take = %v, %d dropped", keys, dropped)
		}
		if ready(s) {
			t.Error("signalled twice for one batch")
		}
	}
	b.Close()
	l.Publish(apiProd)
	if ready(b) || !ready(a) {
		t.Error("a closed stream was signalled, or an open one was not")
	}
	if n := l.Streams(); n != 1 {
		t.Errorf("Streams = %d, want 1", n)
	}
}

// A reader that does not keep up gets each pipeline once, at most
// maxPending of them, and Publish goes on regardless.
func TestLiveSlowReaderCoalescesAndDrops(t *testing.T) {
	l := NewLive(10)
	slow, _ := l.Subscribe(everyone)
	for range 1000 {
		l.Publish(apiProd)
	}
	keys, dropped := slow.Take()
	if len(keys) != 1 || keys[0] != apiProd || dropped != 0 {
		t.Fatalf("Take after 1,000 saves of one pipeline = %v, %d dropped", keys, dropped)
	}
	for i := range maxPending + 10 {
		l.Publish(pipeline.Key{Repository: "acme/api", Pipeline: fmt.Sprint(i)})
	}
	keys, dropped = slow.Take()
	if len(keys) != maxPending || dropped != 10 || keys[0].Pipeline != "0" {
		t.Fatalf("Take after %d pipelines = %d keys (first %v), %d dropped", maxPending+10, len(keys), keys[0], dropped)
	}
	// Taken: the same pipeline is news again.
	l.Publish(pipeline.Key{Repository: "acme/api", Pipeline: "0"})
	if keys, _ := slow.Take(); len(keys) != 1 {
		t.Fatalf("Take after a new save = %v", keys)
	}
}

// Access is asked at each Take, so a reader who lost it sees no more.
func TestLiveAccessFilter(t *testing.T) {
	l := NewLive(10)
	var mu sync.Mutex
	readable := map[string]bool{"acme/api": true, "acme/web": true}
	s, _ := l.Subscribe(func(repo string) bool {
		mu.Lock()
		defer mu.Unlock()
		return readable[repo]
	})
	l.Publish(pipeline.Key{Repository: "other/secret", Pipeline: "prod"})
	l.Publish(apiProd)
	l.Publish(webProd)
	mu.Lock()
	readable["acme/web"] = false
	mu.Unlock()
	if keys, _ := s.Take(); fmt.Sprint(keys) != fmt.Sprint([]pipeline.Key{apiProd}) {
		t.Errorf("Take = %v, want acme/api only", keys)
	}
}

func TestLiveLimitAndClose(t *testing.T) {
	l := NewLive(2)
	a, err1 := l.Subscribe(everyone)
	_, err2 := l.Subscribe(everyone)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if _, err := l.Subscribe(everyone); !errors.Is(err, errTooMany) {
		t.Fatalf("third stream: %v, want errTooMany", err)
	}
	a.Close()
	if _, err := l.Subscribe(everyone); err != nil {
		t.Fatalf("after one closed: %v", err)
	}
	l.Close()
	l.Close() // twice is fine
	select {
	case <-l.Done():
	default:
		t.Fatal("Done not closed")
	}
	if _, err := l.Subscribe(everyone); !errors.Is(err, errLiveClosed) {
		t.Fatalf("after Close: %v, want errLiveClosed", err)
	}
}

// liveServer serves the pages with live updates over loopback.
func liveServer(t testing.TB, l *Live, clk clock.Clock) *httptest.Server {
	t.Helper()
	fs := &fakeStore{}
	fs.add("acme/api", prodPipeline(), bakingState())
	srv := httptest.NewServer(pagesWith(t, Config{Index: fs, Engine: fs, Clock: clk, Live: l}))
	t.Cleanup(srv.Close)
	return srv
}

// stream opens /ui/events?query and reads up to its greeting, after which
// the handler is subscribed.
func stream(t testing.TB, ctx context.Context, base, query string) (*bufio.Reader, *http.Response) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/ui/events"+query, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /ui/events%s = %d %q: %s", query, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	rd := bufio.NewReader(resp.Body)
	if got := block(t, rd); got != ": live updates of Wavegate\nretry: 2000\n" {
		t.Fatalf("greeting = %q", got)
	}
	return rd, resp
}

// block reads one block of the stream (up to a blank line), without it.
func block(t testing.TB, rd *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("read the stream: %v (read %q)", err, b.String()+line)
		}
		if line == "\n" {
			return b.String()
		}
		b.WriteString(line)
	}
}

func TestEventsStream(t *testing.T) {
	l := NewLive(10)
	clk := clock.NewFake(now)
	srv := liveServer(t, l, clk)
	all, _ := stream(t, t.Context(), srv.URL, "")
	one, _ := stream(t, t.Context(), srv.URL, "?repository=ACME/API&pipeline=prod")

	l.Publish(webProd)
	l.Publish(pipeline.Key{Repository: "acme/api", Pipeline: "staging"})
	l.Publish(pipeline.Key{Repository: "acme/api", Pipeline: "a\nb\"<"})
	l.Publish(apiProd)
	var got []string
	for range 4 {
		b := block(t, all)
		data, ok := strings.CutPrefix(b, "event: saved\ndata: ")
		if !ok {
			t.Fatalf("read %q, want a saved event", b)
		}
		got = append(got, strings.TrimSuffix(data, "\n"))
	}
	want := []string{
		`{"repository":"acme/web","pipeline":"prod"}`,
		`{"repository":"acme/api","pipeline":"staging"}`,
		`{"repository":"acme/api","pipeline":"a\nb\"\u003c"}`,
		`{"repository":"acme/api","pipeline":"prod"}`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the unfiltered stream read\n%q\nwant\n%q", got, want)
	}
	// The release page's stream: its pipeline only, whatever came before.
	if b := block(t, one); b != "event: saved\ndata: {\"repository\":\"acme/api\",\"pipeline\":\"prod\"}\n" {
		t.Errorf("the filtered stream read %q", b)
	}

	// Quiet for 15 s: a heartbeat on each stream.
	clk.BlockUntilWaiters(2)
	clk.Advance(Heartbeat)
	for _, rd := range []*bufio.Reader{all, one} {
		if b := block(t, rd); b != ": heartbeat\n" {
			t.Errorf("after %v: %q, want a heartbeat", Heartbeat, b)
		}
	}
}

func TestEventsTooManyAndOff(t *testing.T) {
	l := NewLive(1)
	srv := liveServer(t, l, clock.NewFake(now))
	stream(t, t.Context(), srv.URL, "")
	resp, err := http.Get(srv.URL + "/ui/events")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "too many") {
		t.Errorf("second stream over a limit of 1 = %d %q: %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	// Without --ui-public there are no events either.
	fs := &fakeStore{}
	p, err := New(Config{Index: fs, Engine: fs, Clock: clock.NewFake(now), Live: NewLive(1)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Routes(mux)
	if code, _, body := get(t, mux, "GET", "/ui/events"); code != 404 || !strings.Contains(body, "--ui-public") {
		t.Errorf("pages off: %d %s", code, body)
	}
}

// A stream ends when its reader goes, freeing its slot.
func TestEventsEndWithTheRequest(t *testing.T) {
	l := NewLive(1)
	closed := make(chan struct{}, 1)
	l.onStreamClosed = func() {
		select {
		case closed <- struct{}{}:
		default:
		}
	}
	srv := liveServer(t, l, clock.NewFake(now))
	ctx, cancel := context.WithCancel(t.Context())
	stream(t, ctx, srv.URL, "")
	cancel()
	<-closed
	if n := l.Streams(); n != 0 {
		t.Fatalf("Streams = %d after the reader went", n)
	}
	stream(t, t.Context(), srv.URL, "") // the slot is free again
}

// http.Server.Shutdown does not cancel the requests it waits for: the
// streams end because the broker closes on shutdown, so Shutdown returns
// at once rather than at its deadline.
func TestEventsEndOnShutdown(t *testing.T) {
	l := NewLive(10)
	fs := &fakeStore{}
	srv := &http.Server{Handler: pagesWith(t, Config{Index: fs, Engine: fs, Clock: clock.NewFake(now), Live: l})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	rd1, _ := stream(t, t.Context(), base, "")
	rd2, _ := stream(t, t.Context(), base, "?repository=acme/api&pipeline=prod")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a deadlock guard
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, rd := range []*bufio.Reader{rd1, rd2} {
		if _, err := rd.ReadString('\n'); !errors.Is(err, io.EOF) {
			t.Errorf("the stream after shutdown: %v, want EOF", err)
		}
	}
}

// The pages load one script, from this origin, deferred; the policy lets
// it read this origin's event stream and runs nothing inline.
func TestPagesLoadTheScript(t *testing.T) {
	fs := &fakeStore{}
	fs.add("acme/api", prodPipeline(), bakingState())
	h := pagesWith(t, Config{Index: fs, Engine: fs, Live: NewLive(1), Audit: &fakeAudit{}, History: &fakeHistory{}})
	for _, tc := range []struct{ path, live string }{
		{"/ui/", `data-live="all"`},
		{"/ui/acme/api/prod/releases/2", `data-live="{&#34;repository&#34;:&#34;acme/api&#34;,&#34;pipeline&#34;:&#34;prod&#34;}"`},
		{"/ui/audit", `data-live="all"`},
		{"/ui/metrics", `data-live="all"`},
		{"/ui/nothing", `data-live=""`},
	} {
		_, hdr, body := get(t, h, "GET", tc.path)
		csp := hdr.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: Content-Security-Policy %q lacks %q", tc.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: Content-Security-Policy %q", tc.path, csp)
		}
		if strings.Count(body, "<script") != 1 || !strings.Contains(body, `<script src="/ui/live.js" defer></script>`) {
			t.Errorf("GET %s: not exactly the one deferred script:\n%s", tc.path, body)
		}
		if !strings.Contains(body, "<main "+tc.live+">") {
			t.Errorf("GET %s lacks <main %s>", tc.path, tc.live)
		}
	}
	// The script is served even with the pages off: it holds nothing.
	for _, public := range []bool{true, false} {
		code, hdr, body := get(t, newPages(t, public, fs), "GET", "/ui/live.js")
		if code != 200 || hdr.Get("Content-Type") != "text/javascript; charset=utf-8" || !strings.Contains(body, "new EventSource(url)") {
			t.Errorf("public %t: GET /ui/live.js = %d %q", public, code, hdr.Get("Content-Type"))
		}
	}
}
