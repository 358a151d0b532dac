-- +goose Up

-- Every decision the engine took about a release, with its reason: the
-- release page's timeline. Rows are written with the engine state that
-- took them and never updated; target is '' for a decision about a stage
-- or the release, stage '' for one about the release.
CREATE TABLE release_decisions (
    id         INTEGER PRIMARY KEY,
    repository TEXT    NOT NULL,
    pipeline   TEXT    NOT NULL,
    release_id INTEGER NOT NULL,
    stage      TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    what       TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    at         INTEGER NOT NULL
);

-- What a release page reads: one release's decisions in order.
CREATE INDEX release_decisions_release ON release_decisions (repository, pipeline, release_id, id);

-- +goose Down
DROP TABLE release_decisions;
