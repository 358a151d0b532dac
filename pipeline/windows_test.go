package pipeline

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want is String(), or the error's text
		err      bool
	}{
		{in: "Mon-Thu 09:00-17:00", want: "Mon-Thu 09:00-17:00"},
		{in: "Fri 09:00-12:00", want: "Fri 09:00-12:00"},
		{in: "Sat 22:00-02:00", want: "Sat 22:00-02:00"},
		{in: "Mon-Fri", want: "Mon-Fri"},
		{in: "daily 08:00-18:00", want: "daily 08:00-18:00"},
		{in: "Mon-Sun", want: "daily"},
		{in: "mon,WED,fri  10:00-11:30", want: "Mon,Wed,Fri 10:00-11:30"},
		{in: "Fri-Mon 06:00-24:00", want: "Mon,Fri-Sun 06:00-24:00"},
		{in: "Sun-Sat", want: "daily"},
		{in: "Tue 22:00-00:00", want: "Tue 22:00-24:00"},
		{in: "Tue 00:00-24:00", want: "Tue"},
		{in: "Wed 23:59-00:01", want: "Wed 23:59-00:01"},

		{in: "", err: true, want: `must be days and optionally times`},
		{in: "Mon 09:00 17:00", err: true, want: `must be days and optionally times`},
		{in: "Monday 09:00-17:00", err: true, want: `day "Monday": write Mon`},
		{in: "Mun 09:00-17:00", err: true, want: `"Mun" is not a day`},
		{in: "Mon- 09:00-17:00", err: true, want: `a day is missing`},
		{in: "Mon-Mon", err: true, want: `day range "Mon-Mon" starts and ends on the same day; write Mon`},
		{in: "Mon-Wed,Tue", err: true, want: `Tue is named twice in "Mon-Wed,Tue"`},
		{in: "Mon 9:00-17:00", err: true, want: `time "9:00" must be HH:MM on a 24-hour clock`},
		{in: "Mon 09:00", err: true, want: `times "09:00" must be a start and an end`},
		{in: "Mon 25:00-26:00", err: true, want: `time "25:00": hours go from 00 to 23 (24:00 may end a window)`},
		{in: "Mon 09:60-10:00", err: true, want: `time "09:60": minutes go from 00 to 59`},
		{in: "Mon 24:00-02:00", err: true, want: `a window cannot start at 24:00`},
		{in: "Mon 24:30-02:00", err: true, want: `hours go from 00 to 23`},
		{in: "Mon 09:00-09:00", err: true, want: `open and close at once; leave the times out`},
		{in: "Mon 00:00-00:00", err: true, want: `open and close at once`},
		{in: strings.Repeat("Mon,", 30), err: true, want: `characters long`},
	} {
		w, err := ParseWindow(tc.in)
		switch {
		case tc.err && err == nil:
			t.Errorf("ParseWindow(%q) = %v, want an error containing %q", tc.in, w, tc.want)
		case tc.err && !strings.Contains(err.Error(), tc.want):
			t.Errorf("ParseWindow(%q): %v, want it to contain %q", tc.in, err, tc.want)
		case !tc.err && err != nil:
			t.Errorf("ParseWindow(%q): %v", tc.in, err)
		case !tc.err && w.String() != tc.want:
			t.Errorf("ParseWindow(%q).String() = %q, want %q", tc.in, w.String(), tc.want)
		}
	}
}

var la = mustZone("America/Los_Angeles")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a wall-clock time in Los Angeles; with a skipped or repeated time
// it is whatever time.Date makes of it, so DST cases use utc instead.
func at(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, la) }

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func laWindows(t *testing.T, allow ...string) *Windows {
	t.Helper()
	ws := &Windows{TimeZone: "America/Los_Angeles", loc: la}
	for _, s := range allow {
		w, err := ParseWindow(s)
		if err != nil {
			t.Fatal(err)
		}
		ws.Allow = append(ws.Allow, w)
	}
	return ws
}

// Week of 2026-11-23 (Monday) in Los Angeles, PST; 2026-03-08 and
// 2026-11-01 are the Sundays clocks go forward and back.
func TestWindowsOpenAndNextOpening(t *testing.T) {
	design := []string{"Mon-Thu 09:00-17:00", "Fri 09:00-12:00"}
	for _, tc := range []struct {
		name  string
		allow []string
		now   time.Time
		open  time.Time // zero: open now
	}{
		// Every weekday against the design's windows, at 10:00 and 13:00.
		{"Mon 10:00", design, at(2026, 11, 23, 10, 0), time.Time{}},
		{"Tue 10:00", design, at(2026, 11, 24, 10, 0), time.Time{}},
		{"Wed 13:00", design, at(2026, 11, 25, 13, 0), time.Time{}},
		{"Thu 13:00", design, at(2026, 11, 26, 13, 0), time.Time{}},
		{"Fri 10:00", design, at(2026, 11, 27, 10, 0), time.Time{}},
		{"Fri 13:00 waits for Mon", design, at(2026, 11, 27, 13, 0), at(2026, 11, 30, 9, 0)},
		{"Sat 10:00 waits for Mon", design, at(2026, 11, 28, 10, 0), at(2026, 11, 30, 9, 0)},
		{"Sun 13:00 waits for Mon", design, at(2026, 11, 29, 13, 0), at(2026, 11, 30, 9, 0)},
		{"Mon 08:59 waits a minute", design, at(2026, 11, 23, 8, 59), at(2026, 11, 23, 9, 0)},
		{"Thu 17:00 is closed", design, at(2026, 11, 26, 17, 0), at(2026, 11, 27, 9, 0)},
		{"Thu 16:59 is open", design, at(2026, 11, 26, 16, 59), time.Time{}},
		{"Fri 12:00 is closed", design, at(2026, 11, 27, 12, 0), at(2026, 11, 30, 9, 0)},

		// Across midnight: the window belongs to the day it opens.
		{"Sat 21:59", []string{"Sat 22:00-02:00"}, at(2026, 11, 28, 21, 59), at(2026, 11, 28, 22, 0)},
		{"Sat 23:00", []string{"Sat 22:00-02:00"}, at(2026, 11, 28, 23, 0), time.Time{}},
		{"Sun 01:59 still Saturday's", []string{"Sat 22:00-02:00"}, at(2026, 11, 29, 1, 59), time.Time{}},
		{"Sun 02:00 closed", []string{"Sat 22:00-02:00"}, at(2026, 11, 29, 2, 0), at(2026, 12, 5, 22, 0)},
		{"Sat 01:00 is Friday's, not open", []string{"Sat 22:00-02:00"}, at(2026, 11, 28, 1, 0), at(2026, 11, 28, 22, 0)},
		{"to midnight", []string{"Tue 22:00-24:00"}, at(2026, 11, 24, 23, 59), time.Time{}},
		{"midnight ends it", []string{"Tue 22:00-24:00"}, at(2026, 11, 25, 0, 0), at(2026, 12, 1, 22, 0)},
		{"wrapping days", []string{"Fri-Mon"}, at(2026, 11, 24, 12, 0), at(2026, 11, 27, 0, 0)},
		{"all day Sun", []string{"Fri-Mon"}, at(2026, 11, 29, 23, 59), time.Time{}},
		{"daily", []string{"daily 08:00-18:00"}, at(2026, 11, 29, 18, 30), at(2026, 11, 30, 8, 0)},
		{"Mon-Fri on Saturday", []string{"Mon-Fri"}, at(2026, 11, 28, 12, 0), at(2026, 11, 30, 0, 0)},

		// Spring forward, 2026-03-08: 02:00 PST (10:00Z) becomes 03:00 PDT.
		{"gap: 01:30-03:30 open before the jump", []string{"Sun 01:30-03:30"}, utc(2026, 3, 8, 9, 45), time.Time{}},
		{"gap: 01:30-03:30 open after the jump", []string{"Sun 01:30-03:30"}, utc(2026, 3, 8, 10, 20), time.Time{}},
		{"gap: 01:30-03:30 closes at 03:30 PDT", []string{"Sun 01:30-03:30"}, utc(2026, 3, 8, 10, 30), utc(2026, 3, 15, 8, 30)},
		{"gap: 01:30-03:30 opens at 01:30 PST", []string{"Sun 01:30-03:30"}, utc(2026, 3, 8, 9, 0), utc(2026, 3, 8, 9, 30)},
		{"gap: 02:30-04:00 opens at the jump", []string{"Sun 02:30-04:00"}, utc(2026, 3, 8, 9, 0), utc(2026, 3, 8, 10, 0)},
		{"gap: 02:00-03:00 does not open that day", []string{"Sun 02:00-03:00"}, utc(2026, 3, 8, 9, 0), utc(2026, 3, 15, 9, 0)},
		{"gap: Sat 23:00-02:30 ends at the jump", []string{"Sat 23:00-02:30"}, utc(2026, 3, 8, 9, 59), time.Time{}},
		{"gap: Sat 23:00-02:30 closed after it", []string{"Sat 23:00-02:30"}, utc(2026, 3, 8, 10, 0), utc(2026, 3, 15, 6, 0)},

		// Fall back, 2026-11-01: 02:00 PDT (09:00Z) becomes 01:00 PST.
		{"repeat: 01:00-02:00 open first time", []string{"Sun 01:00-02:00"}, utc(2026, 11, 1, 8, 30), time.Time{}},
		{"repeat: 01:00-02:00 open second time", []string{"Sun 01:00-02:00"}, utc(2026, 11, 1, 9, 30), time.Time{}},
		{"repeat: 01:00-02:00 closes at 02:00 PST", []string{"Sun 01:00-02:00"}, utc(2026, 11, 1, 10, 0), utc(2026, 11, 8, 9, 0)},
		{"repeat: 01:00-02:00 opens at the first 01:00", []string{"Sun 01:00-02:00"}, utc(2026, 11, 1, 7, 0), utc(2026, 11, 1, 8, 0)},
		{"repeat: 01:15-01:45 only the first time", []string{"Sun 01:15-01:45"}, utc(2026, 11, 1, 9, 30), utc(2026, 11, 8, 9, 15)},
		{"repeat: 00:00-01:30 ends at the first 01:30", []string{"Sun 00:00-01:30"}, utc(2026, 11, 1, 8, 29), time.Time{}},
		{"repeat: Sat 20:00-03:00 spans the extra hour", []string{"Sat 20:00-03:00"}, utc(2026, 11, 1, 10, 59), time.Time{}},
		{"repeat: Sat 20:00-03:00 ends at 03:00 PST", []string{"Sat 20:00-03:00"}, utc(2026, 11, 1, 11, 0), utc(2026, 11, 8, 4, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := laWindows(t, tc.allow...)
			bs := ws.Blockers(tc.now, true, true)
			if tc.open.IsZero() {
				if len(bs) != 0 {
					t.Fatalf("at %v: held by %+v, want open", tc.now.In(la), bs)
				}
				return
			}
			if len(bs) != 1 || bs[0].Kind != BlockerWindow || !bs[0].Until.Equal(tc.open) {
				t.Fatalf("at %v: %+v, want a window blocker until %v", tc.now.In(la), bs, tc.open.In(la))
			}
			// The runner wakes at Until: the window must be open then.
			if again := ws.Blockers(bs[0].Until, true, true); len(again) != 0 {
				t.Fatalf("at Until %v still held: %+v", bs[0].Until.In(la), again)
			}
		})
	}
}

func freezeWindows(t *testing.T, allow []string, freezes ...[3]string) *Windows {
	t.Helper()
	ws := laWindows(t, allow...)
	for _, f := range freezes {
		from, err := ParseFreezeTime(f[0], la, false)
		if err != nil {
			t.Fatal(err)
		}
		to, err := ParseFreezeTime(f[1], la, true)
		if err != nil {
			t.Fatal(err)
		}
		ws.Freezes = append(ws.Freezes, Freeze{From: from, To: to, Reason: f[2]})
	}
	return ws
}

func TestFreezes(t *testing.T) {
	holiday := [3]string{"2026-12-20", "2027-01-04", "Holiday freeze"}
	design := []string{"Mon-Thu 09:00-17:00", "Fri 09:00-12:00"}
	type want struct {
		kind  BlockerKind
		until time.Time
	}
	for _, tc := range []struct {
		name    string
		allow   []string
		freezes [][3]string
		now     time.Time
		ignore  BlockerKind // overridden
		want    []want
	}{
		{"before a date freeze", nil, [][3]string{holiday}, at(2026, 12, 19, 23, 59), "", nil},
		{"a date freeze starts at midnight", nil, [][3]string{holiday}, at(2026, 12, 20, 0, 0), "",
			[]want{{BlockerFreeze, at(2027, 1, 5, 0, 0)}}},
		{"to is included", nil, [][3]string{holiday}, at(2027, 1, 4, 23, 59), "",
			[]want{{BlockerFreeze, at(2027, 1, 5, 0, 0)}}},
		{"the day after to is free", nil, [][3]string{holiday}, at(2027, 1, 5, 0, 0), "", nil},
		{"local datetimes", nil, [][3]string{{"2026-12-18 18:00", "2026-12-19 06:00", "Party"}}, at(2026, 12, 18, 18, 0), "",
			[]want{{BlockerFreeze, at(2026, 12, 19, 6, 0)}}},
		{"a datetime to is excluded", nil, [][3]string{{"2026-12-18 18:00", "2026-12-19 06:00", "Party"}}, at(2026, 12, 19, 6, 0), "", nil},
		{"RFC 3339", nil, [][3]string{{"2026-12-18T18:00:00Z", "2026-12-18T20:00:00Z", "Migration"}}, utc(2026, 12, 18, 19, 0), "",
			[]want{{BlockerFreeze, utc(2026, 12, 18, 20, 0)}}},
		{"freeze inside a window: only the freeze holds", design, [][3]string{holiday}, at(2026, 12, 22, 10, 0), "",
			[]want{{BlockerFreeze, at(2027, 1, 5, 0, 0)}}},
		{"freeze outside a window: the window opens after the freeze", design, [][3]string{holiday}, at(2026, 12, 22, 20, 0), "",
			[]want{{BlockerFreeze, at(2027, 1, 5, 0, 0)}, {BlockerWindow, at(2027, 1, 5, 9, 0)}}},
		{"a window opening inside a freeze is skipped", design, [][3]string{holiday}, at(2026, 12, 18, 13, 0), "",
			[]want{{BlockerWindow, at(2027, 1, 5, 9, 0)}}},
		{"overridden freeze: the window's next opening", design, [][3]string{holiday}, at(2026, 12, 22, 20, 0), BlockerFreeze,
			[]want{{BlockerWindow, at(2026, 12, 23, 9, 0)}}},
		{"overridden window: the freeze alone", design, [][3]string{holiday}, at(2026, 12, 22, 20, 0), BlockerWindow,
			[]want{{BlockerFreeze, at(2027, 1, 5, 0, 0)}}},
		{"touching freezes lift together", nil, [][3]string{{"2026-12-20", "2026-12-24", "A"}, {"2026-12-25", "2026-12-26", "B"}, {"2026-12-26", "2027-01-01", "C"}}, at(2026, 12, 21, 0, 0), "",
			[]want{{BlockerFreeze, at(2027, 1, 2, 0, 0)}}},
		{"a window opening in a later freeze", design, [][3]string{{"2026-11-30", "2026-11-30", "Mon off"}}, at(2026, 11, 27, 13, 0), "",
			[]want{{BlockerWindow, at(2026, 12, 1, 9, 0)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := freezeWindows(t, tc.allow, tc.freezes...)
			bs := ws.Blockers(tc.now, tc.ignore != BlockerFreeze, tc.ignore != BlockerWindow)
			if len(bs) != len(tc.want) {
				t.Fatalf("blockers %+v, want %+v", bs, tc.want)
			}
			for i, b := range bs {
				if b.Kind != tc.want[i].kind || !b.Until.Equal(tc.want[i].until) {
					t.Errorf("blocker %d: %s until %v, want %s until %v (%s)", i, b.Kind, b.Until.In(la), tc.want[i].kind, tc.want[i].until.In(la), b.Reason)
				}
			}
		})
	}
}

func TestWindowReasons(t *testing.T) {
	ws := freezeWindows(t, []string{"Mon-Thu 09:00-17:00", "Fri 09:00-12:00"}, [3]string{"2026-12-20", "2027-01-04", "Holiday freeze"})
	got := ws.Blockers(at(2026, 12, 22, 20, 0), true, true)
	want := []string{
		"Holiday freeze, until Tue Jan 5 2027 00:00 PST (America/Los_Angeles)",
		"outside the deploy windows (Mon-Thu 09:00-17:00, Fri 09:00-12:00 America/Los_Angeles); opens Tue Jan 5 2027 09:00 PST",
	}
	if len(got) != 2 || got[0].Reason != want[0] || got[1].Reason != want[1] {
		t.Fatalf("reasons %+v, want %q", got, want)
	}
	got = ws.Blockers(at(2026, 11, 27, 13, 0), true, true)
	if len(got) != 1 || got[0].Reason != "outside the deploy windows (Mon-Thu 09:00-17:00, Fri 09:00-12:00 America/Los_Angeles); opens Mon Nov 30 09:00 PST" {
		t.Fatalf("reason %+v", got)
	}
}

// Windows travel in the engine state as JSON: the decoded copy must hold
// the same deploys, and a zone unknown where it is decoded must hold rather
// than pass.
func TestWindowsJSON(t *testing.T) {
	ws := freezeWindows(t, []string{"Mon-Thu 09:00-17:00", "Sat 22:00-02:00"}, [3]string{"2026-12-20", "2027-01-04", "Holiday freeze"})
	ws.Stages = []string{"wave-1"}
	data, err := json.Marshal(Pipeline{Name: "app", Windows: ws})
	if err != nil {
		t.Fatal(err)
	}
	var p Pipeline
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	if p.Windows == nil || p.Windows.loc == nil || p.Windows.TimeZone != "America/Los_Angeles" {
		t.Fatalf("decoded windows %+v from %s", p.Windows, data)
	}
	for _, now := range []time.Time{at(2026, 11, 23, 10, 0), at(2026, 11, 28, 12, 0), at(2026, 11, 29, 1, 0), at(2026, 12, 24, 10, 0)} {
		a, b := ws.Blockers(now, true, true), p.Windows.Blockers(now, true, true)
		if len(a) != len(b) || (len(a) > 0 && (a[0].Reason != b[0].Reason || !a[0].Until.Equal(b[0].Until))) {
			t.Errorf("at %v: before encoding %+v, after %+v", now, a, b)
		}
	}
	if !p.Windows.AppliesTo(Stage{Name: "wave-1", Targets: []string{"x"}}) || p.Windows.AppliesTo(Stage{Name: "wave-2", Production: true}) {
		t.Errorf("stages lost: %+v", p.Windows.Stages)
	}

	bad := strings.Replace(string(data), "America/Los_Angeles", "Mars/Olympus_Mons", 1)
	var q Pipeline
	if err := json.Unmarshal([]byte(bad), &q); err != nil {
		t.Fatalf("an unknown zone must not fail the decode: %v", err)
	}
	bs := q.Windows.Blockers(at(2026, 11, 23, 10, 0), true, true)
	if len(bs) != 1 || bs[0].Kind != BlockerWindow || !strings.Contains(bs[0].Reason, "Mars/Olympus_Mons") {
		t.Fatalf("an unknown zone must hold with its reason, got %+v", bs)
	}
}
