package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/pricelist"
	"github.com/amokit/amokit/app/pricelist/postgres"
	"github.com/amokit/amokit/app/pricelist/pricelisttest"
	"github.com/amokit/amokit/internal/pgtest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	pricelisttest.Run(t, func(t *testing.T) pricelist.Store {
		s, err := postgres.New(t.Context(), pgtest.Pool(t))
		require.NoError(t, err)
		return s
	})
}

// Two replicas starting together on one database both migrate, once.
func TestNew_concurrentReplicas(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() { _, err := postgres.New(t.Context(), pool); errs <- err }()
	}
	for range 4 {
		require.NoError(t, <-errs)
	}
}
