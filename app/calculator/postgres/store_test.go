package postgres_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/calculator/calculatortest"
	"github.com/amokit/amokit/app/calculator/postgres"
	"github.com/amokit/amokit/internal/pgtest"
)

// TestContract runs the contract of package calculatortest on PostgreSQL; the memory store
// runs it too, so the two cannot drift apart.
func TestContract(t *testing.T) {
	t.Parallel()
	calculatortest.Run(t, func(t *testing.T) calculator.CalculationStore {
		pool := pgtest.Pool(t)
		_, err := postgres.New(t.Context(), pool)
		require.NoError(t, err)
		s, err := postgres.New(t.Context(), pool)
		require.NoError(t, err, "a second New migrates nothing")
		return s
	})
}

func TestCatalogIndexContract(t *testing.T) {
	t.Parallel()
	calculatortest.RunCatalogIndex(t, func(t *testing.T) calculator.CatalogIndex {
		s, err := postgres.New(t.Context(), pgtest.Pool(t))
		require.NoError(t, err)
		return s
	})
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = postgres.New(t.Context(), pool) })
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	var n int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM amokit_schema_migrations WHERE component = 'calculator'`).Scan(&n))
	assert.Equal(t, 3, n, "each migration applied once")
}

// A database that the earlier runner migrated (its own table widget_schema_migrations) keeps its
// calculations.
func TestNewTakesOverAnEarlierSchema(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	_, err := pool.Exec(t.Context(), earlierSchema)
	require.NoError(t, err)
	s, err := postgres.New(t.Context(), pool)
	require.NoError(t, err)
	list, err := s.List(t.Context(), "acme.amocrm.ru", 10, 0)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "calc-1", list[0].ID)
	assert.Equal(t, calculator.PartDone, list[0].Parts.Price)
}

// earlierSchema is what the earlier runner left: its migrations table and the table of
// migration 0001 with one calculation.
const earlierSchema = `
CREATE TABLE widget_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
INSERT INTO widget_schema_migrations (version, name) VALUES (1, '0001_widget_calculations.sql');
CREATE TABLE widget_calculations (
    account          text        NOT NULL,
    lead_id          bigint      NOT NULL CHECK (lead_id > 0),
    idempotency_key  text        NOT NULL,
    id               text        NOT NULL UNIQUE,
    account_id       bigint      NOT NULL,
    user_id          bigint      NOT NULL,
    order_json       jsonb       NOT NULL,
    quote_json       jsonb       NOT NULL,
    parts            jsonb       NOT NULL,
    lease            text,
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    seq              bigint      GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (account, lead_id, idempotency_key)
);
CREATE INDEX widget_calculations_by_lead ON widget_calculations (account, lead_id, created_at DESC, seq DESC);
INSERT INTO widget_calculations (account, lead_id, idempotency_key, id, account_id, user_id, order_json, quote_json, parts, created_at)
VALUES ('acme.amocrm.ru', 10, 'k1', 'calc-1', 31, 7, '{"pieces":[]}', '{"lines":[]}',
        '{"price":"done","note":"pending","products":"pending"}', now());
`

func TestNewNilPool(t *testing.T) {
	t.Parallel()
	_, err := postgres.New(t.Context(), nil)
	assert.Error(t, err)
}
