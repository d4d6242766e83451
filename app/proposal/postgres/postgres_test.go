package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/app/proposal/postgres"
	"github.com/amokit/amokit/app/proposal/proposaltest"
	"github.com/amokit/amokit/internal/pgtest"
)

func newStore(t *testing.T) *postgres.Store {
	s, err := postgres.New(t.Context(), pgtest.Pool(t))
	require.NoError(t, err)
	return s
}

func TestSettingsContract(t *testing.T) {
	t.Parallel()
	proposaltest.RunSettings(t, func(t *testing.T) proposal.SettingsStore { return newStore(t) })
}

func TestRegistryContract(t *testing.T) {
	t.Parallel()
	proposaltest.RunRegistry(t, func(t *testing.T) proposal.Registry { return newStore(t) })
}
