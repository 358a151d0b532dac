package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wavegate/wavegate/app"
	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/serverconfig"
	"github.com/wavegate/wavegate/store"
)

// pickupNote says when a running server takes a retried delivery: its idle
// inbox workers look for work they were not told about every minute
// (inbox.Options.Poll, which serve leaves at its default).
const pickupNote = "A running wavegate serve on this data directory takes retried deliveries within a minute " +
	"(its idle workers look for new work every minute); a stopped one takes them when it starts."

// cli is what a command needs from its surroundings, replaced by tests.
type cli struct {
	getenv         func(string) string
	stdout, stderr io.Writer
	clock          clock.Clock
	// whoami names the operator in audit lines.
	whoami func() string
}

// osUser is the operating-system user running the command.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + strconv.Itoa(os.Getuid())
}

// deliveries lists the inbox's deliveries and stores dead ones again, on
// the SQLite file directly: its WAL lets it run beside a serving process.
// Exit codes: 0 done, 1 something could not be done, 2 usage.
func deliveries(args []string, c cli) int {
	const usage = `Usage:
  wavegate deliveries list [--dead] [--limit N] [--data-dir DIR]
  wavegate deliveries retry ID... | --all-dead [--data-dir DIR]

list   shows stored webhook deliveries, newest first: id, event, action,
       repository, state, attempts, when received, last error.
retry  processes dead deliveries again, as GitHub's Redeliver does: each
       becomes pending with no attempts, at the end of its repository's
       queue, keeping its payload and its last error. Each is printed as
       an audit line (when, who, what).
`
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := c.stderr
		if len(args) > 0 {
			w = c.stdout
		}
		fmt.Fprint(w, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("deliveries "+sub, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage, "\nFlags of ", sub, ":\n"); fs.PrintDefaults() }
	dataDir := fs.String("data-dir", cmp.Or(c.getenv(serverconfig.EnvName("data-dir")), serverconfig.DefaultConfig().DataDir),
		"the data directory wavegate serve uses (env "+serverconfig.EnvName("data-dir")+")")
	var dead, allDead *bool
	var limit *int
	switch sub {
	case "list":
		dead = fs.Bool("dead", false, "only dead deliveries")
		limit = fs.Int("limit", 50, "show at most this many; 0 shows all")
	case "retry":
		allDead = fs.Bool("all-dead", false, "retry every dead delivery")
	default:
		fmt.Fprintf(c.stderr, "wavegate deliveries: unknown subcommand %q\n\n%s", sub, usage)
		return 2
	}
	ids, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	switch {
	case sub == "list" && len(ids) > 0:
		fmt.Fprintf(c.stderr, "wavegate deliveries list: unexpected arguments %q\n", ids)
		return 2
	case sub == "list" && *limit < 0:
		fmt.Fprintln(c.stderr, "wavegate deliveries list: --limit must be 0 or more")
		return 2
	case sub == "retry" && (len(ids) > 0) == *allDead:
		fmt.Fprintln(c.stderr, "wavegate deliveries retry: name delivery ids or pass --all-dead, not both nor neither")
		return 2
	}

	ctx := context.Background()
	st, err := openExisting(ctx, *dataDir)
	if err != nil {
		fmt.Fprintln(c.stderr, "wavegate deliveries:", err)
		return 1
	}
	defer st.Close()
	if sub == "list" {
		filter := store.DeliveryFilter{Limit: *limit}
		if *dead {
			filter.State = store.DeliveryDead
		}
		return listDeliveries(ctx, st, filter, c)
	}
	return retryDeliveries(ctx, st, ids, c)
}

// openExisting opens the database of dataDir, refusing to create one: a
// mistyped directory should say so, not show an empty inbox.
func openExisting(ctx context.Context, dataDir string) (store.Store, error) {
	path := filepath.Join(dataDir, app.DatabaseFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no database at %s (%w); pass --data-dir, or set %s, to the directory wavegate serve uses",
			path, err, serverconfig.EnvName("data-dir"))
	}
	st, err := app.OpenStore(ctx, path)
	if err != nil {
		return nil, err
	}
	return st, nil
}

func listDeliveries(ctx context.Context, st store.Store, f store.DeliveryFilter, c cli) int {
	ds, err := st.ListDeliveries(ctx, f)
	if err != nil {
		fmt.Fprintln(c.stderr, "wavegate deliveries list:", err)
		return 1
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEVENT\tACTION\tREPOSITORY\tSTATE\tATTEMPTS\tRECEIVED\tLAST ERROR")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", oneLine(d.ID), oneLine(d.Event), cmp.Or(oneLine(d.Action), "-"),
			cmp.Or(oneLine(d.Repository), "-"), d.State, d.Attempts, d.ReceivedAt.UTC().Format(time.RFC3339),
			cmp.Or(oneLine(d.LastError), "-"))
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintln(c.stderr, "wavegate deliveries list:", err)
		return 1
	}
	if len(ds) == 0 {
		fmt.Fprintln(c.stderr, "no deliveries match")
	}
	return 0
}

func retryDeliveries(ctx context.Context, st store.Store, ids []string, c cli) int {
	if len(ids) == 0 { // --all-dead
		dead, err := st.ListDeliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
		if err != nil {
			fmt.Fprintln(c.stderr, "wavegate deliveries retry:", err)
			return 1
		}
		for _, d := range dead {
			ids = append(ids, d.ID)
		}
		if len(ids) == 0 {
			fmt.Fprintln(c.stdout, "No dead deliveries to retry.")
			return 0
		}
	}
	who, code, retried := c.whoami(), 0, 0
	for _, id := range ids {
		now := c.clock.Now()
		prev, err := st.RetryDead(ctx, id, now)
		if err != nil {
			fmt.Fprintln(c.stderr, "wavegate deliveries retry:", err)
			code = 1
			continue
		}
		retried++
		fmt.Fprintf(c.stdout, "%s audit: %s retried dead delivery %s (%s, %s; it died after %s: %s)\n",
			now.UTC().Format(time.RFC3339), who, oneLine(id), eventName(prev), cmp.Or(oneLine(prev.Repository), "no repository"),
			attempts(prev.Attempts), cmp.Or(oneLine(prev.LastError), "no error recorded"))
	}
	if retried > 0 {
		fmt.Fprintln(c.stdout, pickupNote)
	}
	return code
}

func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}

func eventName(d store.Delivery) string {
	if d.Action == "" {
		return oneLine(d.Event)
	}
	return oneLine(d.Event + "." + d.Action)
}

// oneLine keeps a value from payloads or errors on its table row or audit
// line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// parseInterspersed parses flags wherever they appear among the arguments
// (flag stops at the first argument), returning the others in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
