package pipeline

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	// The zone database is embedded so that a zone accepted by `wavegate
	// validate` on a laptop is also known to a server whose image ships
	// none: the system's database is still preferred when present.
	_ "time/tzdata"
)

// Windows is a pipeline's windows: section. A deploy of a stage it applies
// to starts only inside one of Allow (any time when Allow is empty) and
// outside every freeze. It is plain data, stored as JSON with the engine
// state: the zone is kept by name and resolved when decoded.
type Windows struct {
	// TimeZone is an IANA zone name; Allow and the freezes' local dates and
	// times are in it.
	TimeZone string
	Allow    []Window `json:",omitempty"`
	Freezes  []Freeze `json:",omitempty"`
	// Stages names the stages held by the windows and freezes; nil means
	// the production stages.
	Stages []string `json:",omitempty"`
	// Org is the organization's windows, merged in by MergeWindows: they
	// hold the production stages beside these.
	Org *Windows `json:",omitempty"`

	loc *time.Location
	// locErr is why TimeZone could not be loaded after decoding: the
	// evaluation then holds every deploy it applies to, never passes them.
	locErr error
}

// Freeze is a period when no deploy starts: [From, To).
type Freeze struct {
	From, To time.Time
	Reason   string
}

// Window is one allow entry: the days it opens on and, on each, the
// minutes of the day from Start to End. End is at most 24*60; an End not
// after Start runs across midnight into the next day, which the window
// still belongs to ("Sat 22:00-02:00" is open early on Sunday).
type Window struct {
	// Days has bit d set for each time.Weekday d the window opens on.
	Days       uint8
	Start, End int
}

const (
	minutesPerDay = 24 * 60
	allDays       = 1<<7 - 1
)

// AllDay reports whether the window is open from midnight to midnight.
func (w Window) AllDay() bool { return w.Start == 0 && w.End == minutesPerDay }

// On reports whether the window opens on day d.
func (w Window) On(d time.Weekday) bool { return w.Days&(1<<d) != 0 }

// mondayFirst is the order days are written in: weeks of deploy windows
// start on Monday.
var mondayFirst = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// String writes the window in the grammar ParseWindow reads, canonically:
// "daily", runs of days as ranges from Monday on, times left out when all
// day. ParseWindow(w.String()) == w.
func (w Window) String() string {
	var b strings.Builder
	if w.Days == allDays {
		b.WriteString("daily")
	} else {
		var parts []string
		for i := 0; i < 7; {
			if !w.On(mondayFirst[i]) {
				i++
				continue
			}
			j := i
			for j+1 < 7 && w.On(mondayFirst[j+1]) {
				j++
			}
			part := dayName(mondayFirst[i])
			if j > i {
				part += "-" + dayName(mondayFirst[j])
			}
			parts = append(parts, part)
			i = j + 1
		}
		b.WriteString(strings.Join(parts, ","))
	}
	if !w.AllDay() {
		fmt.Fprintf(&b, " %s-%s", clockText(w.Start), clockText(w.End))
	}
	return b.String()
}

func dayName(d time.Weekday) string { return d.String()[:3] }

func clockText(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// MarshalText stores a window as it is written.
func (w Window) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (w *Window) UnmarshalText(b []byte) error {
	v, err := ParseWindow(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// UnmarshalJSON decodes the windows and resolves their zone. A zone that
// will not load does not fail the decode, which would stop the whole
// pipeline's engine: it holds the deploys the windows apply to instead,
// with the reason.
func (ws *Windows) UnmarshalJSON(b []byte) error {
	type plain Windows
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*ws = Windows(v)
	ws.loc, ws.locErr = loadZone(ws.TimeZone)
	return nil
}

// loadZone resolves an IANA zone name; "Local" is refused, since it would
// mean whatever the server's zone happens to be.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time zone %q is not an IANA zone name such as America/Los_Angeles or UTC", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	return loc, nil
}

// location is the windows' zone, loaded now if the Windows was built by
// hand rather than parsed or decoded.
func (ws *Windows) location() (*time.Location, error) {
	if ws.loc != nil || ws.locErr != nil {
		return ws.loc, ws.locErr
	}
	return loadZone(ws.TimeZone)
}

// AppliesTo reports whether the windows hold deploys of stage.
func (ws *Windows) AppliesTo(stage Stage) bool {
	if stage.IsApproval() {
		return false
	}
	if ws.Stages == nil {
		return stage.Production
	}
	return slices.Contains(ws.Stages, stage.Name)
}

// allowText lists the allow entries with the zone, for reasons: "Mon-Thu
// 09:00-17:00, Fri 09:00-12:00 America/Los_Angeles".
func (ws *Windows) allowText() string {
	parts := make([]string, len(ws.Allow))
	for i, w := range ws.Allow {
		parts[i] = w.String()
	}
	return strings.Join(parts, ", ") + " " + ws.TimeZone
}
