-- +goose Up

-- The Slack message that reports a release, so that it is updated in place
-- and its thread replies are not repeated; seen is what the thread has
-- already told, kept by the caller.
CREATE TABLE slack_messages (
    repository  TEXT NOT NULL,
    release_key TEXT NOT NULL,
    channel_id  TEXT NOT NULL,
    ts          TEXT NOT NULL,
    body_hash   TEXT NOT NULL,
    seen        BLOB NOT NULL,
    PRIMARY KEY (repository, release_key)
);

-- The outbox worker sleeps until the next retry is due; this keeps finding
-- it cheap however many effects are done.
CREATE INDEX outbox_next_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_lease ON outbox (lease_until) WHERE state = 'processing';

-- +goose Down
DROP INDEX outbox_lease;
DROP INDEX outbox_next_due;
DROP TABLE slack_messages;
