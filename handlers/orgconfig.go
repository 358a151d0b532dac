package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/config"
	"github.com/wavegate/wavegate/githubapp"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// The organization's file (wavegate.yml in <owner>/.github) holds windows
// and alarms for every pipeline of the organization. Each push of a repository reads
// it with the repository's own file; a push that changes it re-applies it
// to every pipeline of the organization, so that a freeze added there
// holds releases already in flight without waiting for each repository's
// next push.

// errOrgConfigInvalid says the organization's file has errors: no release
// starts with windows that cannot be known, as none starts with a broken
// repository file.
var errOrgConfigInvalid = errors.New("the organization's wavegate.yml has errors")

// orgPolicy is what the organization's file sets for every pipeline.
type orgPolicy struct {
	windows *pipeline.Windows
	alarms  *pipeline.Alarms
}

// apply merges the organization's policy into p, replacing what an
// earlier version of the file merged.
func (o orgPolicy) apply(p pipeline.Pipeline) pipeline.Pipeline {
	p.Windows = pipeline.MergeWindows(o.windows, p.Windows)
	p.OrgAlarms = o.alarms
	return p
}

// readOrgPolicy reads and parses the organization's windows and alarms;
// zero when the file or its sections are absent.
func readOrgPolicy(ctx context.Context, client *github.Client, owner string) (orgPolicy, error) {
	data, err := githubapp.FetchFile(ctx, client, owner, githubapp.OrgConfigRepo, githubapp.OrgConfigPath, "")
	if err != nil || data == nil {
		return orgPolicy{}, err
	}
	name := owner + "/" + githubapp.OrgConfigRepo + ":" + githubapp.OrgConfigPath
	f, diags := config.ParseOrg(name, data)
	if diags.HasErrors() {
		return orgPolicy{}, fmt.Errorf("%w: %s", errOrgConfigInvalid, diags.Error())
	}
	ws, diags := pipeline.ParseOrgWindows(name, f.Windows)
	if diags.HasErrors() {
		return orgPolicy{}, fmt.Errorf("%w: %s", errOrgConfigInvalid, diags.Error())
	}
	al, diags := pipeline.ParseOrgAlarms(name, f.Alarms)
	if diags.HasErrors() {
		return orgPolicy{}, fmt.Errorf("%w: %s", errOrgConfigInvalid, diags.Error())
	}
	return orgPolicy{windows: ws, alarms: al}, nil
}

// changesOrgConfig says whether a push changes the organization's file:
// a push to the default branch of <owner>/.github touching wavegate.yml
// (or whose files are not all listed).
func changesOrgConfig(e *github.PushEvent, branch string) bool {
	repo := e.GetRepo()
	if !strings.EqualFold(repo.GetName(), githubapp.OrgConfigRepo) || branch != repo.GetDefaultBranch() {
		return false
	}
	files := pushedFiles(e)
	return files == nil || slices.Contains(files, githubapp.OrgConfigPath)
}

// refreshOrg re-applies the organization's windows and alarms to every pipeline of
// the owner's repositories that the engine keeps. A broken file changes
// nothing: the windows in force stay.
func (h *Releases) refreshOrg(ctx context.Context, client *github.Client, owner string, log *slog.Logger) error {
	if h.Index == nil {
		return nil
	}
	org, err := readOrgPolicy(ctx, client, owner)
	if errors.Is(err, errOrgConfigInvalid) {
		log.Error("organization configuration has errors; the windows and alarms in force stay", "owner", owner, "errors", err)
		return nil
	}
	if err != nil {
		return err
	}
	keys, err := h.Index.EngineKeys(ctx, "")
	if err != nil {
		return fmt.Errorf("list pipelines to re-apply %s's windows to: %w", owner, err)
	}
	prefix := strings.ToLower(owner) + "/"
	for _, k := range keys {
		if !strings.HasPrefix(strings.ToLower(k.Repository), prefix) {
			continue
		}
		key := pipeline.Key{Repository: k.Repository, Pipeline: k.Pipeline}
		_, err := h.Engine.Reconfigure(ctx, key, org.apply)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("re-apply %s's windows to pipeline %s of %s: %w", owner, key.Pipeline, key.Repository, err)
		}
	}
	log.Info("organization windows and alarms re-applied", "owner", owner)
	return nil
}
