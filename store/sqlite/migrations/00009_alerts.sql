-- +goose Up

-- The Alertmanager alerts Wavegate was sent, as last told, by fingerprint
-- (Alertmanager's hash of the labels). labels and annotations are JSON
-- objects; ends_at is NULL while firing. received_at orders notifications
-- (an older one retried late changes nothing) and says when an alert was
-- last refreshed, after which it is treated as resolved, then pruned.
CREATE TABLE alerts (
    fingerprint   TEXT    PRIMARY KEY,
    status        TEXT    NOT NULL CHECK (status IN ('firing', 'resolved')),
    labels        TEXT    NOT NULL,
    annotations   TEXT    NOT NULL,
    starts_at     INTEGER,
    ends_at       INTEGER,
    generator_url TEXT    NOT NULL,
    received_at   INTEGER NOT NULL
);

-- What the view loads at start (the firing ones) and what pruning deletes.
CREATE INDEX alerts_status_received ON alerts (status, received_at);

-- +goose Down
DROP TABLE alerts;
