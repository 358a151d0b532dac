package browser

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// A page that changes its DOM after a server-sent message, as the live
// pages will: the page waits delay before it changes, so a measurement
// that stopped at the message rather than the DOM change would be short.
const livePage = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>live</title></head><body>
<p id="status">waiting</p>
<form><label>Reason <input id="reason" name="reason"></label></form>
<button id="go" onclick="document.getElementById('status').textContent = 'clicked with ' + document.getElementById('reason').value">Go</button>
<script>
const es = new EventSource("/events");
es.onmessage = e => setTimeout(() => { document.getElementById("status").textContent = e.data; }, %d);
</script></body></html>`

const pageDelay = 150 * time.Millisecond

// liveServer serves livePage; a string sent on the returned channel is
// pushed to the page, once connected is closed.
func liveServer(t *testing.T) (srv *httptest.Server, send chan<- string, connected <-chan struct{}) {
	t.Helper()
	msgs := make(chan string)
	conn := make(chan struct{})
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, livePage, pageDelay.Milliseconds())
	})
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
		once.Do(func() { close(conn) })
		for {
			select {
			case m := <-msgs:
				fmt.Fprintf(w, "data: %s\n\n", m)
				http.NewResponseController(w).Flush()
			case <-r.Context().Done():
				return
			}
		}
	})
	srv = httptest.NewServer(mux)
	// The shared browser keeps the page and its event stream open past
	// the subtest: cut them, or Close waits for them.
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv, msgs, conn
}

// One Chromium for the checks below, each a subtest with its own server:
// starting Chromium takes longer than they do.
func TestBrowser(t *testing.T) {
	b := Start(t)
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *Browser)
	}{
		{"ChangeLatencyMeasuresToTheDOMChange", browserChangeLatencyMeasuresToTheDOMChange},
		{"ChangeLatencyRefusesWhatItCannotMeasure", browserChangeLatencyRefusesWhatItCannotMeasure},
		{"FormClickTextAndScreenshot", browserFormClickTextAndScreenshot},
		{"StaysOffTheNetwork", browserStaysOffTheNetwork},
		{"SplitWords", browserSplitWords},
		{"RecordsUncaughtErrors", browserRecordsUncaughtErrors},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, b.For(t)) })
	}
}

func waitClosed(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(Timeout): // deadlock guard only
		t.Fatalf("waiting for %s", what)
	}
}

func browserChangeLatencyMeasuresToTheDOMChange(t *testing.T, b *Browser) {
	srv, send, connected := liveServer(t)
	if code := b.Navigate(srv.URL + "/"); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	waitClosed(t, connected, "the page's event stream")
	d := b.ChangeLatency("#status", "deployed to beta", func() { send <- "deployed to beta" })
	if d < pageDelay || d > Timeout {
		t.Fatalf("latency %s: want at least the page's own %s delay and less than %s", d, pageDelay, Timeout)
	}
	if got := b.Text("#status"); got != "deployed to beta" {
		t.Fatalf("status shows %q", got)
	}
	t.Logf("change to DOM: %s (the page waits %s)", d, pageDelay)
}

func browserChangeLatencyRefusesWhatItCannotMeasure(t *testing.T, b *Browser) {
	srv, send, connected := liveServer(t)
	b.Navigate(srv.URL + "/")
	waitClosed(t, connected, "the page's event stream")

	// The text shows already: a measurement would say nothing.
	_, err := changeLatency(b.ctx, "#status", "waiting", func() { t.Error("change called though the text shows already") })
	if err == nil || !strings.Contains(err.Error(), "before the change") {
		t.Fatalf("err = %v, want one saying the text shows before the change", err)
	}

	// Nothing changes: the wait ends with its context, as an error.
	ctx, cancel := context.WithTimeout(b.ctx, pageDelay)
	defer cancel()
	if _, err := changeLatency(ctx, "#status", "never", func() {}); err == nil {
		t.Fatal("no error though the page never showed the text")
	}

	// A reload is not an update in place.
	_, err = changeLatency(b.ctx, "#status", "deployed", func() { b.Navigate(srv.URL + "/") })
	if err == nil || !strings.Contains(err.Error(), "reloaded") {
		t.Fatalf("err = %v, want one saying the page was reloaded", err)
	}
	_ = send
}

func browserFormClickTextAndScreenshot(t *testing.T, b *Browser) {
	srv, _, _ := liveServer(t)
	b.Viewport(1280, 800, false)
	b.Navigate(srv.URL + "/")
	b.WaitVisible("#go")
	b.Fill("#reason", "incident 42")
	b.Fill("#reason", "incident 43") // replaces, not appends
	b.Click("#go")
	b.WaitText("#status", "clicked with incident 43")

	path := filepath.Join(t.TempDir(), "shots", "page.png")
	shot := b.Screenshot(path)
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if w := img.Bounds().Dx(); w != 1280 {
		t.Errorf("screenshot %d wide, want the window's 1280", w)
	}
	b.Viewport(390, 844, true)
	if over, wider := b.Overflow(); over != 0 {
		t.Errorf("a plain page overflows a phone by %dpx: %q", over, wider)
	}
	Eval[any](b, `document.body.insertAdjacentHTML("beforeend", "<div id=wide style='width:900px'>wide</div>")`)
	if over, wider := b.Overflow(); over < 400 || len(wider) == 0 || !strings.Contains(wider[0], "div") {
		t.Errorf("a 900px element on a 390px phone: overflow %d, %q", over, wider)
	}
}

// The browser opens only loopback addresses, and what a page asks of
// anywhere else is refused and reported.
func browserStaysOffTheNetwork(t *testing.T, b *Browser) {
	for _, u := range []string{"http://example.com/", "http://localhost:8080/", "file:///etc/passwd", "http://127.0.0.1.example.com/", "::"} {
		if err := loopbackOnly(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8080/ui/", "https://127.0.0.1/x"} {
		if err := loopbackOnly(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}

	srv, _, _ := liveServer(t)
	b.Navigate(srv.URL + "/")
	// 203.0.113.9 is reserved for documentation and never routed.
	got := Eval[string](b, `fetch("http://203.0.113.9/data").then(() => "fetched", e => "refused: " + e)`)
	if !strings.HasPrefix(got, "refused") {
		t.Fatalf("the page reached 203.0.113.9: %s", got)
	}
	b.seenMu.Lock()
	off := b.off
	b.off = nil // reported here, not as this test's failure
	b.seenMu.Unlock()
	if len(off) != 1 || off[0] != "http://203.0.113.9/data" {
		t.Errorf("the page's requests off loopback: %q, want the one to 203.0.113.9", off)
	}
	b.proxy.mu.Lock()
	defer b.proxy.mu.Unlock()
	if !slices.ContainsFunc(b.proxy.seen, func(l string) bool { return strings.Contains(l, "203.0.113.9") }) {
		t.Errorf("the request to 203.0.113.9 did not go to the refusing proxy; it saw %q", b.proxy.seen)
	}
}

// A table squeezed narrower than its words breaks them mid-word only
// when the cells may break anywhere; SplitWords finds those words, and
// not the pieces of a hash longer than a line (its font size puts the
// wrap inside a 24-character piece, not between two).
func browserSplitWords(t *testing.T, b *Browser) {
	page := func(wrap string) string {
		return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<style>table { width: 100%; border-collapse: collapse } td { overflow-wrap: ` + wrap + ` }</style></head><body>
<table><tr><td>Blocker window</td><td>` + strings.Repeat("outside the deploy window ", 20) + `</td></tr></table>
<p style="overflow-wrap: anywhere; font-size: 15px">commit ` + strings.Repeat("0123456789abcdef", 6) + ` is a hash, which may break</p></body></html>`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{wrap}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page(r.PathValue("wrap")))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	b.Viewport(390, 844, true)
	b.Navigate(srv.URL + "/anywhere")
	if got := b.SplitWords(); !slices.Contains(got, "Blocker") || !slices.Contains(got, "window") {
		t.Errorf("overflow-wrap: anywhere: split words %q, want Blocker and window among them", got)
	}
	b.Navigate(srv.URL + "/break-word")
	if got := b.SplitWords(); len(got) != 0 {
		t.Errorf("overflow-wrap: break-word: split words %q, want none", got)
	}
}

// fatalTB records a Fatalf and ends the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	fatal string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// WAVEGATE_CHROMIUM names the browser; a wrong name is a failure, never a
// silent skip.
func TestChromiumFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	exe, plain := filepath.Join(dir, "chromium"), filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ env, want, fatal string }{
		{exe, exe, ""},
		{plain, "", "WAVEGATE_CHROMIUM=" + plain + " is not an executable file"},
		{filepath.Join(dir, "missing"), "", "is not an executable file"},
		{dir, "", "is not an executable file"},
	} {
		t.Setenv("WAVEGATE_CHROMIUM", tc.env)
		f := &fatalTB{TB: t}
		var got string
		done := make(chan struct{})
		go func() {
			defer close(done)
			got = Chromium(f)
		}()
		<-done
		if got != tc.want || (tc.fatal == "") != (f.fatal == "") || !strings.Contains(f.fatal, tc.fatal) {
			t.Errorf("WAVEGATE_CHROMIUM=%s: got %q, fatal %q; want %q, fatal %q", tc.env, got, f.fatal, tc.want, tc.fatal)
		}
	}
}

// A page's uncaught error is caught, to fail the test at its end.
func browserRecordsUncaughtErrors(t *testing.T, b *Browser) {
	srv, _, _ := liveServer(t)
	b.Navigate(srv.URL + "/")
	Eval[any](b, `setTimeout(() => { throw new Error("boom in a handler"); }, 0); new Promise(r => setTimeout(r, 10))`)
	b.seenMu.Lock()
	thrown := b.thrown
	b.thrown = nil // reported here, not as this test's failure
	b.seenMu.Unlock()
	if len(thrown) != 1 || !strings.Contains(thrown[0], "Error: boom in a handler") {
		t.Fatalf("recorded %q, want the one uncaught error", thrown)
	}
}
