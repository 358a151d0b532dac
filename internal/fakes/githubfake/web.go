package githubfake

import (
	"bytes"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// webMux serves, for a fake started with Start, the one GitHub web page
// that Wavegate's pages link to: a pull request, with its checks and
// comments. Tests do not need it; the demo's viewer follows those links.
func (s *Server) webMux() *http.ServeMux {
	page := template.Must(template.New("pull").Parse(pullPage))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{owner}/{repo}/pull/{number}", func(w http.ResponseWriter, r *http.Request) {
		data, ok := s.pullView(r.PathValue("owner")+"/"+r.PathValue("repo"), r.PathValue("number"))
		if !ok {
			http.Error(w, "No such pull request in the simulated GitHub.", http.StatusNotFound)
			return
		}
		var buf bytes.Buffer
		if err := page.Execute(&buf, data); err != nil {
			http.Error(w, "The pull request page failed to render: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	})
	return mux
}

type pullView struct {
	Repo     string
	Pull     Pull
	Reviews  []Review
	Checks   []CheckRun
	Comments []Comment
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
	for _, c := range r.checkRuns {
		if c.HeadSHA == p.HeadSHA || (p.MergeCommitSHA != "" && c.HeadSHA == p.MergeCommitSHA) {
			v.Checks = append(v.Checks, *c)
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
<meta http-equiv="refresh" content="5">
<title>{{.Pull.Title}} · #{{.Pull.Number}} · {{.Repo}} (simulated GitHub)</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; line-height: 1.4; }
pre { white-space: pre-wrap; background: #f6f8fa; padding: 0.75rem; border-radius: 4px; }
.note { color: #57606a; }
section { border-top: 1px solid #d0d7de; margin-top: 1rem; }
</style>
</head>
<body>
<p class="note">Simulated GitHub, for the Wavegate demo; this page refreshes every 5 seconds.</p>
<h1>{{.Pull.Title}} <span class="note">#{{.Pull.Number}}</span></h1>
<p>{{.Repo}} · {{if .Pull.Merged}}merged{{else}}{{.Pull.State}}{{end}} · opened by {{.Pull.User}} · {{.Pull.HeadRef}} into {{.Pull.BaseRef}}</p>
<pre>{{.Pull.Body}}</pre>
<section><h2>Reviews</h2>
{{range .Reviews}}<p>{{.User}}: {{.State}}{{if .Body}} · {{.Body}}{{end}}</p>{{else}}<p>No review yet.</p>{{end}}
</section>
<section><h2>Checks</h2>
{{range .Checks}}<h3>{{.Name}}: {{if .Conclusion}}{{.Conclusion}}{{else}}{{.Status}}{{end}}</h3>
<p>{{.Output.Title}}</p>{{if .Output.Summary}}<pre>{{.Output.Summary}}</pre>{{end}}
{{else}}<p>No check run yet.</p>{{end}}
</section>
<section><h2>Comments</h2>
{{range .Comments}}<h3>{{.User}}</h3><pre>{{.Body}}</pre>{{else}}<p>No comment yet.</p>{{end}}
</section>
</body>
</html>
`
