package githubapp

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/internal/clock"
)

// Where the configuration lives: the repository's file on its default
// branch, over the organization's defaults in <owner>/.github.
const (
	RepoConfigPath = ".github/wavegate.yml"
	OrgConfigRepo  = ".github"
	OrgConfigPath  = "wavegate.yml"
)

// LoadedConfig is a repository's effective configuration, or why there is
// none: Err is set (and Config nil) when either file has errors, and the
// Diagnostics say where.
type LoadedConfig struct {
	Config      *config.Config
	Diagnostics config.Diagnostics
	Err         error
}

// ConfigSource reads configuration from GitHub and remembers it for a
// while, so that a steady stream of pull request events costs no calls.
// Pushes that change a file invalidate what was remembered; the TTL bounds
// how stale an organization file can be when Wavegate cannot see its pushes.
type ConfigSource struct {
	clock clock.Clock
	ttl   time.Duration

	mu      sync.Mutex
	entries map[string]configEntry
}

type configEntry struct {
	loaded  LoadedConfig
	expires time.Time
}

// NewConfigSource remembers each repository's configuration for ttl
// (default 10 minutes).
func NewConfigSource(c clock.Clock, ttl time.Duration) *ConfigSource {
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	return &ConfigSource{clock: c, ttl: ttl, entries: map[string]configEntry{}}
}

// Load returns owner/repo's configuration as of its default branch. The
// error is for GitHub failing to answer; a broken file is LoadedConfig.Err.
func (s *ConfigSource) Load(ctx context.Context, client *github.Client, owner, repo, defaultBranch string) (LoadedConfig, error) {
	key := strings.ToLower(owner + "/" + repo)
	now := s.clock.Now()
	s.mu.Lock()
	if e, ok := s.entries[key]; ok && now.Before(e.expires) {
		s.mu.Unlock()
		return e.loaded, nil
	}
	s.mu.Unlock()

	orgData, err := FetchFile(ctx, client, owner, OrgConfigRepo, OrgConfigPath, "")
	if err != nil {
		return LoadedConfig{}, err
	}
	repoData, err := FetchFile(ctx, client, owner, repo, RepoConfigPath, defaultBranch)
	if err != nil {
		return LoadedConfig{}, err
	}
	loaded := Parse(owner, orgData, repoData)
	s.mu.Lock()
	s.entries[key] = configEntry{loaded: loaded, expires: now.Add(s.ttl)}
	s.mu.Unlock()
	return loaded, nil
}

// Parse builds a LoadedConfig from the two files' contents (nil: absent).
func Parse(owner string, orgData, repoData []byte) LoadedConfig {
	cfg, diags, err := config.Load(owner+"/"+OrgConfigRepo+":"+OrgConfigPath, orgData, RepoConfigPath, repoData)
	return LoadedConfig{Config: cfg, Diagnostics: diags, Err: err}
}

// Invalidate forgets owner/repo's configuration; for the organization's
// .github repository it forgets every repository of that owner, since all
// of them read its defaults.
func (s *ConfigSource) Invalidate(owner, repo string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.EqualFold(repo, OrgConfigRepo) {
		prefix := strings.ToLower(owner) + "/"
		for k := range s.entries {
			if strings.HasPrefix(k, prefix) {
				delete(s.entries, k)
			}
		}
		return
	}
	delete(s.entries, strings.ToLower(owner+"/"+repo))
}

// FetchFile reads one file's contents at ref ("" for the default branch).
// A missing file, branch or repository is nil contents, not an error.
func FetchFile(ctx context.Context, client *github.Client, owner, repo, path, ref string) ([]byte, error) {
	var opts *github.RepositoryContentGetOptions
	if ref != "" {
		opts = &github.RepositoryContentGetOptions{Ref: ref}
	}
	file, _, _, err := client.Repositories.GetContents(ctx, owner, repo, path, opts)
	if isStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s from %s/%s@%s: %w", path, owner, repo, refName(ref), err)
	}
	if file == nil {
		return nil, fmt.Errorf("read %s from %s/%s@%s: it is a directory", path, owner, repo, refName(ref))
	}
	content, err := file.GetContent()
	if err != nil {
		return nil, fmt.Errorf("decode %s from %s/%s@%s: %w", path, owner, repo, refName(ref), err)
	}
	return []byte(content), nil
}

func refName(ref string) string {
	if ref == "" {
		return "default branch"
	}
	return ref
}
