package postgres

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/internal/pgmigrate"
)

func TestLockKey(t *testing.T) {
	t.Parallel()
	keys := map[int64]string{pgmigrate.AdvisoryKey("schema migrations"): "migrations"}
	for _, a := range []string{"acme.amocrm.ru", "acme.amocrm.com", "ACME.amocrm.ru", "acme.kommo.com", ""} {
		k := lockKey(a)
		assert.Equal(t, k, lockKey(a), "stable")
		prev, dup := keys[k]
		assert.False(t, dup, "%q and %q share a key", a, prev)
		keys[k] = a
	}
}

func TestMigrationsEmbedded(t *testing.T) {
	t.Parallel()
	list, err := pgmigrate.List(migrationFS)
	require.NoError(t, err)
	require.NotEmpty(t, list)
	assert.Equal(t, 1, list[0].Version)
	assert.Equal(t, "connections", list[0].Name)
	assert.Contains(t, list[0].SQL, "CREATE TABLE amokit_connections")
}
