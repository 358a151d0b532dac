package appcreds

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// secretFiles are the data directory's files that hold secrets: the key, the
// webhook and client secrets, and the setup token.
func secretFiles() []struct{ name, holds string } {
	return []struct{ name, holds string }{
		{PEMFile, "the GitHub App's private key"},
		{JSONFile, "the GitHub App's webhook secret"},
		{SetupTokenFile, "the one-time setup token"},
	}
}

// PrepareDir creates dir 0700 when it does not exist and refuses a data
// directory that others could tamper with: writable by its group or by
// everyone (they could swap github-app.pem for their own key), or holding a
// secret file that they could read or write. The error names the path and
// the chmod that fixes it.
func PrepareDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create data directory %s: %w", dir, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("check data directory: %w", err)
	case !st.IsDir():
		return fmt.Errorf("data directory %s is not a directory: point --data-dir at a directory (Wavegate creates it when missing)", dir)
	}
	if err := checkMode(dir, st.Mode(), 0o022, "700",
		"anyone who can write there can replace the App's credentials"); err != nil {
		return fmt.Errorf("data directory %w", err)
	}
	for _, f := range secretFiles() {
		path := filepath.Join(dir, f.name)
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("check %s: %w", path, err)
		}
		if err := checkMode(path, st.Mode(), 0o077, "600", "it holds "+f.holds); err != nil {
			return err
		}
	}
	return nil
}

// CheckPrivateKeyFile refuses a --github-private-key-path file that anyone
// may read or that others may write. Read access for the file's group is
// allowed: a key provisioned by root for Wavegate's group is a common setup.
func CheckPrivateKeyFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("check private key file %s: %w", path, err)
	}
	return checkMode(path, st.Mode(), 0o026, "600",
		"it holds the GitHub App's private key (640 also works, if Wavegate reads it through its group)")
}

// checkMode reports mode's bits in forbidden as an error naming path and
// the chmod to run. Windows has no such bits, so it checks nothing there.
func checkMode(path string, mode fs.FileMode, forbidden fs.FileMode, fix, why string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	bad := mode.Perm() & forbidden
	if bad == 0 {
		return nil
	}
	return fmt.Errorf("%s is %s (mode %04o): %s; fix it with: chmod %s %s",
		path, describeAccess(bad), mode.Perm(), why, fix, shellQuote(path))
}

// describeAccess says who may do what, from the offending bits only.
func describeAccess(bad fs.FileMode) string {
	var parts []string
	if bad&0o044 != 0 {
		parts = append(parts, "readable by "+whom(bad&0o040 != 0, bad&0o004 != 0))
	}
	if bad&0o022 != 0 {
		parts = append(parts, "writable by "+whom(bad&0o020 != 0, bad&0o002 != 0))
	}
	if bad&0o011 != 0 && len(parts) == 0 {
		parts = append(parts, "accessible by "+whom(bad&0o010 != 0, bad&0o001 != 0))
	}
	return strings.Join(parts, " and ")
}

func whom(group, others bool) string {
	switch {
	case group && others:
		return "its group and all users"
	case group:
		return "its group"
	default:
		return "all users"
	}
}

// shellQuote makes the suggested command safe to paste for any path.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
