package deploy

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wavegate/wavegate/pipeline"
)

// Definition is one command deployer the operator defines, an entry of
// deployers: in Wavegate's config file. Only these programs ever run for a
// deploy: a repository names one, never gives its own, because whoever can
// merge to a repository must not run code beside Wavegate's secrets.
type Definition struct {
	// Command is the program and its arguments; a relative program is
	// relative to Dir.
	Command []string
	// Env is added to the program's environment.
	Env map[string]string
	// User is who the program runs as; required when Wavegate runs as root.
	User string
	// Dir is the program's working directory; Wavegate's when empty.
	Dir string
	// Timeout, when set, caps the pipeline's deploy_timeout: the smaller wins.
	Timeout time.Duration
	// At is where the file defines it ("wavegate.yml:12:3"), for messages;
	// empty when set in code.
	At string
}

// Prepare checks the deployers against this machine, as Wavegate
// running with effective user id euid, and makes their commands. Every
// problem is an error at start: a deployer that cannot run safely must not
// wait for a release to say so. warnings say what is allowed but risky.
func Prepare(defs map[string]Definition, workDir string, euid int) (map[string]Command, []string, error) {
	cmds := map[string]Command{}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		cmd, err := prepare(name, defs[name], workDir, euid)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cmds[name] = cmd
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	var warnings []string
	if euid != 0 && len(defs) > 0 {
		warnings = append(warnings, fmt.Sprintf("deploy commands run as Wavegate's own user (uid %d) and can read its files, "+
			"the App's private key in the data directory included: run Wavegate as root with user: set on each deployer, "+
			"so that deploys run as an unprivileged user of their own", euid))
	}
	return cmds, warnings, nil
}

func prepare(name string, d Definition, workDir string, euid int) (Command, error) {
	// Errors read like the config file's own: file:line:col: error: ...
	where := "deployers." + name
	if d.At != "" {
		where = d.At + ": error: " + where
	}
	fail := func(format string, args ...any) (Command, error) {
		return Command{}, fmt.Errorf("%s%s", where, fmt.Sprintf(format, args...))
	}
	if !pipeline.ValidDeployerName(name) {
		return fail(": the name is not allowed: use %s", pipeline.NameRule())
	}
	if len(d.Command) == 0 || d.Command[0] == "" {
		return fail(".command is empty: it needs at least the program to run")
	}
	for k := range d.Env {
		if !ValidEnvName(k) || strings.HasPrefix(strings.ToUpper(k), "WAVEGATE_") {
			return fail(".env: %q is not allowed: WAVEGATE_* names are the step's, and a name is letters, digits and \"_\"", k)
		}
	}
	dir := d.Dir
	if dir == "" {
		dir = workDir
	}
	if st, err := os.Stat(dir); err != nil {
		return fail(".dir: %v", err)
	} else if !st.IsDir() {
		return fail(".dir: %s is not a directory", dir)
	}
	cmd := Command{Argv: slices.Clone(d.Command), Dir: dir, SetEnv: maps.Clone(d.Env), Timeout: d.Timeout}
	if d.User == "" {
		if euid == 0 {
			return fail(" has no user:, and Wavegate runs as root: set user: to an unprivileged account made for deploys " +
				"(such as wavegate-deploy), so that deploys cannot read Wavegate's secrets")
		}
		return cmd, nil
	}
	acct, err := LookupAccount(d.User)
	if err != nil {
		return fail(".user: %v; create the user or name another", err)
	}
	switch {
	case acct.UID == 0:
		return fail(".user: %s has uid 0: deploys must run as an unprivileged user", d.User)
	case euid == 0:
		cmd.Account = acct
	case acct.UID != uint32(euid):
		return fail(".user: Wavegate runs as uid %d, which cannot start programs as %s: run Wavegate as root, or leave user: out", euid, d.User)
	}
	// Otherwise Wavegate runs as that user already: nothing to switch.
	return cmd, nil
}

// ValidEnvName says whether s can name an environment variable: letters,
// digits and "_", not starting with a digit.
func ValidEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
