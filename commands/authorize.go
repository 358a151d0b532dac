package commands

import (
	"fmt"
	"strings"

	"github.com/wavegate/wavegate/checks"
)

// maxListed bounds the approvers a refusal names.
const maxListed = 10

func authorize(c Command, a Actor, s Subject) Decision {
	switch c.Verb {
	case VerbHelp, VerbStatus, VerbLink, VerbUnlink:
		return Decision{Allowed: true, Need: "anyone"}
	case VerbApprove, VerbReject:
		return authorizeApproval(c, a, s)
	case VerbPause, VerbResume:
		if c.Org {
			return authorizeOrg(c, a, s)
		}
		return authorizeOverride(c, a, s)
	case VerbOverride, VerbRollback, VerbBlock, VerbUnblock:
		return authorizeOverride(c, a, s)
	}
	// Deny what the grammar does not know rather than guess.
	return Decision{Need: "a known command", Why: fmt.Sprintf("%q is not a /deploy command", c.Verb)}
}

// authorizeOverride: the verbs that change what gets deployed, or when,
// need overrides.permission.
func authorizeOverride(c Command, a Actor, s Subject) Decision {
	need, source := s.OverridePermission, "overrides.permission"
	if need == checks.PermissionNone {
		need, source = checks.PermissionMaintain, "the default of overrides.permission"
	}
	if a.Role >= need {
		return Decision{Allowed: true, Need: need.String()}
	}
	return Decision{Need: need.String(), Why: fmt.Sprintf("%s; %s needs %s (%s)",
		hasRole(a, s), commandName(c), need, source)}
}

func authorizeOrg(c Command, a Actor, s Subject) Decision {
	const need = "an organization owner"
	if a.OrgOwner {
		return Decision{Allowed: true, Need: need}
	}
	org := "the organization"
	if owner, _, ok := strings.Cut(s.Repository, "/"); ok && owner != "" {
		org = owner
	}
	return Decision{Need: need, Why: fmt.Sprintf("%s is not an owner of %s; %s needs an organization owner, for it stops every repository",
		mention(a.Login), org, commandName(c))}
}

// authorizeApproval: the stage's approvers when it names any, otherwise
// write; and approving one's own release only where the stage allows it.
func authorizeApproval(c Command, a Actor, s Subject) Decision {
	stage := "the stage"
	if s.Stage != "" {
		stage = s.Stage
	}
	var d Decision
	if len(s.Approvers) > 0 {
		d.Need = "an approver of " + stage
		if !isApprover(a, s.Approvers) {
			d.Why = fmt.Sprintf("%s is not among the approvers of %s (%s); %s needs one of them",
				mention(a.Login), stage, listApprovers(s.Approvers), commandName(c))
			return d
		}
	} else {
		d.Need = checks.PermissionWrite.String()
		if a.Role < checks.PermissionWrite {
			d.Why = fmt.Sprintf("%s; %s needs write (%s names no approvers)", hasRole(a, s), commandName(c), stage)
			return d
		}
	}
	if c.Verb == VerbApprove && !s.AllowAuthors && isAuthor(a.Login, s.Authors) {
		d.Need += " who is not an author of the release"
		d.Why = fmt.Sprintf("%s is an author of this release, and %s does not let authors approve their own release (allow_authors); another approver must",
			mention(a.Login), stage)
		return d
	}
	d.Allowed = true
	return d
}

// isApprover matches logins case-insensitively, and "@org/team" entries
// through the teams the surface found the actor in.
func isApprover(a Actor, approvers []string) bool {
	login := strings.TrimPrefix(strings.TrimSpace(a.Login), "@")
	for _, entry := range approvers {
		e := strings.TrimPrefix(strings.TrimSpace(entry), "@")
		if e == "" {
			continue
		}
		if strings.Contains(e, "/") {
			for _, t := range a.Teams {
				if strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(t), "@"), e) {
					return true
				}
			}
			continue
		}
		if login != "" && strings.EqualFold(login, e) {
			return true
		}
	}
	return false
}

func isAuthor(login string, authors []string) bool {
	login = strings.TrimPrefix(strings.TrimSpace(login), "@")
	for _, au := range authors {
		if login != "" && strings.EqualFold(login, strings.TrimPrefix(strings.TrimSpace(au), "@")) {
			return true
		}
	}
	return false
}

func listApprovers(approvers []string) string {
	var names []string
	for _, e := range approvers {
		if e = strings.TrimPrefix(strings.TrimSpace(e), "@"); e != "" {
			names = append(names, "@"+e)
		}
	}
	if len(names) == 0 {
		return "none usable"
	}
	if len(names) > maxListed {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
	}
	return strings.Join(names, ", ")
}

// hasRole says the actor's role: "@bob has write on acme/api".
func hasRole(a Actor, s Subject) string {
	where := "this repository"
	if s.Repository != "" {
		where = s.Repository
	}
	if a.Role <= checks.PermissionNone {
		return fmt.Sprintf("%s has no access to %s", mention(a.Login), where)
	}
	return fmt.Sprintf("%s has %s on %s", mention(a.Login), a.Role, where)
}

func mention(login string) string {
	login = strings.TrimPrefix(strings.TrimSpace(login), "@")
	if login == "" {
		return "this user"
	}
	return "@" + login
}

// commandName names the command in a refusal: "/deploy pause --org".
func commandName(c Command) string {
	name := "/deploy " + string(c.Verb)
	switch {
	case c.Org:
		name += " --org"
	case c.All:
		name += " --all"
	}
	return name
}
