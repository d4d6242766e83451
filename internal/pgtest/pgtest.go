package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	// EnvURL names the environment variable with the admin connection string.
	EnvURL = "AMOKIT_POSTGRES_URL"
	// EnvRequire names the environment variable that, set to 1, turns a skip into a failure.
	EnvRequire = "AMOKIT_REQUIRE_POSTGRES"

	skipMessage    = "PostgreSQL tests skipped: set " + EnvURL + "=postgres://... (bash .ci/run starts one)"
	requireMessage = "PostgreSQL required (" + EnvRequire + "=1) but " + EnvURL + " is not set"

	// adminTimeout bounds creating and dropping a database. Cleanup runs after t.Context is
	// cancelled, so it cannot use that.
	adminTimeout = time.Minute
)

// Pool returns a pool connected to a new database that is dropped, after the pool is closed,
// when t ends. It skips or fails t as the package documentation says.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dsn := DSN(t)
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatalf("pgtest: create pool: %v", err)
	}
	t.Cleanup(pool.Close)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("pgtest: ping new database: %v", err)
	}
	return pool
}

// DSN creates a new database like Pool does and returns its connection string, for code that
// connects on its own, such as a re-executed test binary. The database is dropped when t ends,
// even if connections to it are still open.
func DSN(t testing.TB) string {
	t.Helper()
	admin := adminURL(t, os.Getenv)
	name := databaseName(t.Name())

	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := adminExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		// FORCE (PostgreSQL 13+) ends sessions that tests left open.
		if err := adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", EnvURL, err)
	}
	return dsn
}

// adminURL returns the admin connection string, or skips or fails tb when there is none.
func adminURL(tb testing.TB, getenv func(string) string) string {
	tb.Helper()
	admin := strings.TrimSpace(getenv(EnvURL))
	if admin != "" {
		return admin
	}
	if required, _ := strconv.ParseBool(getenv(EnvRequire)); required {
		tb.Fatal(requireMessage)
	}
	tb.Skip(skipMessage)
	return ""
}

func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// databaseName is a new name that shows which test made the database.
func databaseName(testName string) string {
	var b strings.Builder
	b.WriteString("amokit_test_")
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	random := make([]byte, 6)
	_, _ = rand.Read(random)
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(random))
	return b.String() // at most 40+1+12 bytes, under PostgreSQL's 63
}

// withDatabase returns the connection string admin with its database replaced by name. admin
// is a URL (postgres://...) or a keyword/value string (host=... user=...).
func withDatabase(admin, name string) (string, error) {
	if strings.HasPrefix(admin, "postgres://") || strings.HasPrefix(admin, "postgresql://") {
		u, err := url.Parse(admin)
		if err != nil {
			return "", err
		}
		u.Path, u.RawPath = "/"+name, ""
		return u.String(), nil
	}
	// A later keyword overrides an earlier one.
	return admin + " dbname=" + name, nil
}
