package githubfake

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// maxForm bounds what a page's form may post.
const maxForm = 64 << 10

// webMux serves, for a fake started with Start, the one GitHub web page
// that Wavegate's pages link to: a pull request, with its checks and
// comments, where the viewer (Options.Viewer) may comment and press the
// check runs' buttons. Tests do not need it; the demo's viewer does.
func (s *Server) webMux() *http.ServeMux {
	page := template.Must(template.New("pull").Parse(pullPage))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{owner}/{repo}/pull/{number}", func(w http.ResponseWriter, r *http.Request) {
		data, ok := s.pullView(r.PathValue("owner")+"/"+r.PathValue("repo"), r.PathValue("number"))
		if !ok {
			http.Error(w, "No such pull request in the simulated GitHub.", http.StatusNotFound)
			return
		}
		data.Problem = r.URL.Query().Get("problem")
		var buf bytes.Buffer
		if err := page.Execute(&buf, data); err != nil {
			http.Error(w, "The pull request page failed to render: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	})
	mux.HandleFunc("POST /{owner}/{repo}/pull/{number}/comments", func(w http.ResponseWriter, r *http.Request) {
		s.act(w, r, func(fullName string, v pullView) error {
			body := strings.TrimSpace(r.PostFormValue("body"))
			if body == "" {
				return fmt.Errorf("the comment is empty")
			}
			return s.onComment(fullName, v.Pull.Number, body)
		})
	})
	mux.HandleFunc("POST /{owner}/{repo}/pull/{number}/press", func(w http.ResponseWriter, r *http.Request) {
		s.act(w, r, func(fullName string, v pullView) error {
			id, _ := strconv.ParseInt(r.PostFormValue("check_run"), 10, 64)
			i := slices.IndexFunc(v.Checks, func(c CheckRun) bool { return c.ID == id })
			if i < 0 {
				return fmt.Errorf("no check run %d on this pull request", id)
			}
			button := r.PostFormValue("identifier")
			if !slices.ContainsFunc(v.Checks[i].Actions, func(a CheckRunAction) bool { return a.Identifier == button }) {
				return fmt.Errorf("check run %s has no button %q now", v.Checks[i].Name, button)
			}
			return s.onPress(fullName, v.Checks[i], button)
		})
	})
	return mux
}

// act runs one of the viewer's actions from a pull request page and sends
// them back to it, with what went wrong if anything did.
func (s *Server) act(w http.ResponseWriter, r *http.Request, do func(fullName string, v pullView) error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	v, ok := s.pullView(r.PathValue("owner")+"/"+r.PathValue("repo"), r.PathValue("number"))
	if !ok {
		http.Error(w, "No such pull request in the simulated GitHub.", http.StatusNotFound)
		return
	}
	if v.Viewer == "" || subtle.ConstantTimeCompare([]byte(r.PostFormValue("token")), []byte(v.Token)) != 1 {
		http.Error(w, "This form is not from this simulated GitHub's page: reload the page and try again.", http.StatusForbidden)
		return
	}
	back := fmt.Sprintf("/%s/pull/%d", v.Repo, v.Pull.Number)
	if err := do(v.Repo, v); err != nil {
		back += "?problem=" + template.URLQueryEscaper(err.Error())
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

type pullView struct {
	Repo     string
	Pull     Pull
	Reviews  []Review
	Checks   []CheckRun
	Comments []Comment
	// Viewer may act on the page, with forms carrying Token.
	Viewer, Token string
	// Problem is why the viewer's last action failed.
	Problem string
}

func (s *Server) pullView(fullName, number string) (pullView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[strings.ToLower(fullName)]
	n, err := strconv.Atoi(number)
	if !ok || err != nil || r.pulls[n] == nil {
		return pullView{}, false
	}
	p := r.pulls[n]
	v := pullView{Repo: r.fullName(), Pull: *p, Reviews: slices.Clone(p.reviews)}
	if s.viewer != "" && s.onComment != nil && s.onPress != nil {
		v.Viewer, v.Token = s.viewer, s.formToken
	}
	for _, c := range r.checkRuns {
		if c.HeadSHA == p.HeadSHA || (p.MergeCommitSHA != "" && c.HeadSHA == p.MergeCommitSHA) {
			cp := *c
			cp.Actions = slices.Clone(c.Actions)
			v.Checks = append(v.Checks, cp)
		}
	}
	for _, c := range r.commentsOn(n) {
		v.Comments = append(v.Comments, *c)
	}
	return v, true
}

const pullPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Pull.Title}} · #{{.Pull.Number}} · {{.Repo}} (simulated GitHub)</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; line-height: 1.4; }
pre { white-space: pre-wrap; background: #f6f8fa; padding: 0.75rem; border-radius: 4px; }
.note { color: #57606a; }
.problem { border: 2px solid #cf222e; padding: 0.5rem; }
section { border-top: 1px solid #d0d7de; margin-top: 1rem; }
textarea { width: 100%; }
</style>
</head>
<body>
<p class="note">Simulated GitHub, for the Wavegate demo. Reload the page to see changes.</p>
{{if .Problem}}<p class="problem" role="alert">That did not work: {{.Problem}}</p>{{end}}
<h1>{{.Pull.Title}} <span class="note">#{{.Pull.Number}}</span></h1>
<p>{{.Repo}} · {{if .Pull.Merged}}merged{{else}}{{.Pull.State}}{{end}} · opened by {{.Pull.User}} · {{.Pull.HeadRef}} into {{.Pull.BaseRef}}</p>
<pre>{{.Pull.Body}}</pre>
<section><h2>Reviews</h2>
{{range .Reviews}}<p>{{.User}}: {{.State}}{{if .Body}} · {{.Body}}{{end}}</p>{{else}}<p>No review yet.</p>{{end}}
</section>
<section><h2>Checks</h2>
{{$v := .}}{{range .Checks}}<h3>{{.Name}}: {{if .Conclusion}}{{.Conclusion}}{{else}}{{.Status}}{{end}}</h3>
<p>{{.Output.Title}}</p>{{if .Output.Summary}}<pre>{{.Output.Summary}}</pre>{{end}}
{{if and $v.Viewer .Actions}}{{$run := .}}<p>{{range .Actions}}<form method="post" action="/{{$v.Repo}}/pull/{{$v.Pull.Number}}/press" style="display:inline">
<input type="hidden" name="token" value="{{$v.Token}}"><input type="hidden" name="check_run" value="{{$run.ID}}"><input type="hidden" name="identifier" value="{{.Identifier}}">
<button type="submit" title="{{.Description}}">{{.Label}}</button></form> {{end}}<span class="note">as @{{$v.Viewer}}</span></p>{{end}}
{{else}}<p>No check run yet.</p>{{end}}
</section>
<section><h2>Comments</h2>
{{range .Comments}}<h3>{{.User}}</h3><pre>{{.Body}}</pre>{{else}}<p>No comment yet.</p>{{end}}
{{if .Viewer}}<form method="post" action="/{{.Repo}}/pull/{{.Pull.Number}}/comments">
<input type="hidden" name="token" value="{{.Token}}">
<p><label for="body">Comment as @{{.Viewer}}, for instance <code>/deploy override alarm --reason "checked by hand"</code></label></p>
<textarea id="body" name="body" rows="3"></textarea>
<p><button type="submit">Comment</button></p>
</form>{{end}}
</section>
</body>
</html>
`
