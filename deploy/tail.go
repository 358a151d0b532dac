package deploy

import "unicode/utf8"

// ellipsis marks output whose beginning was dropped.
const ellipsis = "…"

// tail keeps the last n bytes written to it, so a program that prints without
// end costs a fixed amount of memory. It is not safe for concurrent use:
// os/exec serialises writes when stdout and stderr share one writer.
type tail struct {
	n     int
	buf   []byte // grows to n, then is used as a ring
	next  int    // once full: where the next byte goes, which is also the oldest byte
	total int64
}

func newTail(n int) *tail { return &tail{n: n, buf: make([]byte, 0, n)} }

func (t *tail) Write(p []byte) (int, error) {
	written := len(p)
	t.total += int64(written)
	if len(p) >= t.n {
		t.buf = append(t.buf[:0], p[len(p)-t.n:]...)
		t.next = 0
		return written, nil
	}
	if room := t.n - len(t.buf); room > 0 {
		if len(p) <= room {
			t.buf = append(t.buf, p...)
			return written, nil
		}
		t.buf = append(t.buf, p[:room]...)
		p = p[room:]
		t.next = 0
	}
	k := copy(t.buf[t.next:], p)
	k += copy(t.buf, p[k:])
	t.next = (t.next + k) % t.n
	return written, nil
}

// String returns the kept bytes, at most n of them including the ellipsis
// that marks a cut; the cut never splits a rune.
func (t *tail) String() string {
	kept := make([]byte, 0, len(t.buf))
	kept = append(kept, t.buf[t.next:]...)
	kept = append(kept, t.buf[:t.next]...)
	if t.total <= int64(len(kept)) {
		return string(kept)
	}
	kept = kept[min(len(ellipsis), len(kept)):]
	// Skip at most one rune's worth of continuation bytes: output that is not
	// UTF-8 at all must not be eaten.
	for i := 0; i < utf8.UTFMax-1 && len(kept) > 0 && !utf8.RuneStart(kept[0]); i++ {
		kept = kept[1:]
	}
	return ellipsis + string(kept)
}
