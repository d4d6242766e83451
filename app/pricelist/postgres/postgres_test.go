package postgres_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
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

// Two replicas on one database: a version published through one is priced with by the other
// at its next refresh, without a restart.
func TestReplicasPickUpANewVersion(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	a, err := postgres.New(t.Context(), pool)
	require.NoError(t, err)
	b, err := postgres.New(t.Context(), pool)
	require.NoError(t, err)
	liveB, err := pricelist.NewLive(b, glass.DefaultPriceList(), pricelist.WithRefresh(20*time.Millisecond))
	require.NoError(t, err)
	require.Equal(t, "default-2025.1", liveB.Current(t.Context()).Version)

	winter := glass.DefaultPriceList()
	winter.Version = "зима"
	winter.Materials[0].Prices[8] = 250000
	data, err := json.Marshal(winter)
	require.NoError(t, err)
	_, err = pricelist.Publish(t.Context(), a, "Анна", data)
	require.NoError(t, err)

	require.Eventually(t, func() bool { return liveB.Current(t.Context()).Version == "зима" },
		10*time.Second, 10*time.Millisecond, "the other replica prices with the new version")
	q, err := liveB.Current(t.Context()).Quote(pricelist.WorkedExample())
	require.NoError(t, err)
	require.Equal(t, int64(1756400), q.Total)
	old, err := liveB.Version(t.Context(), "default-2025.1")
	require.NoError(t, err)
	require.Equal(t, "default-2025.1", old.Version)
}
