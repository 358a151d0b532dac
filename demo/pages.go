package demo

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
)

//go:embed pages.html
var pagesHTML string

// routes adds the demo's own pages beside Wavegate's: the story so far,
// and the simulated Slack channel.
func (d *Demo) routes(mux *http.ServeMux) {
	pages := template.Must(template.New("demo").Parse(pagesHTML))
	render := func(w http.ResponseWriter, name string, data map[string]any) {
		data["Speed"] = d.clk.Speed()
		var buf bytes.Buffer
		if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
			http.Error(w, "the demo page failed to render: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	}
	mux.HandleFunc("GET /demo/{$}", func(w http.ResponseWriter, _ *http.Request) {
		d.mu.Lock()
		lines := append([]string(nil), d.lines...)
		d.mu.Unlock()
		render(w, "story", map[string]any{"Title": "The story", "Lines": lines})
	})
	mux.HandleFunc("GET /demo/slack", func(w http.ResponseWriter, _ *http.Request) {
		render(w, "slack", map[string]any{"Title": "Slack #deploys", "Messages": slackLines(d.slack.Messages(channelID))})
	})
}
