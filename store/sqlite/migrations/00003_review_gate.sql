-- +goose Up

-- The check run Wavegate owns for each (repository, head commit, name), so
-- that a re-evaluation updates it instead of creating another.
CREATE TABLE check_runs (
    repository  TEXT    NOT NULL,
    head_sha    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    check_run_id INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (repository, head_sha, name)
);

-- The review gate's result for a pull request at a head commit: what a
-- merged commit's verdict is decided from.
CREATE TABLE review_results (
    repository   TEXT    NOT NULL,
    pull_number  INTEGER NOT NULL,
    head_sha     TEXT    NOT NULL,
    conclusion   TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    evaluated_at INTEGER NOT NULL,
    PRIMARY KEY (repository, pull_number, head_sha)
);

-- Whether a commit that reached a deployment branch was reviewed, and why
-- not: the engine's "unreviewed" blocker reads it.
CREATE TABLE commit_verdicts (
    repository  TEXT    NOT NULL,
    sha         TEXT    NOT NULL,
    reviewed    BOOLEAN NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    pull_number INTEGER NOT NULL DEFAULT 0,
    decided_at  INTEGER NOT NULL,
    PRIMARY KEY (repository, sha)
);

-- +goose Down
DROP TABLE commit_verdicts;
DROP TABLE review_results;
DROP TABLE check_runs;
