-- One row per connected amoCRM account. client_secret and both tokens hold either plaintext or,
-- with a Sealer, values of the form amokit:v1:<key id>:<base64url>.
CREATE TABLE amokit_connections (
    account         text COLLATE "C" PRIMARY KEY CHECK (account <> ''),
    account_id      bigint      NOT NULL DEFAULT 0,
    client_id       text        NOT NULL,
    client_secret   text        NOT NULL,
    access_token    text        NOT NULL,
    refresh_token   text        NOT NULL,
    expiry          timestamptz,
    refreshed_at    timestamptz,
    reauth_required boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
