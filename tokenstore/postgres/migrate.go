package postgres

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// component names this package's migrations in amokit_schema_migrations. Other amokit packages
// that keep tables in the same database record theirs under their own component.
const component = "tokenstore"

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS amokit_schema_migrations (
    component  text        NOT NULL,
    version    integer     NOT NULL,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
)`

type migration struct {
	version int
	name    string
	sql     string
}

// migrations reads the embedded files, named NNNN_name.sql, in version order. Versions start
// at 1 and have no gaps.
func migrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var list []migration
	for _, file := range names { // fs.Glob sorts
		base := strings.TrimSuffix(path.Base(file), ".sql")
		num, name, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || name == "" {
			return nil, fmt.Errorf("migration %s: want a name like 0001_name.sql", file)
		}
		if version != len(list)+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d", file, version, len(list)+1)
		}
		sql, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, err
		}
		list = append(list, migration{version: version, name: name, sql: string(sql)})
	}
	return list, nil
}

// advisoryKey turns a name into a key for pg_advisory_xact_lock(bigint). The hash keeps
// amokit's keys apart from each other and, in practice, from an application's own.
func advisoryKey(name string) int64 {
	h := sha256.Sum256([]byte("amokit advisory lock\x00" + name))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// migrationLockKey serialises migrating among every process that opens the database.
func migrationLockKey() int64 { return advisoryKey("schema migrations") }

// migrate applies the migrations the database lacks, in one transaction that holds the
// migration lock, so replicas starting together apply each migration once and a failure
// leaves the schema as it was. Versions newer than this code knows (applied by a newer
// replica) are left alone.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	list, err := migrations(migrationFS)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey()); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, createMigrationsTable); err != nil {
			return fmt.Errorf("create amokit_schema_migrations: %w", err)
		}
		rows, err := tx.Query(ctx, "SELECT version FROM amokit_schema_migrations WHERE component = $1", component)
		if err != nil {
			return fmt.Errorf("read amokit_schema_migrations: %w", err)
		}
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return fmt.Errorf("read amokit_schema_migrations: %w", err)
		}
		done := make(map[int]bool, len(applied))
		for _, v := range applied {
			done[int(v)] = true
		}
		for _, m := range list {
			if done[m.version] {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
			}
			if _, err := tx.Exec(ctx,
				"INSERT INTO amokit_schema_migrations (component, version, name) VALUES ($1, $2, $3)",
				component, m.version, m.name); err != nil {
				return fmt.Errorf("record migration %04d_%s: %w", m.version, m.name, err)
			}
		}
		return nil
	})
}
