-- The shop's details for proposals: one row.
CREATE TABLE amokit_proposal_settings (
    id         boolean     PRIMARY KEY DEFAULT true CHECK (id),
    settings   jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Issued proposals and how far attaching each to its deal got.
CREATE TABLE amokit_proposals (
    account        text        NOT NULL,
    lead_id        bigint      NOT NULL,
    calculation_id text        NOT NULL,
    party          text        NOT NULL,
    number         text        NOT NULL,
    file_name      text        NOT NULL,
    pdf            bytea       NOT NULL,
    created_at     timestamptz NOT NULL,
    file_uuid      text        NOT NULL DEFAULT '',
    version_uuid   text        NOT NULL DEFAULT '',
    linked         boolean     NOT NULL DEFAULT false,
    noted          boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (account, lead_id, calculation_id, party),
    UNIQUE (account, lead_id, number)
);
