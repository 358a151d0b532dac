-- +goose Up

-- Every time column holds INTEGER Unix nanoseconds in UTC (BIGINT in Postgres);
-- NULL means "not set". Integers compare and index the same way in both
-- databases, which text timestamps would not.
--
-- Large BLOB columns come last in each table: SQLite stores a row's columns in
-- order, so a column after a 20 KB payload could only be read by walking its
-- overflow pages.

CREATE TABLE inbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT, -- arrival order; never reused
    delivery_id     TEXT    NOT NULL UNIQUE,           -- X-GitHub-Delivery
    event           TEXT    NOT NULL,
    action          TEXT    NOT NULL DEFAULT '',
    installation_id INTEGER NOT NULL DEFAULT 0,
    repository      TEXT    NOT NULL DEFAULT '',       -- owner/name, '' for none
    received_at     INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'processing', 'done', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    processed_at    INTEGER,
    payload         BLOB    NOT NULL
);

-- Claim walks unfinished rows in arrival order; the index covers every column
-- the walk tests, so it never touches the table rows of rows it skips.
CREATE INDEX inbox_claim ON inbox (seq, state, next_attempt_at, lease_until, repository)
    WHERE state IN ('pending', 'processing');

-- Claim's per-repository rule: "is there an unfinished row of this repository
-- before this one?" is one probe here.
CREATE INDEX inbox_repository_unfinished ON inbox (repository, seq)
    WHERE state IN ('pending', 'processing');

CREATE INDEX inbox_next_due ON inbox (next_attempt_at)
    WHERE state = 'pending';

CREATE INDEX inbox_finished ON inbox (processed_at)
    WHERE state IN ('done', 'dead');

CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'processing', 'done', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    done_at         INTEGER,
    payload         BLOB    NOT NULL,
    result          BLOB
);

CREATE INDEX outbox_claim ON outbox (seq, state, next_attempt_at, lease_until)
    WHERE state IN ('pending', 'processing');

CREATE INDEX outbox_finished ON outbox (done_at)
    WHERE state IN ('done', 'dead');

CREATE TABLE installations (
    id           INTEGER PRIMARY KEY, -- GitHub's installation id
    account      TEXT    NOT NULL,
    account_type TEXT    NOT NULL,
    suspended    BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at   INTEGER
);

CREATE TABLE repositories (
    id              INTEGER PRIMARY KEY, -- GitHub's repository id
    installation_id INTEGER NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    full_name       TEXT    NOT NULL,
    private         BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX repositories_installation ON repositories (installation_id, full_name);

-- GitHub treats owner/name case-insensitively, and so do lookups.
CREATE INDEX repositories_full_name ON repositories (lower(full_name));

-- +goose Down
DROP TABLE repositories;
DROP TABLE installations;
DROP TABLE outbox;
DROP TABLE inbox;
