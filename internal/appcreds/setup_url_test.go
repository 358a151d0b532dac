package appcreds

import (
	"log/slog"
	"net"
	"net/url"
	"testing"

	"github.com/wavegate/wavegate/githubapp"
)

func TestSetupURL(t *testing.T) {
	l, err := LoadLive(t.TempDir(), Overrides{}, githubapp.Config{})
	if err != nil {
		t.Fatal(err)
	}
	token := url.QueryEscape(l.SetupToken())
	for _, tc := range []struct {
		public string
		addr   net.Addr
		want   string
	}{
		{"", &net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "http://localhost:8080/?token=" + token},
		{"", &net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "http://localhost:8080/?token=" + token},
		{"", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3000}, "http://127.0.0.1:3000/?token=" + token},
		{"", &net.TCPAddr{IP: net.IPv6loopback, Port: 3000}, "http://[::1]:3000/?token=" + token},
		{"https://wavegate.example.com/", &net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "https://wavegate.example.com/?token=" + token},
	} {
		if got := l.SetupURL(tc.public, tc.addr); got != tc.want {
			t.Errorf("SetupURL(%q, %v) = %q, want %q", tc.public, tc.addr, got, tc.want)
		}
	}
	if err := l.Register(Credentials{AppID: 9, Slug: "wavegate", WebhookSecret: "s", PrivateKeyPEM: testKeyPEM(t)}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if got := l.SetupURL("", &net.TCPAddr{IP: net.IPv4zero, Port: 8080}); got != "" {
		t.Errorf("SetupURL with an App in force = %q, want none", got)
	}
}
