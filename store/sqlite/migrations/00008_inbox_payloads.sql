-- +goose Up

-- A delivery's payload (about 20 KB) lives beside its row, not in it: SQLite
-- rewrites a whole row, overflow pages included, on every UPDATE, so with the
-- payload inline each claim and each completion wrote the payload to the WAL
-- again. A payload is written once, when the delivery arrives, and never
-- changes; a redelivery is a new row with a new seq.
CREATE TABLE inbox_payloads (
    seq     INTEGER PRIMARY KEY REFERENCES inbox (seq) ON DELETE CASCADE,
    payload BLOB    NOT NULL
);

INSERT INTO inbox_payloads (seq, payload) SELECT seq, payload FROM inbox;

ALTER TABLE inbox DROP COLUMN payload;

-- +goose Down
ALTER TABLE inbox ADD COLUMN payload BLOB NOT NULL DEFAULT x'';
UPDATE inbox SET payload = (SELECT p.payload FROM inbox_payloads p WHERE p.seq = inbox.seq);
DROP TABLE inbox_payloads;
