// Package pgmigrate applies a package's embedded SQL migrations to a
// PostgreSQL database that several amokit packages, and several replicas,
// share. Every PostgreSQL store in the module migrates through Run.
//
// Migrations are files named NNNN_name.sql under migrations/ in the given
// file system, numbered from 0001 without gaps. Run records each applied
// file in amokit_schema_migrations under the caller's component name, in one
// transaction holding an advisory lock: replicas starting together apply
// each migration once, and a failure leaves the schema as it was. Versions
// newer than the caller knows (applied by a newer replica) are left alone.
package pgmigrate

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const createTable = `CREATE TABLE IF NOT EXISTS amokit_schema_migrations (
    component  text        NOT NULL,
    version    integer     NOT NULL,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
)`

// Migration is one file of a component's migrations.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// List reads fsys's migrations/*.sql in version order and checks their
// names and numbering.
func List(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var list []Migration
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
		list = append(list, Migration{Version: version, Name: name, SQL: string(sql)})
	}
	if len(list) == 0 {
		return nil, errors.New("no migrations/*.sql files")
	}
	return list, nil
}

// AdvisoryKey turns a name into a key for pg_advisory_lock(bigint). The
// hash keeps amokit's keys apart from each other and, in practice, from an
// application's own.
func AdvisoryKey(name string) int64 {
	h := sha256.Sum256([]byte("amokit advisory lock\x00" + name))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// lockKey serialises migrating among every process that opens the database.
var lockKey = AdvisoryKey("schema migrations")

// Run applies the migrations of component found in fsys that the database
// lacks.
func Run(ctx context.Context, pool *pgxpool.Pool, component string, fsys fs.FS) error {
	list, err := List(fsys)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, createTable); err != nil {
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
			if done[m.Version] {
				continue
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := tx.Exec(ctx,
				"INSERT INTO amokit_schema_migrations (component, version, name) VALUES ($1, $2, $3)",
				component, m.Version, m.Name); err != nil {
				return fmt.Errorf("record migration %04d_%s: %w", m.Version, m.Name, err)
			}
		}
		return nil
	})
}
