package browser

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chromedp/chromedp"
)

// ChangeLatency measures how long the open page takes to show text in the
// first element matching the CSS selector once change has changed the
// state behind it (a command run, an event delivered): the page's own
// clock, read by a MutationObserver at the DOM change, less the page's
// clock read just before change is called. The start is taken before the
// reply reaches Go, so the figure is an upper bound by that one round trip
// on loopback, never an underestimate. The page must not already show
// text, and must not reload meanwhile (a reload is not a live update).
func (b *Browser) ChangeLatency(selector, text string, change func()) time.Duration {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	d, err := changeLatency(ctx, selector, text, change)
	if err != nil {
		b.t.Fatal(err)
	}
	return d
}

// watchJS installs the observer as window.__wavegateChange, a promise of
// the page time the text shows, and returns the page time now; -1 when the
// text shows already.
const watchJS = `((sel, text) => {
  const shows = () => { const e = document.querySelector(sel); return !!e && e.innerText.includes(text); };
  if (shows()) return -1;
  window.__wavegateChange = new Promise(resolve => {
    const obs = new MutationObserver(() => {
      if (shows()) { obs.disconnect(); resolve(performance.now()); }
    });
    obs.observe(document.documentElement, {subtree: true, childList: true, characterData: true, attributes: true});
  });
  return performance.now();
})(%s, %s)`

func changeLatency(ctx context.Context, selector, text string, change func()) (time.Duration, error) {
	start, err := chromedp.Run(ctx, chromedp.Evaluate[float64](fmt.Sprintf(watchJS, jsString(selector), jsString(text))))
	if err != nil {
		return 0, fmt.Errorf("watch %s for %q: %w", selector, text, err)
	}
	if start < 0 {
		return 0, fmt.Errorf("%s shows %q before the change: there is nothing to measure", selector, text)
	}
	change()
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.__wavegateChange`, chromedp.EvalAwaitPromise))
	switch {
	case errors.Is(err, chromedp.ErrJSUndefined):
		return 0, fmt.Errorf("wait for %s to show %q: the page was reloaded or left, so it did not update in place", selector, text)
	case err != nil:
		return 0, fmt.Errorf("wait for %s to show %q after the change: %w", selector, text, err)
	}
	return time.Duration((shown - start) * float64(time.Millisecond)), nil
}
