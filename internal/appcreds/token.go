package appcreds

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SetupTokenFile holds the one-time setup token while no App is configured.
const SetupTokenFile = "setup-token"

// SetupToken returns the setup token kept in dir, creating it (0600) when
// there is none. An existing token is reused: a restart before setup is done
// must not void the link the operator already copied from the log, and the
// file is as private as the credentials it guards.
func SetupToken(dir string) (token string, created bool, err error) {
	path := filepath.Join(dir, SetupTokenFile)
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if t := strings.TrimSpace(string(data)); validToken(t) {
			return t, false, nil
		}
		// Empty or mangled (a hand edit, a crash mid-write on a filesystem
		// without atomic rename): a fresh one is safer than guessing.
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("read setup token %s: %w", path, err)
	}
	// rand.Text: 26 base32 characters, 130 random bits, safe in a URL.
	token = rand.Text()
	if err := writePrivate(dir, SetupTokenFile, []byte(token+"\n")); err != nil {
		return "", false, fmt.Errorf("create setup token: %w", err)
	}
	return token, true, nil
}

// RemoveSetupToken deletes the setup token once an App is in force; a
// missing file is not an error.
func RemoveSetupToken(dir string) error {
	path := filepath.Join(dir, SetupTokenFile)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the used setup token %s: %w", path, err)
	}
	return nil
}

// validToken accepts what SetupToken writes and any other long URL-safe
// string, so an operator may put a token of their own choosing there.
func validToken(t string) bool {
	if len(t) < 26 || len(t) > 256 {
		return false
	}
	for _, r := range t {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}
