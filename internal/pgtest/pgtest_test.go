package pgtest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTB records Skip and Fatal and stops the caller the way testing does, by unwinding.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

type stopped struct{}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Skip(args ...any) {
	f.skipped = fmt.Sprint(args...)
	panic(stopped{})
}

func (f *fakeTB) Fatal(args ...any) {
	f.fatal = fmt.Sprint(args...)
	panic(stopped{})
}

func runAdminURL(t *testing.T, env map[string]string) (url string, f *fakeTB) {
	f = &fakeTB{TB: t}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopped); !ok {
				panic(r)
			}
		}
	}()
	return adminURL(f, func(k string) string { return env[k] }), f
}

func TestAdminURL(t *testing.T) {
	t.Parallel()

	url, f := runAdminURL(t, map[string]string{})
	assert.Empty(t, url)
	assert.Empty(t, f.fatal)
	assert.Equal(t, "PostgreSQL tests skipped: set AMOKIT_POSTGRES_URL=postgres://... (bash .ci/run starts one)", f.skipped)

	url, f = runAdminURL(t, map[string]string{EnvRequire: "1"})
	assert.Empty(t, url)
	assert.Empty(t, f.skipped)
	assert.Contains(t, f.fatal, "AMOKIT_REQUIRE_POSTGRES=1")
	assert.Contains(t, f.fatal, "AMOKIT_POSTGRES_URL")

	url, f = runAdminURL(t, map[string]string{EnvRequire: "0"})
	assert.Empty(t, url)
	assert.NotEmpty(t, f.skipped, "AMOKIT_REQUIRE_POSTGRES=0 still skips")

	const dsn = "postgres://u@h:1/postgres"
	url, f = runAdminURL(t, map[string]string{EnvURL: " " + dsn + "\n", EnvRequire: "1"})
	assert.Equal(t, dsn, url)
	assert.Empty(t, f.skipped)
	assert.Empty(t, f.fatal)
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ admin, want string }{
		{"postgres://amokit@127.0.0.1:5432/postgres?sslmode=disable", "postgres://amokit@127.0.0.1:5432/db_x?sslmode=disable"},
		{"postgresql://u:p%40ss@h/", "postgresql://u:p%40ss@h/db_x"},
		{"postgres://h", "postgres://h/db_x"},
		{"host=h user=u dbname=postgres", "host=h user=u dbname=postgres dbname=db_x"},
	} {
		got, err := withDatabase(tc.admin, "db_x")
		require.NoError(t, err, tc.admin)
		assert.Equal(t, tc.want, got, tc.admin)
		cfg, err := pgx.ParseConfig(got)
		require.NoError(t, err, got)
		assert.Equal(t, "db_x", cfg.Database, got)
	}
}

func TestDatabaseName(t *testing.T) {
	t.Parallel()
	a := databaseName("TestX/sub test#01 with a very long name that goes on and on")
	b := databaseName("TestX/sub test#01 with a very long name that goes on and on")
	assert.NotEqual(t, a, b)
	assert.Regexp(t, `^amokit_test_testx_sub_test_01_with_a_v[a-z_0-9]*_[0-9a-f]{12}$`, a)
	assert.LessOrEqual(t, len(a), 63)
}

func TestPool(t *testing.T) {
	t.Parallel()
	adminDSN := adminURL(t, os.Getenv) // skips without a server
	ctx := t.Context()

	var name string
	t.Run("fresh", func(t *testing.T) {
		pool := Pool(t)
		require.NoError(t, pool.QueryRow(ctx, "SELECT current_database()").Scan(&name))
		assert.Regexp(t, `^amokit_test_testpool_fresh_[0-9a-f]{12}$`, name)
		var tables int
		require.NoError(t, pool.QueryRow(ctx,
			"SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&tables))
		assert.Zero(t, tables)
		_, err := pool.Exec(ctx, "CREATE TABLE t (x int)")
		require.NoError(t, err)

		other := Pool(t)
		var otherName string
		require.NoError(t, other.QueryRow(ctx, "SELECT current_database()").Scan(&otherName))
		assert.NotEqual(t, name, otherName)
		var seen bool
		require.NoError(t, other.QueryRow(ctx, "SELECT to_regclass('public.t') IS NOT NULL").Scan(&seen))
		assert.False(t, seen, "each database is separate")
		// A connection of its own, as a re-executed process would open, and left open.
		conn, err := pgx.Connect(ctx, DSN(t))
		require.NoError(t, err)
		require.NoError(t, conn.Ping(ctx))
	})
	require.NotEmpty(t, name)

	admin, err := pgx.Connect(ctx, adminDSN)
	require.NoError(t, err)
	defer admin.Close(context.WithoutCancel(ctx))
	var left int
	require.NoError(t, admin.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&left))
	assert.Zero(t, left, "the database is dropped when its test ends")
}
