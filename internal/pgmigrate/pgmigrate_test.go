package pgmigrate_test

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/internal/pgmigrate"
	"github.com/amokit/amokit/internal/pgtest"
)

func TestList(t *testing.T) {
	t.Parallel()
	file := &fstest.MapFile{Data: []byte("SELECT 1")}
	good, err := pgmigrate.List(fstest.MapFS{"migrations/0002_b.sql": file, "migrations/0001_a.sql": file})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, []string{good[0].Name, good[1].Name})
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"migrations/0001_a.sql": file, "migrations/0003_c.sql": file},
		"duplicate": {"migrations/0001_a.sql": file, "migrations/0001_b.sql": file},
		"no name":   {"migrations/0001.sql": file},
		"not a num": {"migrations/first_a.sql": file},
		"from zero": {"migrations/0000_a.sql": file},
		"none":      {},
	} {
		_, err := pgmigrate.List(fsys)
		assert.Error(t, err, name)
	}
}

func TestRun_onceAcrossReplicasAndComponents(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	a := fstest.MapFS{"migrations/0001_t.sql": {Data: []byte("CREATE TABLE a_t (x int)")}}
	b := fstest.MapFS{"migrations/0001_t.sql": {Data: []byte("CREATE TABLE b_t (x int)")}}
	errs := make(chan error, 6)
	for range 3 {
		go func() { errs <- pgmigrate.Run(t.Context(), pool, "a", a) }()
		go func() { errs <- pgmigrate.Run(t.Context(), pool, "b", b) }()
	}
	for range 6 {
		require.NoError(t, <-errs)
	}
	var n int
	require.NoError(t, pool.QueryRow(t.Context(), "SELECT count(*) FROM amokit_schema_migrations").Scan(&n))
	assert.Equal(t, 2, n, "one row per component and version")

	// A failing migration changes nothing.
	bad := fstest.MapFS{
		"migrations/0001_t.sql": {Data: []byte("CREATE TABLE a_t (x int)")},
		"migrations/0002_u.sql": {Data: []byte("CREATE TABLE a_u (x int)")},
		"migrations/0003_v.sql": {Data: []byte("SELECT nonsense FROM nowhere")},
	}
	require.Error(t, pgmigrate.Run(t.Context(), pool, "a", bad))
	var exists bool
	require.NoError(t, pool.QueryRow(t.Context(), "SELECT to_regclass('a_u') IS NOT NULL").Scan(&exists))
	assert.False(t, exists)
}
