// Package browser drives a headless Chromium (Debian's chromium package)
// from Go tests, so the web pages are checked as a user's browser renders
// and runs them. A missing Chromium skips the test, or fails it when
// WAVEGATE_REQUIRE_SERVICES=1 (as in CI), as package services does for
// Prometheus.
//
// Chromium is kept off the network: pages may be opened only at
// 127.0.0.1, every other connection (the page's, and Chromium's own calls
// home that no flag turns off) goes to a proxy inside the test that
// refuses it, and a page that asks for anything off loopback fails the
// test naming the address, so a page that would load something from
// elsewhere is caught rather than served.
package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/wavegate/wavegate/internal/services"
)

// Timeout bounds every step: a deadlock guard, far above what a page on
// loopback takes.
const Timeout = 10 * time.Second

// Chromium is the browser to run: $WAVEGATE_CHROMIUM when set, else
// Debian's chromium package (its program behind the /usr/bin/chromium
// launcher), else chromium on PATH; none skips the test (fails it when
// services are required).
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("WAVEGATE_CHROMIUM"); p != "" {
		// Asked for by name: a wrong path is a mistake to report, not a
		// reason to skip.
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			t.Fatalf("WAVEGATE_CHROMIUM=%s is not an executable file", p)
		}
		return p
	}
	// Debian's launcher adds the vendor's API keys and lets extensions update
	// from the network: the program itself starts without either.
	for _, p := range []string{"/usr/lib/chromium/chromium", "/usr/bin/chromium"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return services.Binary(t, "chromium")
}

// Browser is one headless Chromium with one tab, for one test; For shares
// it with subtests.
type Browser struct {
	t testing.TB // failed by the helpers
	*session
}

// session is the browser itself, shared by every Browser For returns.
type session struct {
	ctx context.Context // the tab's; steps derive timeouts from it

	outMu sync.Mutex
	out   strings.Builder // Chromium's own output, shown when a test fails

	proxy *refuser

	seenMu sync.Mutex
	off    []string // what pages asked for off loopback
	thrown []string // the pages' uncaught JavaScript errors
}

// For is the same browser and tab, its helpers failing t: a subtest must
// not fail its parent from its own goroutine.
func (b *Browser) For(t testing.TB) *Browser {
	return &Browser{t: t, session: b.session}
}

// Start runs Chromium with a fresh profile under t.TempDir() and a
// 1280×800 window; it is stopped when the test ends.
func Start(t testing.TB) *Browser {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	bin := Chromium(t)
	b := &Browser{t: t, session: &session{proxy: startRefuser(t)}}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		// As root (here and in CI) Chromium's sandbox cannot start; the
		// pages it opens are the tests' own.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-quic", true),
		// Chromium's own calls home, each of which the refuser saw: time
		// queries, autofill, optimization hints, sign-in. The API keys are
		// blanked so the services they unlock stay off.
		chromedp.Flag("disable-features", quietFeatures),
		chromedp.Flag("disable-field-trial-config", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-component-extensions-with-background-pages", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("no-service-autorun", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("disable-search-engine-choice-screen", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Env("GOOGLE_API_KEY=no", "GOOGLE_DEFAULT_CLIENT_ID=no", "GOOGLE_DEFAULT_CLIENT_SECRET=no"),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "en-US"),
		// Loopback bypasses a proxy by default; everything else goes to
		// the refuser, and no name but 127.0.0.1 resolves.
		chromedp.Flag("proxy-server", "http://"+b.proxy.addr),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.CombinedOutput(writerFunc(func(p []byte) (int, error) {
			b.outMu.Lock()
			defer b.outMu.Unlock()
			if b.out.Len() < 64<<10 {
				b.out.Write(p)
			}
			return len(p), nil
		})),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b.ctx = ctx
	// Registered after t.TempDir, so it runs before the profile is removed:
	// cancelling waits for Chromium to exit.
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		if t.Failed() {
			b.outMu.Lock()
			t.Logf("Chromium's output:\n%s", b.out.String())
			b.outMu.Unlock()
		}
		b.seenMu.Lock()
		defer b.seenMu.Unlock()
		if len(b.off) > 0 {
			t.Errorf("the page asked for addresses off loopback (refused): %q; pages under test must load everything from 127.0.0.1", b.off)
		}
		if len(b.thrown) > 0 {
			t.Errorf("the page's scripts threw: %q", b.thrown)
		}
	})
	// The first step starts the browser and must not carry a timeout: it
	// would end the browser with it.
	start := make(chan error, 1)
	go func() { start <- chromedp.Do(ctx) }()
	select {
	case err := <-start:
		if err != nil {
			t.Fatalf("start Chromium (%s): %v", bin, err)
		}
		if err := chromedp.Listen(ctx, b.watch); err != nil {
			t.Fatalf("watch the page's requests and errors: %v", err)
		}
	case <-time.After(Timeout):
		cancelTab()
		t.Fatalf("Chromium (%s) did not start within %s", bin, Timeout)
	}
	return b
}

// quietFeatures are the Chromium features that reach the network
// unasked.
const quietFeatures = "OptimizationHints,OptimizationHintsFetching,OptimizationGuideModelDownloading,OptimizationTargetPrediction," +
	"AutofillServerCommunication,NetworkTimeServiceQuerying,CertificateTransparencyComponentUpdater," +
	"MediaRouter,DialMediaRouteProvider,GlobalMediaControls,Translate,InterestFeedContentSuggestions," +
	"LensOverlay,HttpsUpgrades,PrivacySandboxSettings4,SafeBrowsingEnhancedProtection"

// watch records a page's requests off loopback and its uncaught errors,
// either of which fails the test. It runs in the tab's event loop, so it
// only appends.
func (b *Browser) watch(ev any) {
	b.seenMu.Lock()
	defer b.seenMu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Request == nil {
			return
		}
		u, err := url.Parse(ev.Request.URL)
		if err != nil || u.Hostname() == "127.0.0.1" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ws" && u.Scheme != "wss") {
			return // data:, blob:, about: and the like stay in the browser
		}
		b.off = append(b.off, ev.Request.URL)
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		if d == nil {
			return
		}
		what := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			what, _, _ = strings.Cut(d.Exception.Description, "\n")
		}
		b.thrown = append(b.thrown, fmt.Sprintf("%s (%s:%d)", what, d.URL, d.LineNumber+1))
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// do runs steps with the deadlock guard, failing the test with what.
func (b *Browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// Eval runs a JavaScript expression in the page and returns its value.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Navigate opens rawURL, which must be on 127.0.0.1, waits until it has
// loaded and returns its HTTP status.
func (b *Browser) Navigate(rawURL string) int {
	b.t.Helper()
	if err := loopbackOnly(rawURL); err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(rawURL))
	if err != nil {
		b.t.Fatalf("open %s: %v", rawURL, err)
	}
	if resp == nil {
		b.t.Fatalf("open %s: no response", rawURL)
	}
	return int(resp.Status)
}

// loopbackOnly refuses any address a test's browser should not open.
func loopbackOnly(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("open %q: %w", rawURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() != "127.0.0.1" {
		return fmt.Errorf("open %q: the test browser opens only http(s)://127.0.0.1 addresses, never the network", rawURL)
	}
	return nil
}

// WaitVisible waits until an element matching the CSS selector is shown.
func (b *Browser) WaitVisible(selector string) {
	b.t.Helper()
	b.do("wait for "+selector+" to show", chromedp.WaitVisible(chromedp.CSS(selector)))
}

// WaitText waits until the first element matching the CSS selector shows
// text (as the user sees it: innerText), and fails saying what it showed.
func (b *Browser) WaitText(selector, text string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](
		`(sel, text) => { const e = document.querySelector(sel); return !!e && e.innerText.includes(text); }`,
		chromedp.WithPollingArgs(selector, text), chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(Timeout)))
	if err != nil {
		shown := Eval[string](b, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.innerText : "(no such element)"; })()`, jsString(selector)))
		b.t.Fatalf("wait for %s to show %q: %v; it shows:\n%s", selector, text, err, shown)
	}
}

// WaitHidden waits until no element matching the CSS selector shows (each
// is hidden, or there is none).
func (b *Browser) WaitHidden(selector string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](
		`(sel) => [...document.querySelectorAll(sel)].every(e => e.hidden || e.getClientRects().length === 0)`,
		chromedp.WithPollingArgs(selector), chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(Timeout)))
	if err != nil {
		b.t.Fatalf("wait for %s to hide: %v", selector, err)
	}
}

// Text is what the first element matching the CSS selector shows.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("read the text of %s: %v", selector, err)
	}
	return s
}

// Click clicks the first element matching the CSS selector, once shown.
func (b *Browser) Click(selector string) {
	b.t.Helper()
	b.do("click "+selector, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
}

// Follow clicks the link (or submits with the button) matching the CSS
// selector, waits until the page it opens has loaded and returns its HTTP
// status.
func (b *Browser) Follow(selector string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("follow %s: %v", selector, err)
	}
	if resp == nil {
		b.t.Fatalf("follow %s: no response", selector)
	}
	return int(resp.Status)
}

// Fill replaces the value of a form field by typing value into it, as a
// user would, so the page's input handlers run.
func (b *Browser) Fill(selector, value string) {
	b.t.Helper()
	b.WaitVisible(selector)
	// chromedp's Clear only empties the value attribute, not what was
	// typed since.
	if !Eval[bool](b, fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e || !("value" in e)) return false; e.value = ""; return true; })()`, jsString(selector))) {
		b.t.Fatalf("fill %s: it is not a form field", selector)
	}
	b.do("fill "+selector, chromedp.SendKeys(chromedp.CSS(selector), value, chromedp.NodeVisible))
}

// Viewport sets the page's size in CSS pixels; mobile makes the page laid
// out as on a phone (its meta viewport applies, touch is on).
func (b *Browser) Viewport(width, height int, mobile bool) {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	b.do(fmt.Sprintf("set the viewport to %d×%d", width, height), chromedp.EmulateViewport(int64(width), int64(height), opts...))
}

// Screenshot takes the whole page (not only the viewport) as a PNG,
// writes it to path (creating its directory) and returns it.
func (b *Browser) Screenshot(path string) []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("take a screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatalf("make the directory of %s: %v", path, err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("write the screenshot: %v", err)
	}
	return png
}

// jsString quotes s as a JavaScript string literal (JSON is a subset of
// JavaScript).
func jsString(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return string(q)
}
