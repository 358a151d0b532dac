package handlers

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/templates"
)

// pageCSS returns the declarations of each rule in the pages' style sheet,
// keyed by selector.
func pageCSS(t *testing.T) map[string]map[string]string {
	t.Helper()
	data, err := fs.ReadFile(templates.Files(), "web/layout.html")
	if err != nil {
		t.Fatal(err)
	}
	style := regexp.MustCompile(`(?s)<style>(.*)</style>`).FindSubmatch(data)
	if style == nil {
		t.Fatal("layout.html has no <style>")
	}
	css := regexp.MustCompile(`(?s)@media[^{]*\{(.*?\})\s*\}`).ReplaceAllString(string(style[1]), "$1")
	rules := map[string]map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)([^{}]+)\{([^{}]*)\}`).FindAllStringSubmatch(css, -1) {
		decls := map[string]string{}
		for _, d := range strings.Split(m[2], ";") {
			prop, value, ok := strings.Cut(d, ":")
			if ok {
				decls[strings.TrimSpace(prop)] = strings.Join(strings.Fields(value), " ")
			}
		}
		for _, sel := range strings.Split(m[1], ",") {
			rules[strings.TrimSpace(sel)] = decls
		}
	}
	return rules
}

// A CSS-wide keyword (inherit, initial, ...) must be a property's whole
// value; inside a shorthand it makes the browser drop the declaration, as
// "font: 600 1.1rem/1.2 inherit" did to the setup button.
func TestPageCSSKeywordsStandAlone(t *testing.T) {
	for sel, decls := range pageCSS(t) {
		for prop, value := range decls {
			for _, word := range strings.Fields(value) {
				switch word {
				case "inherit", "initial", "unset", "revert", "revert-layer":
					if value != word {
						t.Errorf("%s { %s: %s }: %q must stand alone, or the browser drops the declaration", sel, prop, value, word)
					}
				}
			}
		}
	}
	if b := pageCSS(t)[".button"]; b["font-weight"] != "600" || b["font-size"] == "" {
		t.Errorf(".button loses its weight or size: %v", b)
	}
}

// Code spans such as "--github-org YOUR-ORG" stay whole; URLs, marked
// class="wrap", may break anywhere rather than overflow the card.
func TestPageCodeWrapping(t *testing.T) {
	css := pageCSS(t)
	if code := css["code"]; code["white-space"] != "nowrap" || code["word-break"] != "" {
		t.Errorf("code { %v }: want white-space: nowrap and no word-break, so flags do not break mid-word", code)
	}
	if wrap := css["code.wrap"]; wrap["white-space"] != "normal" || wrap["overflow-wrap"] != "anywhere" {
		t.Errorf("code.wrap { %v }: want long URLs to wrap", wrap)
	}
	for _, page := range []string{"web/setup.html", "web/configured.html", "web/setup-error.html", "web/setup-token.html"} {
		data, err := fs.ReadFile(templates.Files(), page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`<code([^>]*)>\{\{\.(\w+)\}\}</code>`).FindAllStringSubmatch(string(data), -1) {
			if m[1] != ` class="wrap"` {
				t.Errorf("%s: <code>{{.%s}}</code> holds a URL or a path: give it class=\"wrap\"", page, m[2])
			}
		}
	}
}
