-- +goose Up

-- The first unfinished delivery of each repository with work. Claim and
-- NextDue look only here, so their cost follows the number of repositories
-- with work, not the length of a backlog: with tens of thousands of rows
-- waiting, scanning them inside the one write transaction stalled intake.
CREATE TABLE inbox_heads (
    repository TEXT    PRIMARY KEY,
    seq        INTEGER NOT NULL
);

INSERT INTO inbox_heads (repository, seq)
SELECT repository, MIN(seq) FROM inbox
WHERE state IN ('pending', 'processing')
GROUP BY repository;

-- Claim and NextDue no longer walk the unfinished rows.
DROP INDEX inbox_claim;
DROP INDEX inbox_next_due;

-- +goose Down
CREATE INDEX inbox_next_due ON inbox (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX inbox_claim ON inbox (seq, state, next_attempt_at, lease_until, repository)
    WHERE state IN ('pending', 'processing');
DROP TABLE inbox_heads;
