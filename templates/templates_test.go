package templates

import (
	"html/template"
	"io/fs"
	"testing"
)

func TestWebPagesParse(t *testing.T) {
	pages, err := template.ParseFS(Files(), "web/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"setup.html", "setup-done.html", "setup-error.html", "configured.html", "top", "bottom"} {
		if pages.Lookup(name) == nil {
			t.Errorf("template %q is missing", name)
		}
	}
}

func TestFilesHoldsWebPages(t *testing.T) {
	if _, err := fs.Stat(Files(), "web/setup.html"); err != nil {
		t.Fatal(err)
	}
}
