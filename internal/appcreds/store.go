package appcreds

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// fileFormat is github-app.json; the private key lives beside it in
// github-app.pem so that tools expecting a PEM file can use it as is.
type fileFormat struct {
	ID            int64  `json:"id"`
	Slug          string `json:"slug"`
	Name          string `json:"name"`
	HTMLURL       string `json:"html_url"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	WebhookSecret string `json:"webhook_secret"`
}

// Save writes c into dir (created 0700 when missing) as github-app.pem and
// github-app.json, each readable by the owner only. The JSON file is written
// last: Load treats its presence as "credentials saved", so a crash halfway
// leaves the directory looking unconfigured rather than half-configured.
func Save(dir string, c Credentials) error {
	if err := validate(c); err != nil {
		return fmt.Errorf("save GitHub App credentials in %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save GitHub App credentials: create directory %s: %w", dir, err)
	}
	data, err := json.MarshalIndent(fileFormat{
		ID:            c.AppID,
		Slug:          c.Slug,
		Name:          c.Name,
		HTMLURL:       c.HTMLURL,
		ClientID:      c.ClientID,
		ClientSecret:  c.ClientSecret,
		WebhookSecret: c.WebhookSecret,
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("save GitHub App credentials: encode %s: %w", JSONFile, err)
	}
	if err := writePrivate(dir, PEMFile, c.PrivateKeyPEM); err != nil {
		return err
	}
	if err := writePrivate(dir, JSONFile, append(data, '\n')); err != nil {
		return err
	}
	return syncDir(dir)
}

// writePrivate replaces dir/name atomically with data. The temporary file is
// created 0600 from the start (os.CreateTemp), so the secret is never
// readable by others, not even between create and rename.
func writePrivate(dir, name string, data []byte) (err error) {
	path := filepath.Join(dir, name)
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	// CreateTemp already uses 0600; Chmod states it and survives a future
	// change of CreateTemp's default.
	if err = f.Chmod(0o600); err != nil {
		return fmt.Errorf("write %s: restrict permissions: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: close: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: rename into place: %w", path, err)
	}
	return nil
}

// syncDir makes the renames durable: without it a power cut can bring back
// the directory as it was before Save.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("save GitHub App credentials: open %s to sync: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("save GitHub App credentials: sync directory %s: %w", dir, err)
	}
	return nil
}

// Load reads the credentials Save wrote in dir. ok is false, with no error,
// when github-app.json does not exist: Wavegate has not been registered yet.
func Load(dir string) (c Credentials, ok bool, err error) {
	jsonPath := filepath.Join(dir, JSONFile)
	data, err := os.ReadFile(jsonPath)
	if errors.Is(err, fs.ErrNotExist) {
		return Credentials{}, false, nil
	}
	if err != nil {
		return Credentials{}, false, fmt.Errorf("read GitHub App credentials %s: %w", jsonPath, err)
	}
	var f fileFormat
	if err := json.Unmarshal(data, &f); err != nil {
		return Credentials{}, false, fmt.Errorf("read GitHub App credentials %s: malformed JSON: %w", jsonPath, err)
	}
	pemPath := filepath.Join(dir, PEMFile)
	key, err := os.ReadFile(pemPath)
	if err != nil {
		return Credentials{}, false, fmt.Errorf("read GitHub App private key %s (beside %s): %w", pemPath, JSONFile, err)
	}
	if block, _ := pem.Decode(key); block == nil {
		return Credentials{}, false, fmt.Errorf("read GitHub App private key %s: no PEM block in the file", pemPath)
	}
	c = Credentials{
		AppID:         f.ID,
		Slug:          f.Slug,
		Name:          f.Name,
		HTMLURL:       f.HTMLURL,
		ClientID:      f.ClientID,
		ClientSecret:  f.ClientSecret,
		WebhookSecret: f.WebhookSecret,
		PrivateKeyPEM: key,
	}
	if err := validate(c); err != nil {
		return Credentials{}, false, fmt.Errorf("read GitHub App credentials %s: %w", jsonPath, err)
	}
	return c, true, nil
}

// validate checks what every use of the credentials needs; it names fields,
// never values.
func validate(c Credentials) error {
	switch {
	case c.AppID <= 0:
		return errors.New("the App id is missing or not positive")
	case c.Slug == "":
		return errors.New("the App slug is missing")
	case len(c.PrivateKeyPEM) == 0:
		return errors.New("the private key is missing")
	}
	return nil
}
