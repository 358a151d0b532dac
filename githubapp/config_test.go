package githubapp

import (
	"strings"
	"testing"
)

func TestWebURL(t *testing.T) {
	tests := []struct{ api, want string }{
		{"https://api.github.com/", "https://github.com"},
		{"https://api.github.com", "https://github.com"},
		{"", "https://github.com"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com"},
		{"https://proxy.example.com/ghe/api/v3/", "https://proxy.example.com/ghe"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
		{"http://127.0.0.1:8080/some/path/", "http://127.0.0.1:8080"},
		{"not a url", ""},
	}
	for _, tt := range tests {
		if got := WebURL(tt.api); got != tt.want {
			t.Errorf("WebURL(%q) = %q, want %q", tt.api, got, tt.want)
		}
	}
}

func TestBaseURLNormalized(t *testing.T) {
	tests := []struct{ in, api, upload, ghinst string }{
		{"", "https://api.github.com/", "https://uploads.github.com/", "https://api.github.com"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/", "https://ghe.example.com/api/uploads/", "https://ghe.example.com/api/v3"},
		{"http://127.0.0.1:9/", "http://127.0.0.1:9/", "http://127.0.0.1:9/", "http://127.0.0.1:9"},
	}
	_, pemKey := newKey(t)
	for _, tt := range tests {
		c, err := New(Config{AppID: testAppID, PrivateKey: pemKey, BaseURL: tt.in})
		if err != nil {
			t.Fatalf("New(BaseURL %q): %v", tt.in, err)
		}
		if got := c.App().BaseURL.String(); got != tt.api {
			t.Errorf("BaseURL %q: App().BaseURL = %q, want %q", tt.in, got, tt.api)
		}
		if got := c.App().UploadURL.String(); got != tt.upload {
			t.Errorf("BaseURL %q: App().UploadURL = %q, want %q", tt.in, got, tt.upload)
		}
		if got := c.ghinstallationBase(); got != tt.ghinst {
			t.Errorf("BaseURL %q: token base = %q, want %q", tt.in, got, tt.ghinst)
		}
		gh, err := c.Installation(1)
		if err != nil {
			t.Fatal(err)
		}
		if got := gh.BaseURL.String(); got != tt.api {
			t.Errorf("BaseURL %q: Installation().BaseURL = %q, want %q", tt.in, got, tt.api)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, pemKey := newKey(t)
	const secret = "c2VjcmV0LWtleS1tYXRlcmlhbC1kby1ub3QtbG9n"
	garbagePEM := []byte("-----BEGIN RSA PRIVATE KEY-----\n" + secret + "\n-----END RSA PRIVATE KEY-----\n")
	tests := []struct {
		name    string
		cfg     Config
		want    string
		secrets []string
	}{
		{"garbage PEM", Config{AppID: 1, PrivateKey: garbagePEM}, "private key (", []string{secret, "PRIVATE KEY-----"}},
		{"not PEM", Config{AppID: 1, PrivateKey: []byte(secret)}, "not PEM-encoded", []string{secret}},
		{"empty key", Config{AppID: 1}, "could not be parsed: it is empty", nil},
		{"zero app id", Config{PrivateKey: pemKey}, "app id 0", nil},
		{"relative base URL", Config{AppID: 1, PrivateKey: pemKey, BaseURL: "ghe.example.com/api/v3"}, "want an absolute http(s) URL", nil},
		{"ftp base URL", Config{AppID: 1, PrivateKey: pemKey, BaseURL: "ftp://ghe.example.com/"}, "want an absolute http(s) URL", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if err == nil {
				t.Fatalf("New = %v, want an error", c)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q quotes the key (%q)", err, s)
				}
			}
		})
	}
}

func TestNewAnonymousWithBadBaseURLFailsEveryCall(t *testing.T) {
	gh := NewAnonymous(Config{BaseURL: "ftp://ghe.example.com/"})
	_, _, err := gh.Apps.CompleteAppManifest(t.Context(), "code")
	if err == nil || !strings.Contains(err.Error(), "want an absolute http(s) URL") {
		t.Fatalf("call through a misconfigured anonymous client: err = %v, want the configuration error", err)
	}
}
