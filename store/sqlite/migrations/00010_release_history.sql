-- +goose Up

-- The release history delivery metrics are computed from: a release
-- released, a release failed in a stage, a failed stage restored. Rows are
-- written with the engine state that decided them and never updated.
-- started_at is when what at ends began (the change's start, or for
-- restored the stage's first failure). stage is '' for released.
CREATE TABLE release_history (
    id         INTEGER PRIMARY KEY,
    repository TEXT    NOT NULL,
    pipeline   TEXT    NOT NULL,
    release_id INTEGER NOT NULL,
    sha        TEXT    NOT NULL,
    stage      TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('released', 'failed', 'restored')),
    at         INTEGER NOT NULL,
    started_at INTEGER NOT NULL
);

-- A decision saved twice (a retried command, a replay) is recorded once.
CREATE UNIQUE INDEX release_history_once ON release_history (repository, pipeline, release_id, kind, stage);
-- What a window's read scans.
CREATE INDEX release_history_at ON release_history (at);
-- What deciding whether a stage has an unrestored failure looks up.
CREATE INDEX release_history_stage ON release_history (repository, pipeline, stage, kind, id);

-- +goose Down
DROP TABLE release_history;
