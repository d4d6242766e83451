-- Saved calculations of the calculator (calculator.CalculationStore). IF NOT EXISTS: databases
-- migrated before the migrations moved to amokit_schema_migrations have the table already.
CREATE TABLE IF NOT EXISTS widget_calculations (
    account          text        NOT NULL,
    lead_id          bigint      NOT NULL CHECK (lead_id > 0),
    idempotency_key  text        NOT NULL,
    id               text        NOT NULL UNIQUE,
    account_id       bigint      NOT NULL,
    user_id          bigint      NOT NULL,
    order_json       jsonb       NOT NULL,
    quote_json       jsonb       NOT NULL,
    -- {"price":"done","note":"failed","products":"pending"}
    parts            jsonb       NOT NULL,
    -- the lease of the request writing the calculation to amoCRM; NULL when free
    lease            text,
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    seq              bigint      GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (account, lead_id, idempotency_key)
);

CREATE INDEX IF NOT EXISTS widget_calculations_by_lead ON widget_calculations (account, lead_id, created_at DESC, seq DESC);
