package appcreds

import (
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// SetupURL is where to open the setup flow, setup token included: on
// publicURL when set, else on addr as a browser on this machine reaches
// it. It is empty once an App is in force: the token grants nothing then.
func (l *Live) SetupURL(publicURL string, addr net.Addr) string {
	if l.setupToken == "" || l.Current().Complete() {
		return ""
	}
	base := strings.TrimRight(publicURL, "/")
	if base == "" {
		base = "http://" + localAddress(addr)
	}
	return base + "/?token=" + url.QueryEscape(l.setupToken)
}

// LogSetupURL logs SetupURL, when there is one, once at start. It is the
// one secret Wavegate logs on purpose: whoever starts a fresh instance
// must get it somewhere, and the log is where they look.
func (l *Live) LogSetupURL(log *slog.Logger, publicURL string, addr net.Addr) {
	if u := l.SetupURL(publicURL, addr); u != "" {
		log.Warn("GitHub App not configured: to set it up, open this URL (it holds the one-time setup token, also in "+
			filepath.Join(l.dir, SetupTokenFile)+")", "url", u)
	}
}

// localAddress is how a browser on this machine reaches addr.
func localAddress(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
