package githubfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// Deployment is a GitHub deployment as the App created it, with its statuses.
type Deployment struct {
	ID                    int64
	Ref                   string
	SHA                   string
	Task                  string
	Environment           string
	OriginalEnvironment   string
	Description           string
	Payload               json.RawMessage // as sent; {} when it was not
	AutoMerge             bool
	RequiredContexts      []string // nil when not sent: GitHub then checks every context
	ProductionEnvironment bool
	TransientEnvironment  bool
	Creator               string
	CreatedAt             time.Time
	Statuses              []DeploymentStatus // oldest first
}

// DeploymentStatus is one status of a deployment.
type DeploymentStatus struct {
	ID             int64
	State          string
	Description    string
	Environment    string
	EnvironmentURL string
	LogURL         string
	TargetURL      string
	Creator        string
	CreatedAt      time.Time
}

// maxStatusDescription is GitHub's limit on a deployment status description.
const maxStatusDescription = 140

// Deployments returns the repository's deployments, oldest first.
func (s *Server) Deployments(fullName string) []Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Deployment
	for _, d := range s.repo(fullName).deployments {
		out = append(out, copyDeployment(d))
	}
	return out
}

func copyDeployment(d *Deployment) Deployment {
	cp := *d
	cp.Payload = slices.Clone(d.Payload)
	cp.RequiredContexts = slices.Clone(d.RequiredContexts)
	cp.Statuses = slices.Clone(d.Statuses)
	return cp
}

// AddDeploymentStatus adds a status to a deployment as the system carrying
// it out would, and returns it; GitHub's limits on the state and the
// description apply. A simulated deployment system reports through it.
func (s *Server) AddDeploymentStatus(fullName string, deploymentID int64, state, description string) (DeploymentStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(fullName)
	i := slices.IndexFunc(r.deployments, func(d *Deployment) bool { return d.ID == deploymentID })
	if i < 0 {
		return DeploymentStatus{}, fmt.Errorf("githubfake: no deployment %d in %s", deploymentID, fullName)
	}
	if !validStatusState(state) || utf8.RuneCountInString(description) > maxStatusDescription {
		return DeploymentStatus{}, fmt.Errorf("githubfake: deployment status %q %q: GitHub would refuse it", state, description)
	}
	d := r.deployments[i]
	st := DeploymentStatus{ID: s.newID(), State: state, Description: description, Environment: d.Environment,
		Creator: "deploy-bot", CreatedAt: s.now()}
	d.Statuses = append(d.Statuses, st)
	if state == "success" {
		s.deactivatePrior(r, d)
	}
	return st, nil
}

func validStatusState(state string) bool {
	switch state {
	case "error", "failure", "inactive", "in_progress", "queued", "pending", "success":
		return true
	}
	return false
}

func (s *Server) createDeployment(x *exchange) {
	var b struct {
		Ref                   string          `json:"ref"`
		Task                  *string         `json:"task"`
		AutoMerge             *bool           `json:"auto_merge"`
		RequiredContexts      *[]string       `json:"required_contexts"`
		Payload               json.RawMessage `json:"payload"`
		Environment           *string         `json:"environment"`
		Description           *string         `json:"description"`
		TransientEnvironment  bool            `json:"transient_environment"`
		ProductionEnvironment *bool           `json:"production_environment"`
	}
	if !x.decode(&b) {
		return
	}
	if b.Ref == "" {
		x.invalid("ref", "missing_field")
		return
	}
	sha := x.repo.resolve(b.Ref)
	if sha == "" {
		x.fail(http.StatusUnprocessableEntity, "No ref found for: "+b.Ref)
		return
	}
	env := "production"
	if b.Environment != nil {
		env = *b.Environment
	}
	d := &Deployment{
		ID:                   s.newID(),
		Ref:                  b.Ref,
		SHA:                  sha,
		Task:                 "deploy",
		Environment:          env,
		OriginalEnvironment:  env,
		Payload:              json.RawMessage(`{}`),
		AutoMerge:            true,
		TransientEnvironment: b.TransientEnvironment,
		// GitHub's default: only an environment called production is one.
		ProductionEnvironment: env == "production",
		Creator:               s.botLogin(),
		CreatedAt:             s.now(),
	}
	if b.Task != nil {
		d.Task = *b.Task
	}
	if b.AutoMerge != nil {
		d.AutoMerge = *b.AutoMerge
	}
	if b.RequiredContexts != nil {
		d.RequiredContexts = append([]string{}, *b.RequiredContexts...)
	}
	if len(b.Payload) > 0 && string(b.Payload) != "null" {
		d.Payload = slices.Clone(b.Payload)
	}
	if b.Description != nil {
		d.Description = *b.Description
	}
	if b.ProductionEnvironment != nil {
		d.ProductionEnvironment = *b.ProductionEnvironment
	}
	x.repo.deployments = append(x.repo.deployments, d)
	x.reply(http.StatusCreated, s.deploymentJSON(x.repo, d))
	if s.onDeployment != nil {
		name, cp := x.repo.fullName(), copyDeployment(d)
		x.after = append(x.after, func() { s.onDeployment(name, cp) })
	}
}

func (s *Server) listDeployments(x *exchange) {
	q := x.r.URL.Query()
	var list []*Deployment
	for _, d := range slices.Backward(x.repo.deployments) {
		if (q.Get("sha") != "" && d.SHA != q.Get("sha")) ||
			(q.Get("ref") != "" && d.Ref != q.Get("ref")) ||
			(q.Get("task") != "" && d.Task != q.Get("task")) ||
			(q.Get("environment") != "" && d.Environment != q.Get("environment")) {
			continue
		}
		list = append(list, d)
	}
	pg, ok := x.paginate(len(list))
	if !ok {
		return
	}
	out := []any{}
	for _, d := range list[pg.lo:pg.hi] {
		out = append(out, s.deploymentJSON(x.repo, d))
	}
	x.reply(http.StatusOK, out)
}

func (x *exchange) deployment() *Deployment {
	return byPathID(x, "deployment_id", x.repo.deployments, func(*Deployment) bool { return true }, func(d *Deployment) int64 { return d.ID })
}

func (s *Server) getDeployment(x *exchange) {
	if d := x.deployment(); d != nil {
		x.reply(http.StatusOK, s.deploymentJSON(x.repo, d))
	}
}

func (s *Server) createDeploymentStatus(x *exchange) {
	d := x.deployment()
	if d == nil {
		return
	}
	var b struct {
		State          string  `json:"state"`
		TargetURL      string  `json:"target_url"`
		LogURL         string  `json:"log_url"`
		Description    string  `json:"description"`
		Environment    *string `json:"environment"`
		EnvironmentURL string  `json:"environment_url"`
		AutoInactive   *bool   `json:"auto_inactive"`
	}
	if !x.decode(&b) {
		return
	}
	if !validStatusState(b.State) {
		x.invalid("state", "invalid")
		return
	}
	if utf8.RuneCountInString(b.Description) > maxStatusDescription {
		x.invalid("description", "invalid")
		return
	}
	if b.Environment != nil && *b.Environment != "" {
		d.Environment = *b.Environment
	}
	st := DeploymentStatus{
		ID:             s.newID(),
		State:          b.State,
		Description:    b.Description,
		Environment:    d.Environment,
		EnvironmentURL: b.EnvironmentURL,
		LogURL:         cmp.Or(b.LogURL, b.TargetURL),
		TargetURL:      cmp.Or(b.LogURL, b.TargetURL),
		Creator:        s.botLogin(),
		CreatedAt:      s.now(),
	}
	d.Statuses = append(d.Statuses, st)
	if st.State == "success" && (b.AutoInactive == nil || *b.AutoInactive) {
		s.deactivatePrior(x.repo, d)
	}
	x.reply(http.StatusCreated, s.deploymentStatusJSON(x.repo, d, st))
}

// deactivatePrior does what auto_inactive promises: prior non-transient,
// non-production deployments to the same environment whose latest state is
// success get an inactive status.
func (s *Server) deactivatePrior(r *repo, current *Deployment) {
	for _, d := range r.deployments {
		if d == current || d.ID > current.ID || d.Environment != current.Environment ||
			d.TransientEnvironment || d.ProductionEnvironment || len(d.Statuses) == 0 ||
			d.Statuses[len(d.Statuses)-1].State != "success" {
			continue
		}
		d.Statuses = append(d.Statuses, DeploymentStatus{
			ID: s.newID(), State: "inactive", Environment: d.Environment,
			Creator: s.botLogin(), CreatedAt: s.now(),
		})
	}
}

func (s *Server) listDeploymentStatuses(x *exchange) {
	d := x.deployment()
	if d == nil {
		return
	}
	pg, ok := x.paginate(len(d.Statuses))
	if !ok {
		return
	}
	newestFirst := slices.Clone(d.Statuses)
	slices.Reverse(newestFirst)
	out := []any{}
	for _, st := range newestFirst[pg.lo:pg.hi] {
		out = append(out, s.deploymentStatusJSON(x.repo, d, st))
	}
	x.reply(http.StatusOK, out)
}

func (s *Server) deploymentJSON(r *repo, d *Deployment) map[string]any {
	u := s.apiURL(fmt.Sprintf("/repos/%s/deployments/%d", r.fullName(), d.ID))
	return map[string]any{
		"url":                      u,
		"id":                       d.ID,
		"node_id":                  fmt.Sprintf("DE_fake%d", d.ID),
		"sha":                      d.SHA,
		"ref":                      d.Ref,
		"task":                     d.Task,
		"payload":                  d.Payload,
		"original_environment":     d.OriginalEnvironment,
		"environment":              d.Environment,
		"description":              orNull(d.Description),
		"creator":                  s.userJSON(d.Creator),
		"created_at":               stamp(d.CreatedAt),
		"updated_at":               stamp(d.CreatedAt),
		"statuses_url":             u + "/statuses",
		"repository_url":           s.apiURL("/repos/" + r.fullName()),
		"transient_environment":    d.TransientEnvironment,
		"production_environment":   d.ProductionEnvironment,
		"performed_via_github_app": s.appJSON(),
	}
}

func (s *Server) deploymentStatusJSON(r *repo, d *Deployment, st DeploymentStatus) map[string]any {
	return map[string]any{
		"url":                      s.apiURL(fmt.Sprintf("/repos/%s/deployments/%d/statuses/%d", r.fullName(), d.ID, st.ID)),
		"id":                       st.ID,
		"node_id":                  fmt.Sprintf("DES_fake%d", st.ID),
		"state":                    st.State,
		"creator":                  s.userJSON(st.Creator),
		"description":              st.Description,
		"environment":              st.Environment,
		"target_url":               st.TargetURL,
		"log_url":                  st.LogURL,
		"environment_url":          st.EnvironmentURL,
		"created_at":               stamp(st.CreatedAt),
		"updated_at":               stamp(st.CreatedAt),
		"deployment_url":           s.apiURL(fmt.Sprintf("/repos/%s/deployments/%d", r.fullName(), d.ID)),
		"repository_url":           s.apiURL("/repos/" + r.fullName()),
		"performed_via_github_app": s.appJSON(),
	}
}
