package postgres

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLockKey(t *testing.T) {
	t.Parallel()
	keys := map[int64]string{migrationLockKey(): "migrations"}
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
	list, err := migrations(migrationFS)
	require.NoError(t, err)
	require.NotEmpty(t, list)
	assert.Equal(t, 1, list[0].version)
	assert.Equal(t, "connections", list[0].name)
	assert.Contains(t, list[0].sql, "CREATE TABLE amokit_connections")
}

func TestMigrationsNaming(t *testing.T) {
	t.Parallel()
	file := &fstest.MapFile{Data: []byte("SELECT 1")}
	good, err := migrations(fstest.MapFS{"migrations/0002_b.sql": file, "migrations/0001_a.sql": file})
	require.NoError(t, err)
	require.Len(t, good, 2)
	assert.Equal(t, []int{1, 2}, []int{good[0].version, good[1].version})
	assert.Equal(t, "b", good[1].name)

	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"migrations/0001_a.sql": file, "migrations/0003_c.sql": file},
		"duplicate": {"migrations/0001_a.sql": file, "migrations/0001_b.sql": file},
		"no name":   {"migrations/0001.sql": file},
		"not a num": {"migrations/first_a.sql": file},
		"from zero": {"migrations/0000_a.sql": file},
	} {
		_, err := migrations(fsys)
		assert.Error(t, err, name)
	}
}
