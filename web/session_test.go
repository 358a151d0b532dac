package web

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSessionKey(t *testing.T) {
	dir := t.TempDir()
	key, err := LoadSessionKey(dir)
	if err != nil || len(key) != 32 {
		t.Fatalf("first start: %d bytes, %v", len(key), err)
	}
	path := filepath.Join(dir, SessionKeyFile)
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v: want mode 0600", st, err)
	}
	again, err := LoadSessionKey(dir)
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("a restart must keep the key: %v", err)
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSessionKey(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key others can read: %v, want refused with the fix", err)
	}
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSessionKey(dir); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("a key of 5 bytes: %v", err)
	}
}

// One kind of cookie cannot be passed off as another, and a changed byte
// does not open.
func TestSealer(t *testing.T) {
	s, err := newSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.seal(flashCookie, flash{OK: true, Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var f flash
	if !s.open(flashCookie, v, &f) || f.Text != "x" {
		t.Fatalf("does not open its own cookie")
	}
	var sess session
	if s.open(sessionCookie, v, &sess) {
		t.Errorf("a flash cookie opened as a session")
	}
	b := []byte(v)
	b[len(b)/2] ^= 1
	if s.open(flashCookie, string(b), &f) {
		t.Errorf("a changed cookie opened")
	}
	if s.csrfOK("a", s.csrf("b")) || !s.csrfOK("a", s.csrf("a")) || s.csrfOK("a", "") {
		t.Errorf("CSRF tokens are not per session")
	}
	if _, err := newSealer(make([]byte, 16)); err == nil {
		t.Errorf("a 16-byte key was taken")
	}
}
