package commands

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wavegate/wavegate/checks"
)

func roles() []checks.Permission {
	return []checks.Permission{checks.PermissionNone, checks.PermissionRead, checks.PermissionTriage,
		checks.PermissionWrite, checks.PermissionMaintain, checks.PermissionAdmin}
}

// TestAuthorizeByRole runs every verb against every role with a stage that
// names no approvers and the default overrides.permission.
func TestAuthorizeByRole(t *testing.T) {
	least := map[Verb]checks.Permission{
		VerbHelp: checks.PermissionNone, VerbStatus: checks.PermissionNone,
		VerbLink: checks.PermissionNone, VerbUnlink: checks.PermissionNone,
		VerbApprove: checks.PermissionWrite, VerbReject: checks.PermissionWrite,
		VerbOverride: checks.PermissionMaintain, VerbRollback: checks.PermissionMaintain,
		VerbPause: checks.PermissionMaintain, VerbResume: checks.PermissionMaintain,
		VerbBlock: checks.PermissionMaintain, VerbUnblock: checks.PermissionMaintain,
	}
	if len(least) != len(verbs()) {
		t.Fatalf("the table covers %d verbs of %d", len(least), len(verbs()))
	}
	for _, v := range verbs() {
		for _, role := range roles() {
			t.Run(fmt.Sprintf("%s/%s", v, role), func(t *testing.T) {
				d := Authorize(Command{Verb: v}, Actor{Login: "bob", Role: role}, Subject{Repository: "acme/api"})
				if want := role >= least[v]; d.Allowed != want {
					t.Fatalf("Allowed = %v; want %v (%+v)", d.Allowed, want, d)
				}
				if d.Need == "" {
					t.Error("Need is empty")
				}
				if d.Allowed {
					if d.Why != "" {
						t.Errorf("an allowed decision says Why %q", d.Why)
					}
					return
				}
				has := "has " + role.String() + " on acme/api"
				if role == checks.PermissionNone {
					has = "has no access to acme/api"
				}
				for _, want := range []string{"@bob " + has, "/deploy " + string(v) + " needs " + least[v].String()} {
					if !strings.Contains(d.Why, want) {
						t.Errorf("Why = %q; want it to contain %q", d.Why, want)
					}
				}
			})
		}
	}
}

func TestAuthorizeOverridePermission(t *testing.T) {
	tests := []struct {
		name   string
		verb   Verb
		perm   checks.Permission
		role   checks.Permission
		allow  bool
		reason string
	}{
		{"write may when overrides need write", VerbRollback, checks.PermissionWrite, checks.PermissionWrite, true, ""},
		{"triage may not when overrides need write", VerbOverride, checks.PermissionWrite, checks.PermissionTriage, false,
			"@bob has triage on acme/api; /deploy override needs write (overrides.permission)"},
		{"maintain may not when overrides need admin", VerbBlock, checks.PermissionAdmin, checks.PermissionMaintain, false,
			"@bob has maintain on acme/api; /deploy block needs admin (overrides.permission)"},
		{"admin may when overrides need admin", VerbUnblock, checks.PermissionAdmin, checks.PermissionAdmin, true, ""},
		{"default is maintain", VerbRollback, checks.PermissionNone, checks.PermissionWrite, false,
			"@bob has write on acme/api; /deploy rollback needs maintain (the default of overrides.permission)"},
		{"read may pause when overrides need read", VerbPause, checks.PermissionRead, checks.PermissionRead, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Authorize(Command{Verb: tt.verb}, Actor{Login: "bob", Role: tt.role},
				Subject{Repository: "acme/api", OverridePermission: tt.perm})
			if d.Allowed != tt.allow || d.Why != tt.reason {
				t.Errorf("got %+v; want Allowed %v, Why %q", d, tt.allow, tt.reason)
			}
		})
	}
}

func TestAuthorizeAllAndOrg(t *testing.T) {
	tests := []struct {
		name  string
		cmd   Command
		actor Actor
		allow bool
		why   string
	}{
		{"pause --all needs overrides.permission", Command{Verb: VerbPause, All: true}, Actor{Login: "bob", Role: checks.PermissionWrite}, false,
			"@bob has write on acme/api; /deploy pause --all needs maintain (the default of overrides.permission)"},
		{"pause --all by maintain", Command{Verb: VerbPause, All: true}, Actor{Login: "bob", Role: checks.PermissionMaintain}, true, ""},
		{"pause --org by an admin who does not own the org", Command{Verb: VerbPause, Org: true}, Actor{Login: "bob", Role: checks.PermissionAdmin}, false,
			"@bob is not an owner of acme; /deploy pause --org needs an organization owner, for it stops every repository"},
		{"resume --org by an admin who does not own the org", Command{Verb: VerbResume, Org: true}, Actor{Login: "bob", Role: checks.PermissionAdmin}, false,
			"@bob is not an owner of acme; /deploy resume --org needs an organization owner, for it stops every repository"},
		{"pause --org by an owner", Command{Verb: VerbPause, Org: true}, Actor{Login: "bob", OrgOwner: true}, true, ""},
		{"resume --org by an owner", Command{Verb: VerbResume, Org: true}, Actor{Login: "bob", OrgOwner: true}, true, ""},
		{"an org owner without a role may not roll back", Command{Verb: VerbRollback}, Actor{Login: "bob", OrgOwner: true}, false,
			"@bob has no access to acme/api; /deploy rollback needs maintain (the default of overrides.permission)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Authorize(tt.cmd, tt.actor, Subject{Repository: "acme/api"})
			if d.Allowed != tt.allow || d.Why != tt.why {
				t.Errorf("got %+v; want Allowed %v, Why %q", d, tt.allow, tt.why)
			}
		})
	}
}

func TestAuthorizeApproval(t *testing.T) {
	approvers := []string{"alice", "@Carol", "@acme/SRE"}
	tests := []struct {
		name    string
		verb    Verb
		actor   Actor
		subject Subject
		allow   bool
		need    string
		why     string // "" when allowed
	}{
		{"a named approver with read", VerbApprove, Actor{Login: "alice", Role: checks.PermissionRead},
			Subject{Approvers: approvers}, true, "an approver of the stage", ""},
		{"logins are case-insensitive", VerbApprove, Actor{Login: "ALICE"},
			Subject{Approvers: approvers}, true, "an approver of the stage", ""},
		{"an @login entry", VerbReject, Actor{Login: "carol"},
			Subject{Approvers: approvers}, true, "an approver of the stage", ""},
		{"a member of an approving team", VerbApprove, Actor{Login: "dave", Teams: []string{"Acme/sre"}},
			Subject{Approvers: approvers}, true, "an approver of the stage", ""},
		{"a member of another team", VerbApprove, Actor{Login: "dave", Role: checks.PermissionAdmin, Teams: []string{"acme/web"}},
			Subject{Approvers: approvers, Stage: "release-approval"}, false, "an approver of release-approval",
			"@dave is not among the approvers of release-approval (@alice, @Carol, @acme/SRE); /deploy approve needs one of them"},
		{"a team name is not a login", VerbApprove, Actor{Login: "acme/sre"},
			Subject{Approvers: approvers}, false, "an approver of the stage",
			"@acme/sre is not among the approvers of the stage (@alice, @Carol, @acme/SRE); /deploy approve needs one of them"},
		{"an admin not named may not reject", VerbReject, Actor{Login: "erin", Role: checks.PermissionAdmin},
			Subject{Approvers: approvers}, false, "an approver of the stage",
			"@erin is not among the approvers of the stage (@alice, @Carol, @acme/SRE); /deploy reject needs one of them"},
		{"no approvers: write", VerbApprove, Actor{Login: "bob", Role: checks.PermissionWrite},
			Subject{}, true, "write", ""},
		{"no approvers: triage may not", VerbReject, Actor{Login: "bob", Role: checks.PermissionTriage},
			Subject{Stage: "qa"}, false, "write",
			"@bob has triage on this repository; /deploy reject needs write (qa names no approvers)"},
		{"an author may not approve", VerbApprove, Actor{Login: "Bob", Role: checks.PermissionAdmin},
			Subject{Authors: []string{"amy", "bob"}, Stage: "qa"}, false, "write who is not an author of the release",
			"@Bob is an author of this release, and qa does not let authors approve their own release (allow_authors); another approver must"},
		{"an approver who is an author may not approve", VerbApprove, Actor{Login: "alice"},
			Subject{Approvers: approvers, Authors: []string{"alice"}}, false, "an approver of the stage who is not an author of the release",
			"@alice is an author of this release, and the stage does not let authors approve their own release (allow_authors); another approver must"},
		{"an author may approve where allowed", VerbApprove, Actor{Login: "bob", Role: checks.PermissionWrite},
			Subject{Authors: []string{"bob"}, AllowAuthors: true}, true, "write", ""},
		{"an author may reject", VerbReject, Actor{Login: "bob", Role: checks.PermissionWrite},
			Subject{Authors: []string{"bob"}}, true, "write", ""},
		{"an empty login matches no empty entry", VerbApprove, Actor{},
			Subject{Approvers: []string{"", "@"}}, false, "an approver of the stage",
			"this user is not among the approvers of the stage (none usable); /deploy approve needs one of them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Authorize(Command{Verb: tt.verb}, tt.actor, tt.subject)
			want := Decision{Allowed: tt.allow, Need: tt.need, Why: tt.why}
			if d != want {
				t.Errorf("got  %+v\nwant %+v", d, want)
			}
		})
	}
}

func TestAuthorizeListsAtMostTenApprovers(t *testing.T) {
	var many []string
	for i := range 13 {
		many = append(many, fmt.Sprintf("user%d", i))
	}
	d := Authorize(Command{Verb: VerbApprove}, Actor{Login: "bob"}, Subject{Approvers: many})
	if !strings.Contains(d.Why, "@user9 and 3 more)") || strings.Contains(d.Why, "@user10") {
		t.Errorf("Why = %q", d.Why)
	}
}

func TestAuthorizeUnknownVerbIsRefused(t *testing.T) {
	for _, v := range []Verb{"", "deploy", "HELP"} {
		d := Authorize(Command{Verb: v}, Actor{Login: "root", Role: checks.PermissionAdmin, OrgOwner: true}, Subject{})
		if d.Allowed || d.Why == "" {
			t.Errorf("Authorize(%q) = %+v; want a refusal", v, d)
		}
	}
}
