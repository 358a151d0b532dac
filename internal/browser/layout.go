package browser

// Overflow is how far, in CSS pixels, the page is wider than its viewport
// (0 when nothing scrolls sideways), with the elements that stick out, for
// the failure message.
func (b *Browser) Overflow() (int, []string) {
	b.t.Helper()
	type result struct {
		Over  int      `json:"over"`
		Wider []string `json:"wider"`
	}
	r := Eval[result](b, `(() => {
  const vw = document.documentElement.clientWidth;
  const wider = [];
  for (const e of document.querySelectorAll("body *")) {
    const box = e.getBoundingClientRect();
    if (box.right > vw + 0.5 && wider.length < 10) {
      wider.push(e.tagName.toLowerCase() + (e.className ? "." + String(e.className).trim().replace(/\s+/g, ".") : "") +
        " (right edge " + Math.round(box.right) + "px): " + (e.innerText || "").slice(0, 60));
    }
  }
  return {over: Math.max(0, document.documentElement.scrollWidth - vw), wider};
})()`)
	return r.Over, r.Wider
}

// SplitWords are the words (of letters and digits, up to 24 long) that
// the page breaks across lines, as a column squeezed narrower than its
// words does: "Blocke|r". Longer runs, such as commit hashes and
// addresses, may break to fit a phone.
func (b *Browser) SplitWords() []string {
	b.t.Helper()
	return Eval[[]string](b, `(() => {
  const split = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walk.nextNode(); n && split.length < 20; n = walk.nextNode()) {
    for (const m of n.data.matchAll(/(?<![\p{L}\p{N}])[\p{L}\p{N}]{2,24}(?![\p{L}\p{N}])/gu)) {
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) split.push(m[0]);
    }
  }
  return split;
})()`)
}
