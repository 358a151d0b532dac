package web

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/wavegate/wavegate/commandrun"
	"github.com/wavegate/wavegate/commands"
	"github.com/wavegate/wavegate/pipeline"
	"github.com/wavegate/wavegate/store"
)

// Actions on a release page are /deploy commands: the form's fields become
// the line a PR comment would hold, parsed by the same parser and run by
// the same runner, which decides who may run it (the page only shows the
// forms to signed-in users).

// maxForm caps an action's form: a reason of commands.MaxReason characters
// and a few short fields.
const maxForm = 16 << 10

// frame is what every page's header and forms need of the request: who is
// signed in, the form tokens, the outcome of the last action. render fills
// in a page's Frame field; pages without one show no sign-in control.
type frame struct {
	Login  string // "" when nobody is signed in
	SignIn bool   // sign-in is offered
	Public bool   // --ui-public: read-only for anyone
	CanAct bool   // signed in, and actions run: the forms show
	CSRF   string
	Flash  *flash
}

var frameType = reflect.TypeFor[frame]()

// framed returns data with its Frame field filled in for r, when it has one.
func (p *Pages) framed(w http.ResponseWriter, r *http.Request, data any) any {
	v := reflect.ValueOf(data)
	if v.Kind() != reflect.Struct {
		return data
	}
	if f, ok := v.Type().FieldByName("Frame"); !ok || f.Type != frameType {
		return data
	}
	fr := frame{SignIn: p.signInReady(), Public: p.cfg.Public}
	if s, ok := p.session(r); ok {
		fr.Login, fr.CSRF, fr.CanAct = s.Login, p.seal.csrf(s.ID), p.cfg.Commands != nil
		fr.Flash = p.takeFlash(w, r)
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	c.FieldByName("Frame").Set(reflect.ValueOf(fr))
	return c.Interface()
}

// frameOf is the template function reading a page's frame, zero for a
// page without one.
func frameOf(data any) frame {
	v := reflect.ValueOf(data)
	if v.Kind() != reflect.Struct {
		return frame{}
	}
	f := v.FieldByName("Frame")
	if !f.IsValid() || f.Type() != frameType {
		return frame{}
	}
	return f.Interface().(frame)
}

// newNonce is a form's one-time id, the template function "nonce": each
// form gets its own, so that one submitted twice is applied and audited
// once while two forms of one page stay two commands.
func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var nonceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// actionVerbs are the verbs the page offers, and whether each acts on the
// release (the others act on its pipeline).
var actionVerbs = map[commands.Verb]bool{
	commands.VerbApprove: true, commands.VerbReject: true, commands.VerbRollback: true,
	commands.VerbOverride: true, commands.VerbPause: false, commands.VerbResume: false,
}

// word is a stage, target, blocker or pipeline name that needs no quotes.
var word = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// quote makes s one argument of a command line: double quotes, with the
// quotes that would end it and backslashes escaped; line breaks, which
// would end the line, become spaces.
func quote(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r == '\\' || r == '"' || r == '”' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// commandLine builds the /deploy line the form stands for. Fields the verb
// does not take are left out; names that are not plain words are quoted,
// so the parser, not this function, judges them.
func commandLine(verb commands.Verb, pipe string, form map[string]string) string {
	arg := func(s string) string {
		if word.MatchString(s) {
			return s
		}
		return quote(s)
	}
	parts := []string{"/deploy", string(verb)}
	add := func(flag, v string) {
		if v = strings.TrimSpace(v); v != "" {
			parts = append(parts, "--"+flag, arg(v))
		}
	}
	switch verb {
	case commands.VerbApprove, commands.VerbReject:
		if s := strings.TrimSpace(form["stage"]); s != "" {
			parts = append(parts, arg(s))
		}
	case commands.VerbOverride:
		parts = append(parts, arg(strings.TrimSpace(form["blocker"])))
		add("stage", form["stage"])
		add("target", form["target"])
		add("ttl", form["ttl"])
	case commands.VerbRollback:
		add("stage", form["stage"])
		add("target", form["target"])
	case commands.VerbPause:
		if word.MatchString(pipe) {
			parts = append(parts, pipe)
		}
	case commands.VerbResume:
		if word.MatchString(pipe) {
			parts = append(parts, pipe)
		}
		add("stage", form["stage"])
	}
	if r := strings.TrimSpace(form["reason"]); r != "" && verb != commands.VerbResume {
		parts = append(parts, "--reason", quote(r))
	}
	return strings.Join(parts, " ")
}

// act runs one action form of a release page and answers 303 back to the
// page, where the outcome shows once.
func (p *Pages) act(w http.ResponseWriter, r *http.Request) {
	s, ok := p.session(r)
	if !ok || p.cfg.Commands == nil {
		p.unauthorized(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.forbidden(w, r, "This form could not be read (it is larger than a reason can be). Nothing was changed.")
		return
	}
	if !p.seal.csrfOK(s.ID, r.PostForm.Get("csrf")) {
		p.forbidden(w, r, "This form is stale or did not come from this Wavegate page, so nothing was changed. Go back, reload the page and try again.")
		return
	}
	nonce := r.PostForm.Get("nonce")
	verb := commands.Verb(r.PostForm.Get("verb"))
	onRelease, known := actionVerbs[verb]
	if !nonceRE.MatchString(nonce) || !known {
		p.forbidden(w, r, "This form is not one the Wavegate pages make, so nothing was changed. Go back, reload the page and try again.")
		return
	}
	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	// Without a release in the path, the form is the overview's: it acts
	// on the pipeline only.
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = strconv.ParseInt(r.PathValue("id"), 10, 64); err != nil || id <= 0 {
			p.notFound(w, r, "A release is named by its number, such as /releases/12.")
			return
		}
	} else if onRelease {
		p.forbidden(w, r, "This form is not one the overview makes, so nothing was changed. Go back, reload the page and try again.")
		return
	}
	key, found, err := p.find(r.Context(), repo, r.PathValue("pipeline"))
	if err != nil {
		p.cfg.Logger.Error("web action: list pipelines", "repository", repo, "err", err)
		http.Error(w, "Wavegate could not read its pipelines; its log says why. Nothing was changed.", http.StatusInternalServerError)
		return
	}
	if !found || !p.canRead(r, key.Repository) {
		p.notFound(w, r, fmt.Sprintf("Wavegate keeps no pipeline %q of %s.", r.PathValue("pipeline"), repo))
		return
	}
	form := map[string]string{}
	for _, f := range []string{"stage", "target", "blocker", "ttl", "reason"} {
		form[f] = r.PostForm.Get(f)
	}
	line := commandLine(verb, key.Pipeline, form)
	page := "/ui/"
	if id != 0 {
		page = ReleaseURL(key.Repository, key.Pipeline, id)
	}
	req := commandrun.Request{
		// The login keeps one user's nonce from ever matching another's.
		ID: "web:" + s.Login + ":" + nonce, Surface: store.SurfaceWeb, Source: page,
		Repository: key.Repository, Pipeline: key.Pipeline, Login: s.Login, At: p.cfg.Clock.Now(),
	}
	if onRelease {
		req.ReleaseID = id
	}
	parsed := commands.Parse(line)
	var resp commandrun.Response
	if parsed.Kind == commands.Valid {
		req.Command = parsed.Command
		resp, err = p.cfg.Commands.Run(r.Context(), req)
	} else {
		req.Command = parsed.Command
		resp, err = p.cfg.Commands.RunInvalid(r.Context(), req, parsed)
	}
	if err != nil {
		p.cfg.Logger.Error("web action", "login", s.Login, "repository", key.Repository, "line", line, "err", err)
		p.render(w, r, http.StatusServiceUnavailable, "message.html", messagePage{Title: "Not done yet",
			Message: "Wavegate could not run this command now (GitHub or its database did not answer); its log says why. Go back and submit the form again: it is applied once however often it is sent.", OverviewURL: "/ui/"})
		return
	}
	p.setFlash(w, r, resp.Outcome == commandrun.Accepted, resp.Text)
	http.Redirect(w, r, page, http.StatusSeeOther)
}

// overridable are the blockers the override form offers.
func overridable() []pipeline.BlockerKind {
	return []pipeline.BlockerKind{pipeline.BlockerAlarm, pipeline.BlockerWindow, pipeline.BlockerFreeze,
		pipeline.BlockerBlockedCommit, pipeline.BlockerUnreviewed, pipeline.BlockerRollback}
}

// pipelineAct is what a row of the overview needs for its pause and
// resume forms.
type pipelineAct struct {
	URL, CSRF string
}

// addPipelineActions gives each row its forms, for a signed-in user when
// actions run.
func (p *Pages) addPipelineActions(r *http.Request, rows []pipelineRow) {
	s, ok := p.session(r)
	if !ok || p.cfg.Commands == nil {
		return
	}
	csrf := p.seal.csrf(s.ID)
	for i := range rows {
		rows[i].Act = &pipelineAct{URL: "/ui/" + rows[i].Repository + "/" + url.PathEscape(rows[i].Pipeline), CSRF: csrf}
	}
}
