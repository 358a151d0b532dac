-- +goose Up

-- Every command people gave, accepted or refused: the audit log. request_id
-- keeps a redelivered or retried command from being recorded twice;
-- repository is kept as given, for display, and repo_key lowercased, for
-- the filters (GitHub compares names without regard to case).
CREATE TABLE command_audit (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id      TEXT    NOT NULL UNIQUE,
    at              INTEGER NOT NULL,
    installation_id INTEGER NOT NULL,
    repository      TEXT    NOT NULL,
    repo_key        TEXT    NOT NULL,
    pipeline        TEXT    NOT NULL,
    release_id      INTEGER NOT NULL,
    login           TEXT    NOT NULL,
    slack_user      TEXT    NOT NULL,
    surface         TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    line            TEXT    NOT NULL,
    verb            TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    decision        TEXT    NOT NULL,
    why             TEXT    NOT NULL
);

-- What `wavegate audit` and the release reports filter on: a repository
-- since a time, one release of a repository, or everything since a time.
CREATE INDEX command_audit_repo_at ON command_audit (repo_key, at, seq);
CREATE INDEX command_audit_release ON command_audit (repo_key, release_id, at, seq);
CREATE INDEX command_audit_at ON command_audit (at, seq);

-- One-time codes that prove a Slack user holds a GitHub login, by their
-- hash only. A redeemed, replaced or expired-when-tried code is deleted;
-- a user has at most one, so codes never tried cannot pile up.
CREATE TABLE slack_link_codes (
    code_hash  TEXT    PRIMARY KEY,
    slack_team TEXT    NOT NULL,
    slack_user TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX slack_link_codes_user ON slack_link_codes (slack_team, slack_user);

-- A Slack user's verified GitHub login.
CREATE TABLE slack_links (
    slack_team TEXT    NOT NULL,
    slack_user TEXT    NOT NULL,
    login      TEXT    NOT NULL,
    linked_at  INTEGER NOT NULL,
    PRIMARY KEY (slack_team, slack_user)
);

-- +goose Down
DROP TABLE slack_links;
DROP TABLE slack_link_codes;
DROP TABLE command_audit;
