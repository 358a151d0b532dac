package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/wavegate/wavegate/app"
	"github.com/wavegate/wavegate/serverconfig"
	"github.com/wavegate/wavegate/store"
)

const auditUsage = `Usage:
  wavegate audit [--repo OWNER/NAME] [--since DATE|DURATION] [--release N] [--limit N] [--json] [--data-dir DIR]

Prints the commands people gave Wavegate (PR comments, check run buttons,
Slack), accepted or refused, oldest first: time (UTC), repository, release,
who (GitHub login and Slack user), surface, the command as typed, the
decision and why. The table cuts long commands and reasons; --json prints
every field of each entry whole, one JSON object a line.

The database is opened read-only: it can be read beside a running
wavegate serve and nothing in it changes.
`

// auditCell is the widest a command or reason is shown in the table.
const auditCell = 72

// audit prints the audit log of commands. Exit codes: 0 printed (even
// nothing), 1 the log could not be read, 2 usage.
func audit(args []string, c cli) int {
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fs := auditFlags(c, new(auditOptions))
		fs.SetOutput(c.stdout)
		fs.Usage()
		return 0
	}
	var o auditOptions
	fs := auditFlags(c, &o)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2 // flag printed the error and the usage
	}
	filter, err := o.filter(fs, c.clock.Now())
	if err != nil {
		fmt.Fprintf(c.stderr, "wavegate audit: %v\n\n%s", err, auditUsage)
		return 2
	}

	ctx := context.Background()
	path := filepath.Join(o.dataDir, app.DatabaseFile)
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(c.stderr, "wavegate audit: no database at %s (%v); pass --data-dir, or set %s, to the directory wavegate serve uses\n",
			path, err, serverconfig.EnvName("data-dir"))
		return 1
	}
	r, err := app.OpenAuditLog(ctx, path)
	if err != nil {
		fmt.Fprintln(c.stderr, "wavegate audit:", err)
		return 1
	}
	defer r.Close()
	entries, err := r.AuditLog(ctx, filter)
	if err != nil {
		fmt.Fprintln(c.stderr, "wavegate audit:", err)
		return 1
	}
	if o.json {
		err = printAuditJSON(c, entries)
	} else {
		err = printAuditTable(c, entries)
	}
	if err != nil {
		fmt.Fprintln(c.stderr, "wavegate audit:", err)
		return 1
	}
	if len(entries) == 0 {
		fmt.Fprintln(c.stderr, "no commands match")
	}
	return 0
}

type auditOptions struct {
	repo, since, dataDir string
	release, limit       int64
	json                 bool
}

func auditFlags(c cli, o *auditOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), auditUsage, "\nFlags:\n"); fs.PrintDefaults() }
	fs.StringVar(&o.repo, "repo", "", "only commands about this repository (OWNER/NAME, any case)")
	fs.StringVar(&o.since, "since", "", "only commands from this time on: a date (2026-11-21, UTC), a time (2026-11-21T09:30:00Z)\n"+
		"or how long ago (36h, 7d)")
	fs.Int64Var(&o.release, "release", 0, "only commands about this release of --repo")
	fs.Int64Var(&o.limit, "limit", 0, "only the most recent N; 0 shows all")
	fs.BoolVar(&o.json, "json", false, "one JSON object a line instead of a table")
	fs.StringVar(&o.dataDir, "data-dir", cmp.Or(c.getenv(serverconfig.EnvName("data-dir")), serverconfig.DefaultConfig().DataDir),
		"the data directory wavegate serve uses (env "+serverconfig.EnvName("data-dir")+")")
	return fs
}

func (o auditOptions) filter(fs *flag.FlagSet, now time.Time) (store.AuditFilter, error) {
	f := store.AuditFilter{Repository: o.repo, ReleaseID: o.release, Limit: int(o.limit)}
	switch {
	case fs.NArg() > 0:
		return f, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.repo != "" && (strings.Count(o.repo, "/") != 1 || strings.HasPrefix(o.repo, "/") || strings.HasSuffix(o.repo, "/")):
		return f, fmt.Errorf("--repo %q: want OWNER/NAME", o.repo)
	case o.release < 0:
		return f, fmt.Errorf("--release %d: want a release number, 1 or more", o.release)
	case o.release > 0 && o.repo == "":
		return f, fmt.Errorf("--release %d needs --repo: release numbers are per repository", o.release)
	case o.limit < 0:
		return f, errors.New("--limit must be 0 or more")
	}
	if o.since != "" {
		since, err := parseSince(o.since, now)
		if err != nil {
			return f, err
		}
		f.Since = since
	}
	return f, nil
}

// parseSince reads a date or time, or a duration counted back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if n, err = strconv.Atoi(days); err == nil {
			d = time.Duration(n) * 24 * time.Hour
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("--since %q: want a date (2026-11-21), a time (2026-11-21T09:30:00Z) or how long ago (36h, 7d)", s)
	}
	return now.Add(-d), nil
}

func printAuditTable(c cli, entries []store.AuditEntry) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tREPOSITORY\tRELEASE\tWHO\tSURFACE\tCOMMAND\tDECISION\tWHY")
	for _, e := range entries {
		release := "-"
		if e.ReleaseID != 0 {
			release = strconv.FormatInt(e.ReleaseID, 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format("2006-01-02 15:04:05"),
			cmp.Or(cell(e.Repository, 0), "-"), release, who(e), cell(e.Surface, 0), cell(e.Line, auditCell),
			cell(e.Decision, 0), cmp.Or(cell(e.Why, auditCell), "-"))
	}
	return tw.Flush()
}

// who names the person: the GitHub login they acted as and, from Slack, the
// Slack user.
func who(e store.AuditEntry) string {
	login, slack := cell(e.Login, 0), cell(e.SlackUser, 0)
	switch {
	case slack == "":
		return cmp.Or(login, "-")
	case login == "":
		return "slack:" + slack + " (unlinked)"
	}
	return login + " (slack:" + slack + ")"
}

// cell keeps a value people typed on its row and harmless to the terminal
// (no escape sequences), cut to max runes when max > 0.
func cell(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return '?'
		}
		return r
	}, oneLine(s))
	if r := []rune(s); max > 0 && len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

// auditJSON is one line of --json: every field, whole, under stable names.
type auditJSON struct {
	Seq            int64     `json:"seq"`
	RequestID      string    `json:"request_id"`
	At             time.Time `json:"at"`
	InstallationID int64     `json:"installation_id"`
	Repository     string    `json:"repository"`
	Pipeline       string    `json:"pipeline"`
	ReleaseID      int64     `json:"release_id"`
	Login          string    `json:"login"`
	SlackUser      string    `json:"slack_user"`
	Surface        string    `json:"surface"`
	Source         string    `json:"source"`
	Line           string    `json:"line"`
	Verb           string    `json:"verb"`
	Reason         string    `json:"reason"`
	Decision       string    `json:"decision"`
	Why            string    `json:"why"`
}

func printAuditJSON(c cli, entries []store.AuditEntry) error {
	enc := json.NewEncoder(c.stdout)
	for _, e := range entries {
		if err := enc.Encode(auditJSON(e)); err != nil {
			return fmt.Errorf("write entry %d: %w", e.Seq, err)
		}
	}
	return nil
}
