-- +goose Up

-- One pipeline's engine state in one repository, as the engine serializes
-- it. version guards against two writers (replicas, or a late retry)
-- overwriting each other; wake_at is when the engine must look again.
CREATE TABLE engine_states (
    repository TEXT    NOT NULL,
    pipeline   TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    state      BLOB    NOT NULL,
    wake_at    INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (repository, pipeline)
);

CREATE INDEX engine_states_wake ON engine_states (wake_at) WHERE wake_at IS NOT NULL;

-- Release ids grow per repository.
CREATE TABLE release_ids (
    repository TEXT    PRIMARY KEY,
    last_id    INTEGER NOT NULL
);

-- +goose Down
DROP TABLE release_ids;
DROP TABLE engine_states;
