-- +goose Up

-- The PR comment that reports a release on a pull request, so that it is
-- edited in place; body_hash skips edits that would change nothing.
CREATE TABLE report_comments (
    repository  TEXT    NOT NULL,
    pull_number INTEGER NOT NULL,
    release_key TEXT    NOT NULL,
    comment_id  INTEGER NOT NULL,
    body_hash   TEXT    NOT NULL,
    PRIMARY KEY (repository, pull_number, release_key)
);

-- +goose Down
DROP TABLE report_comments;
