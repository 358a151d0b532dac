package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wavegate/wavegate/store"
)

// UpsertInstallation creates or updates an installation.
func (s *Store) UpsertInstallation(ctx context.Context, inst store.Installation) error {
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO installations
			(id, account, account_type, suspended, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET
				account = excluded.account,
				account_type = excluded.account_type,
				suspended = excluded.suspended,
				updated_at = excluded.updated_at`,
			inst.ID, inst.Account, inst.AccountType, inst.Suspended, toNullNanos(inst.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("upsert installation %d: %w", inst.ID, err)
	}
	return nil
}

// DeleteInstallation removes an installation and, by cascade, its
// repositories. Deleting an unknown installation is not an error: GitHub may
// report the deletion of an installation this store never saw.
func (s *Store) DeleteInstallation(ctx context.Context, id int64) error {
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM installations WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete installation %d: %w", id, err)
	}
	return nil
}

// SetRepositories replaces the installation's repository list. The
// installation must exist (ErrNotFound otherwise).
func (s *Store) SetRepositories(ctx context.Context, installationID int64, repos []store.Repository) error {
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		if err := installationExists(ctx, tx, installationID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`DELETE FROM repositories WHERE installation_id = ?`, installationID); err != nil {
			return err
		}
		return upsertRepositories(ctx, tx, installationID, repos)
	})
	if err != nil {
		return fmt.Errorf("set repositories of installation %d: %w", installationID, err)
	}
	return nil
}

// AddRepositories adds or updates repositories of an existing installation
// (ErrNotFound otherwise). A repository listed under another installation
// moves to this one: a repository ID is covered by one installation.
func (s *Store) AddRepositories(ctx context.Context, installationID int64, repos []store.Repository) error {
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		if err := installationExists(ctx, tx, installationID); err != nil {
			return err
		}
		return upsertRepositories(ctx, tx, installationID, repos)
	})
	if err != nil {
		return fmt.Errorf("add repositories to installation %d: %w", installationID, err)
	}
	return nil
}

// RemoveRepositories removes the installation's repositories with the given
// IDs; IDs it does not have are ignored.
func (s *Store) RemoveRepositories(ctx context.Context, installationID int64, repoIDs []int64) error {
	if len(repoIDs) == 0 {
		return nil
	}
	args := make([]any, 0, len(repoIDs)+1)
	args = append(args, installationID)
	for _, id := range repoIDs {
		args = append(args, id)
	}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx writeTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM repositories
			WHERE installation_id = ? AND id IN (`+placeholders(len(repoIDs))+`)`, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove %d repositories from installation %d: %w", len(repoIDs), installationID, err)
	}
	return nil
}

// Installation returns one installation (ErrNotFound when absent).
func (s *Store) Installation(ctx context.Context, id int64) (store.Installation, error) {
	var (
		inst    store.Installation
		updated sql.NullInt64
	)
	err := s.read.QueryRowContext(ctx, `SELECT id, account, account_type, suspended, updated_at
		FROM installations WHERE id = ?`, id).
		Scan(&inst.ID, &inst.Account, &inst.AccountType, &inst.Suspended, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Installation{}, fmt.Errorf("get installation %d: %w", id, err)
	}
	inst.UpdatedAt = fromNullNanos(updated)
	return inst, nil
}

// Repositories lists an installation's repositories ordered by full name;
// an unknown installation has none.
func (s *Store) Repositories(ctx context.Context, installationID int64) ([]store.Repository, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, full_name, private FROM repositories
		WHERE installation_id = ? ORDER BY full_name, id`, installationID)
	if err != nil {
		return nil, fmt.Errorf("list repositories of installation %d: %w", installationID, err)
	}
	defer rows.Close()
	var out []store.Repository
	for rows.Next() {
		var r store.Repository
		if err := rows.Scan(&r.ID, &r.FullName, &r.Private); err != nil {
			return nil, fmt.Errorf("list repositories of installation %d: %w", installationID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list repositories of installation %d: %w", installationID, err)
	}
	return out, nil
}

// InstallationForRepository finds the installation covering owner/name,
// compared case-insensitively as GitHub does (ErrNotFound when none).
func (s *Store) InstallationForRepository(ctx context.Context, fullName string) (int64, error) {
	var id int64
	// Should a stale row survive a rename or transfer, the latest-known
	// repository ID (the newest repository) wins.
	err := s.read.QueryRowContext(ctx, `SELECT installation_id FROM repositories
		WHERE lower(full_name) = lower(?) ORDER BY id DESC LIMIT 1`, fullName).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("find installation for repository %q: %w", fullName, err)
	}
	return id, nil
}

func installationExists(ctx context.Context, tx writeTx, id int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM installations WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("installation: %w", store.ErrNotFound)
	}
	return err
}

func upsertRepositories(ctx context.Context, tx writeTx, installationID int64, repos []store.Repository) error {
	if len(repos) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO repositories
		(id, installation_id, full_name, private) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			installation_id = excluded.installation_id,
			full_name = excluded.full_name,
			private = excluded.private`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range repos {
		if _, err := stmt.ExecContext(ctx, r.ID, installationID, r.FullName, r.Private); err != nil {
			return fmt.Errorf("repository %d %q: %w", r.ID, r.FullName, err)
		}
	}
	return nil
}
