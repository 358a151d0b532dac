package demo

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wavegate/wavegate/app"
	"github.com/wavegate/wavegate/internal/fakes/githubfake"
	"github.com/wavegate/wavegate/serverconfig"
)

// The demo's simulated world: one organization, one repository, its people.
const (
	owner    = "demo"
	repoName = "shop"
	repoFull = owner + "/" + repoName
	// installationID is the App's one installation, on the demo organization.
	installationID = 1
	repoID         = 4242
	// channelID is the simulated Slack channel the pipeline reports to.
	channelID = "C0DEPLOYS"

	// viewer is the person watching, who signs in to the pages as @you,
	// with maintain so that they can approve, resume and override there.
	viewer = "you"
	// The simulated people: authors, a reviewer, a release manager who
	// approves, and a maintainer who resumes a held stage.
	authorAna  = "ana"
	authorLee  = "lee"
	reviewer   = "sam"
	approver   = "riley"
	maintainer = "max"

	// ClientSecret is the OAuth client secret of the demo's App; nothing
	// real can be reached with it.
	ClientSecret = "demo-client-secret"
)

// pipelineYAML is demo/shop's .github/wavegate.yml: the review gate, and a
// pipeline alpha → beta → gamma → release-approval → three production
// waves, each target one-box first, wave-1 counting data points.
// deploy_timeout is long because a simulated deploy reports in minutes of
// demo time, but a slow machine stretches that; the alarm interval is long
// because at the demo's speed 15s would be a query every 25ms.
const pipelineYAML = `review:
  approvals: 1
  checklist:
    - Sufficient test coverage
    - Rollback tested

pipelines:
  shop:
    branch: main
    deployer: github
    deploy_timeout: 24h
    slack_channel: "#deploys"
    alarms:
      match: {service: shop}
      resolve_timeout: 1h
      interval: 10m
    datapoints: '` + datapointsQuery + `'
    overrides: {permission: maintain}
    stages:
      - {name: alpha, targets: [alpha], bake: 10m}
      - {name: beta, targets: [beta], bake: 10m}
      - {name: gamma, targets: [gamma-us-east-1, gamma-eu-west-1], parallel: 2, onebox: true, bake: 30m}
      - {name: release-approval, approval: {timeout: 168h}}
      - {name: wave-1, targets: [prod-us-west-2a], onebox: true, bake: 1h, min_datapoints: 3000}
      - {name: wave-2, targets: [prod-us-east-1a, prod-us-east-1b], parallel: 2, onebox: true, bake: 1h}
      - {name: wave-3, targets: [prod-eu-west-1, prod-ap-southeast-1, prod-sa-east-1], parallel: 3, onebox: true, bake: 30m}
`

// credentials are the App's, made up for one run.
type credentials struct {
	appID         int64
	privateKey    *rsa.PrivateKey
	privateKeyPEM string
	webhookSecret string
	alertToken    string
	clientID      string
	clientSecret  string
}

func newCredentials() (credentials, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return credentials{}, fmt.Errorf("generate the demo App's private key: %w", err)
	}
	return credentials{
		appID:         1,
		privateKey:    key,
		privateKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		webhookSecret: rand.Text(),
		alertToken:    rand.Text(),
		clientID:      "Iv1.demo" + strings.ToLower(rand.Text()[:8]),
		clientSecret:  ClientSecret,
	}, nil
}

// appConfig is the whole of the demo's Wavegate configuration: every URL
// in it is on loopback. The web pages need sign-in, through the simulated
// GitHub's authorize page with the App's made-up client.
func appConfig(listen, dataDir, githubURL, slackURL, prometheusURL string, creds credentials) app.Config {
	cfg := serverconfig.DefaultConfig()
	cfg.Listen = listen
	cfg.DataDir = dataDir
	cfg.PublicURL = "http://" + listen
	cfg.GitHubAppID = creds.appID
	cfg.GitHubPrivateKey = creds.privateKeyPEM
	cfg.GitHubWebhookSecret = creds.webhookSecret
	cfg.GitHubAPIURL = githubURL
	cfg.GitHubOrg = owner
	cfg.SlackBotToken = "xoxb-demo-" + strings.ToLower(rand.Text()[:12])
	cfg.SlackAPIURL = slackURL
	cfg.AlertmanagerToken = creds.alertToken
	cfg.PrometheusURL = prometheusURL
	cfg.GitHubClientID, cfg.GitHubClientSecret = creds.clientID, creds.clientSecret
	cfg.Workers = 4
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg
}

// configURLs lists every URL the configuration gives Wavegate, by what it
// is, for the check that none leaves loopback.
func configURLs(cfg app.Config) map[string]string {
	return map[string]string{
		"listen": "http://" + cfg.Listen, "public URL": cfg.PublicURL, "GitHub API": cfg.GitHubAPIURL,
		"Slack API": cfg.SlackAPIURL, "Prometheus": cfg.PrometheusURL,
	}
}

// checkLoopback refuses any URL whose host is not loopback; "" is no URL.
func checkLoopback(urls map[string]string) error {
	for what, raw := range urls {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("demo: %s URL %q: %w", what, raw, err)
		}
		if !isLoopback(u.Hostname()) {
			return fmt.Errorf("demo: %s URL %q is not on loopback: the demo must never reach the network", what, raw)
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackOnly is the transport of every client the demo makes or gives
// Wavegate: a request to any host but loopback fails before it is sent.
type loopbackOnly struct{ base http.RoundTripper }

func (l loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if !isLoopback(r.URL.Hostname()) {
		return nil, fmt.Errorf("demo: refused a request to %s: the demo never reaches the network", r.URL.Host)
	}
	return l.base.RoundTrip(r)
}

// seed gives the simulated GitHub the demo's App, repository, people and
// configuration.
func seed(gh *githubfake.Server, creds credentials) {
	gh.SetApp(githubfake.App{ID: creds.appID, Slug: "wavegate-demo", Name: "Wavegate demo", ClientID: creds.clientID, Owner: owner})
	gh.SetAppPublicKey(&creds.privateKey.PublicKey)
	gh.SetOAuthClient(creds.clientSecret)
	gh.AddUser(viewer) // the one button of the simulated authorize page
	gh.AddInstallation(installationID, owner)
	gh.AddRepo(owner, repoName, githubfake.RepoOpts{InstallationID: installationID, ID: repoID, DefaultBranch: "main"})
	for login, role := range map[string]string{
		viewer: "maintain", authorAna: "write", authorLee: "write", reviewer: "write", approver: "write", maintainer: "maintain",
	} {
		gh.SetPermission(repoFull, login, role)
	}
	root := sha("root")
	gh.AddCommit(repoFull, githubfake.Commit{SHA: root, Message: "Initial commit", Author: authorAna})
	gh.SetBranch(repoFull, "main", root)
	gh.SetFile(repoFull, "main", ".github/wavegate.yml", pipelineYAML)
	gh.SetFile(repoFull, root, ".github/wavegate.yml", pipelineYAML)
}
