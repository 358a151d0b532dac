package appcreds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	clientSecret  = "cs-7f3a9c0de1b2"
	webhookSecret = "wh-c0ffee5ecret"
	keyBody       = "MIIEowIBAAKCAQEAc2VjcmV0a2V5bWF0ZXJpYWw="
)

func sample() Credentials {
	return Credentials{
		AppID:         424242,
		Slug:          "wavegate-acme",
		Name:          "Wavegate (acme)",
		HTMLURL:       "https://github.com/apps/wavegate-acme",
		ClientID:      "Iv23liABCDEF",
		ClientSecret:  clientSecret,
		WebhookSecret: webhookSecret,
		PrivateKeyPEM: []byte("-----BEGIN RSA PRIVATE KEY-----\n" + keyBody + "\n-----END RSA PRIVATE KEY-----\n"),
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	want := sample()
	if err := Save(dir, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := Load(dir)
	if err != nil || !ok {
		t.Fatalf("Load = ok %v, err %v", ok, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the credentials:\n got %v\nwant %v", got, want)
	}

	// Saving again replaces the files in place.
	want.Slug = "wavegate-acme-2"
	if err := Save(dir, want); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := Load(dir); got.Slug != want.Slug {
		t.Fatalf("after second Save, slug = %q", got.Slug)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("directory holds %d entries, want only the two credential files: %v", len(entries), entries)
	}
}

func TestSaveFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh")
	if err := Save(dir, sample()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{JSONFile, PEMFile} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s mode = %v, want 0600", name, mode)
		}
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o700 {
		t.Errorf("created directory mode = %v, want 0700", mode)
	}
}

func TestLoadAbsent(t *testing.T) {
	c, ok, err := Load(t.TempDir())
	if err != nil || ok || c.AppID != 0 {
		t.Fatalf("Load of empty dir = %v, %v, %v; want zero, false, nil", c, ok, err)
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	tests := []struct {
		name   string
		json   string
		pem    string
		wantIn string
	}{
		{"malformed json", `{"id": 1, "slug": `, "-----BEGIN X-----\nAA==\n-----END X-----\n", JSONFile},
		{"missing id", `{"slug": "x"}`, "-----BEGIN X-----\nAA==\n-----END X-----\n", JSONFile},
		{"missing pem", `{"id": 1, "slug": "x"}`, "", PEMFile},
		{"not a pem", `{"id": 1, "slug": "x"}`, "not a key", PEMFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, JSONFile), []byte(tt.json), 0o600); err != nil {
				t.Fatal(err)
			}
			if tt.pem != "" {
				if err := os.WriteFile(filepath.Join(dir, PEMFile), []byte(tt.pem), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, ok, err := Load(dir)
			if err == nil || ok {
				t.Fatalf("Load = ok %v, err %v; want an error", ok, err)
			}
			if want := filepath.Join(dir, tt.wantIn); !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not name %s", err, want)
			}
		})
	}
}

func TestSaveRefusesIncompleteCredentials(t *testing.T) {
	c := sample()
	c.PrivateKeyPEM = nil
	dir := t.TempDir()
	if err := Save(dir, c); err == nil {
		t.Fatal("Save without a private key succeeded")
	}
	if _, ok, _ := Load(dir); ok {
		t.Fatal("a refused Save left credentials behind")
	}
}

func TestNoSecretInPrintedForms(t *testing.T) {
	c := sample()
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("registered", "app", c, "ptr", &c)
	var text bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("registered", "app", c)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}

	forms := map[string]string{
		"String":    c.String(),
		"%v":        fmt.Sprintf("%v", c),
		"%+v":       fmt.Sprintf("%+v", c),
		"%#v":       fmt.Sprintf("%#v", c),
		"%s":        fmt.Sprintf("%s", c),
		"%d":        fmt.Sprintf("%d", c),
		"%x":        fmt.Sprintf("%x", c),
		"%q":        fmt.Sprintf("%q", c),
		"ptr %v":    fmt.Sprintf("%v", &c),
		"ptr %+v":   fmt.Sprintf("%+v", &c),
		"slice":     fmt.Sprintf("%v", []Credentials{c}),
		"slog":      logged.String(),
		"slog text": text.String(),
		"json":      string(js),
	}
	for name, out := range forms {
		for _, secret := range []string{clientSecret, webhookSecret, keyBody, "PRIVATE KEY"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s leaks %q: %s", name, secret, out)
			}
		}
		if !strings.Contains(out, "wavegate-acme") {
			t.Errorf("%s lost the slug: %s", name, out)
		}
	}
	if !strings.Contains(c.String(), redacted) {
		t.Errorf("String does not say secrets were redacted: %s", c.String())
	}
}
