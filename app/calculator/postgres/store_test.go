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
		require.NoError(t, postgres.Migrate(t.Context(), pool))
		require.NoError(t, postgres.Migrate(t.Context(), pool), "a second Migrate changes nothing")
		s, err := postgres.New(pool)
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
		wg.Go(func() { errs[i] = postgres.Migrate(t.Context(), pool) })
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	var n int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM widget_schema_migrations`).Scan(&n))
	assert.Equal(t, 1, n)
}

func TestNewNilPool(t *testing.T) {
	t.Parallel()
	_, err := postgres.New(nil)
	assert.Error(t, err)
	assert.Error(t, postgres.Migrate(t.Context(), nil))
}
