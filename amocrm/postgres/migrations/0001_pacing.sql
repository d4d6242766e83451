-- One row per amoCRM account: the earliest moment its next request may leave, on the
-- database's clock. Every replica reserves its requests' moments here.
CREATE TABLE amokit_pacing (
    account text        PRIMARY KEY,
    next_at timestamptz NOT NULL
);
