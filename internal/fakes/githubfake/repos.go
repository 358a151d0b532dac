package githubfake

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"
)

// RepoOpts describes a repository for AddRepo.
type RepoOpts struct {
	DefaultBranch  string // "main" when empty
	InstallationID int64  // 1 when zero; the installation is created if new
	Private        bool
	ID             int64 // assigned when zero
}

type repo struct {
	id            int64
	owner, name   string
	defaultBranch string
	private       bool
	installation  int64
	created       time.Time

	branches    map[string]string            // name -> sha
	files       map[string]map[string]string // ref -> path -> content
	pulls       map[int]*Pull
	perms       map[string]string // lower-case login -> role
	commits     map[string]*Commit
	commitPulls map[string][]int
	compares    map[string][]string // "base...head" -> commit shas, oldest first
	checkRuns   []*CheckRun
	deployments []*Deployment
	comments    []*Comment
}

func (r *repo) fullName() string { return r.owner + "/" + r.name }

// DefaultInstallationID is the installation a repository belongs to when
// RepoOpts does not say.
const DefaultInstallationID = 1

// AddRepo adds a repository, installing the App on its owner if needed, and
// returns its id. Only tokens of its installation may read it; any other gets
// 404, as GitHub hides what an installation cannot see.
func (s *Server) AddRepo(owner, name string, o RepoOpts) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.DefaultBranch == "" {
		o.DefaultBranch = "main"
	}
	if o.InstallationID == 0 {
		o.InstallationID = DefaultInstallationID
	}
	if o.ID == 0 {
		o.ID = s.newID()
	}
	s.addInstallation(o.InstallationID, owner)
	s.repos[strings.ToLower(owner+"/"+name)] = &repo{
		id: o.ID, owner: owner, name: name, defaultBranch: o.DefaultBranch, private: o.Private,
		installation: o.InstallationID, created: s.now(),
		branches: map[string]string{}, files: map[string]map[string]string{},
		pulls: map[int]*Pull{}, perms: map[string]string{}, commits: map[string]*Commit{},
		commitPulls: map[string][]int{}, compares: map[string][]string{},
	}
	return o.ID
}

// repo returns the repository "owner/name", failing the test when it was
// never added: a typo in a test's setup should not look like a 404 bug.
func (s *Server) repo(fullName string) *repo {
	s.t.Helper()
	r, ok := s.repos[strings.ToLower(fullName)]
	if !ok {
		s.t.Fatalf("githubfake: no repository %q; AddRepo it first", fullName)
	}
	return r
}

// bindRepo finds the path's repository, if the caller's installation can see it.
func (s *Server) bindRepo(x *exchange) bool {
	r, ok := s.repos[strings.ToLower(x.r.PathValue("owner")+"/"+x.r.PathValue("repo"))]
	if !ok || r.installation != x.ident.install.id {
		return false
	}
	x.repo = r
	return true
}

// SetBranch points a branch at a commit.
func (s *Server) SetBranch(fullName, branch, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(fullName).branches[branch] = sha
}

// SetFile puts a file at a ref (a branch name or a commit sha). A read at a
// branch also finds files set at the sha the branch points to, and the other
// way round.
func (s *Server) SetFile(fullName, ref, filePath, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(fullName)
	if r.files[ref] == nil {
		r.files[ref] = map[string]string{}
	}
	r.files[ref][strings.TrimPrefix(filePath, "/")] = content
}

// branchName strips the prefixes GitHub accepts in front of a branch name.
func branchName(ref string) string {
	ref = strings.TrimPrefix(ref, "refs/")
	return strings.TrimPrefix(ref, "heads/")
}

// resolve turns a ref into a commit sha: a branch, or anything else taken as
// a sha. It returns "" for neither.
func (r *repo) resolve(ref string) string {
	if sha, ok := r.branches[branchName(ref)]; ok {
		return sha
	}
	if _, ok := r.commits[ref]; ok || isSHA(ref) {
		return ref
	}
	return ""
}

func isSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// refAliases are the names under which files for ref may have been set.
func (r *repo) refAliases(ref string) []string {
	out := []string{ref, branchName(ref)}
	if sha, ok := r.branches[branchName(ref)]; ok {
		out = append(out, sha)
	}
	for b, sha := range r.branches {
		if sha == ref {
			out = append(out, b)
		}
	}
	return out
}

func (s *Server) getRepo(x *exchange) { x.reply(http.StatusOK, s.repoJSON(x.repo)) }

func (s *Server) repoJSON(r *repo) map[string]any {
	u := s.apiURL("/repos/" + r.fullName())
	html := "https://github.com/" + r.fullName()
	visibility := "public"
	if r.private {
		visibility = "private"
	}
	m := map[string]any{
		"id":                r.id,
		"node_id":           fmt.Sprintf("R_fake%d", r.id),
		"name":              r.name,
		"full_name":         r.fullName(),
		"owner":             s.orgJSON(r.owner),
		"private":           r.private,
		"visibility":        visibility,
		"html_url":          html,
		"description":       nil,
		"fork":              false,
		"url":               u,
		"git_url":           "git://github.com/" + r.fullName() + ".git",
		"ssh_url":           "git@github.com:" + r.fullName() + ".git",
		"clone_url":         html + ".git",
		"svn_url":           html,
		"mirror_url":        nil,
		"homepage":          nil,
		"language":          nil,
		"license":           nil,
		"default_branch":    r.defaultBranch,
		"archived":          false,
		"disabled":          false,
		"has_issues":        true,
		"has_projects":      false,
		"has_wiki":          false,
		"has_pages":         false,
		"has_downloads":     false,
		"has_discussions":   false,
		"forks":             0,
		"forks_count":       0,
		"stargazers_count":  0,
		"watchers":          0,
		"watchers_count":    0,
		"open_issues":       0,
		"open_issues_count": 0,
		"subscribers_count": 0,
		"network_count":     0,
		"size":              0,
		"created_at":        stamp(r.created),
		"updated_at":        stamp(r.created),
		"pushed_at":         stamp(r.created),
	}
	// The hypermedia templates GitHub puts on every repository.
	for _, kv := range [][2]string{
		{"archive_url", "/{archive_format}{/ref}"}, {"assignees_url", "/assignees{/user}"},
		{"blobs_url", "/git/blobs{/sha}"}, {"branches_url", "/branches{/branch}"},
		{"collaborators_url", "/collaborators{/collaborator}"}, {"comments_url", "/comments{/number}"},
		{"commits_url", "/commits{/sha}"}, {"compare_url", "/compare/{base}...{head}"},
		{"contents_url", "/contents/{+path}"}, {"contributors_url", "/contributors"},
		{"deployments_url", "/deployments"}, {"downloads_url", "/downloads"}, {"events_url", "/events"},
		{"forks_url", "/forks"}, {"git_commits_url", "/git/commits{/sha}"}, {"git_refs_url", "/git/refs{/sha}"},
		{"git_tags_url", "/git/tags{/sha}"}, {"hooks_url", "/hooks"},
		{"issue_comment_url", "/issues/comments{/number}"}, {"issue_events_url", "/issues/events{/number}"},
		{"issues_url", "/issues{/number}"}, {"keys_url", "/keys{/key_id}"}, {"labels_url", "/labels{/name}"},
		{"languages_url", "/languages"}, {"merges_url", "/merges"}, {"milestones_url", "/milestones{/number}"},
		{"notifications_url", "/notifications{?since,all,participating}"}, {"pulls_url", "/pulls{/number}"},
		{"releases_url", "/releases{/id}"}, {"stargazers_url", "/stargazers"}, {"statuses_url", "/statuses/{sha}"},
		{"subscribers_url", "/subscribers"}, {"subscription_url", "/subscription"}, {"tags_url", "/tags"},
		{"teams_url", "/teams"}, {"trees_url", "/git/trees{/sha}"},
	} {
		m[kv[0]] = u + kv[1]
	}
	return m
}

func (s *Server) getContents(x *exchange) {
	r := x.repo
	p := strings.Trim(x.r.PathValue("path"), "/")
	ref := x.r.URL.Query().Get("ref")
	if ref == "" {
		ref = r.defaultBranch
	}
	content, found := "", false
	for _, alias := range r.refAliases(ref) {
		if content, found = r.files[alias][p]; found {
			break
		}
	}
	if !found {
		x.fail(http.StatusNotFound, "Not Found")
		return
	}
	if x.wantsRaw() {
		x.header.Set("Content-Type", "application/vnd.github.raw; charset=utf-8")
		x.WriteHeader(http.StatusOK)
		x.out.WriteString(content)
		return
	}
	sha := blobSHA(content)
	self := s.apiURL("/repos/" + r.fullName() + "/contents/" + p + "?ref=" + ref)
	html := "https://github.com/" + r.fullName() + "/blob/" + ref + "/" + p
	git := s.apiURL("/repos/" + r.fullName() + "/git/blobs/" + sha)
	x.reply(http.StatusOK, map[string]any{
		"type":         "file",
		"encoding":     "base64",
		"size":         len(content),
		"name":         path.Base(p),
		"path":         p,
		"content":      wrap60(base64.StdEncoding.EncodeToString([]byte(content))),
		"sha":          sha,
		"url":          self,
		"git_url":      git,
		"html_url":     html,
		"download_url": "https://raw.githubusercontent.com/" + r.fullName() + "/" + ref + "/" + p,
		"_links":       map[string]any{"self": self, "git": git, "html": html},
	})
}

// blobSHA is git's object id for the content, which GitHub reports as sha.
func blobSHA(content string) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00%s", len(content), content)
	return hex.EncodeToString(h.Sum(nil))
}

// wrap60 breaks base64 into lines as GitHub does, so clients that forget to
// handle the newlines fail here.
func wrap60(b64 string) string {
	var sb strings.Builder
	for len(b64) > 60 {
		sb.WriteString(b64[:60])
		sb.WriteByte('\n')
		b64 = b64[60:]
	}
	sb.WriteString(b64)
	sb.WriteByte('\n')
	return sb.String()
}
