package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/wavegate/wavegate/internal/clock"
	"github.com/wavegate/wavegate/store"
)

// Installations keeps the table of installations and their repositories from
// installation and installation_repositories events.
type Installations struct {
	Store store.Installations
	Clock clock.Clock
}

func (h *Installations) installation(ctx context.Context, ev Event) error {
	e, ok := ev.Payload.(*github.InstallationEvent)
	if !ok || e.GetInstallation().GetID() == 0 {
		return fmt.Errorf("installation delivery %s carries no installation", ev.Delivery.ID)
	}
	inst := toInstallation(e.GetInstallation(), h.Clock.Now())
	switch e.GetAction() {
	case "deleted":
		if err := h.Store.DeleteInstallation(ctx, inst.ID); err != nil {
			return fmt.Errorf("delete installation %d: %w", inst.ID, err)
		}
		return nil
	case "suspend":
		inst.Suspended = true
	case "unsuspend":
		inst.Suspended = false
	}
	if err := h.Store.UpsertInstallation(ctx, inst); err != nil {
		return fmt.Errorf("save installation %d: %w", inst.ID, err)
	}
	// "created" lists every repository the installation can reach; other
	// actions carry none, and must not wipe the list.
	if e.GetAction() == "created" {
		if err := h.Store.SetRepositories(ctx, inst.ID, toRepositories(e.Repositories)); err != nil {
			return fmt.Errorf("save repositories of installation %d: %w", inst.ID, err)
		}
	}
	return nil
}

func (h *Installations) repositories(ctx context.Context, ev Event) error {
	e, ok := ev.Payload.(*github.InstallationRepositoriesEvent)
	if !ok || e.GetInstallation().GetID() == 0 {
		return fmt.Errorf("installation_repositories delivery %s carries no installation", ev.Delivery.ID)
	}
	inst := toInstallation(e.GetInstallation(), h.Clock.Now())
	// The installation row may be missing if Wavegate was installed before it
	// started keeping the table; create it rather than lose the repositories.
	if err := h.Store.UpsertInstallation(ctx, inst); err != nil {
		return fmt.Errorf("save installation %d: %w", inst.ID, err)
	}
	if added := toRepositories(e.RepositoriesAdded); len(added) > 0 {
		if err := h.Store.AddRepositories(ctx, inst.ID, added); err != nil {
			return fmt.Errorf("add repositories to installation %d: %w", inst.ID, err)
		}
	}
	if len(e.RepositoriesRemoved) > 0 {
		ids := make([]int64, 0, len(e.RepositoriesRemoved))
		for _, r := range e.RepositoriesRemoved {
			ids = append(ids, r.GetID())
		}
		if err := h.Store.RemoveRepositories(ctx, inst.ID, ids); err != nil {
			return fmt.Errorf("remove repositories from installation %d: %w", inst.ID, err)
		}
	}
	return nil
}

func toInstallation(i *github.Installation, now time.Time) store.Installation {
	return store.Installation{
		ID:          i.GetID(),
		Account:     i.GetAccount().GetLogin(),
		AccountType: i.GetAccount().GetType(),
		Suspended:   i.SuspendedAt != nil,
		UpdatedAt:   now,
	}
}

func toRepositories(rs []*github.Repository) []store.Repository {
	out := make([]store.Repository, 0, len(rs))
	for _, r := range rs {
		out = append(out, store.Repository{ID: r.GetID(), FullName: r.GetFullName(), Private: r.GetPrivate()})
	}
	return out
}
