package postgres

import (
	"embed"

	"github.com/amokit/amokit/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// component names this package's migrations in amokit_schema_migrations. Other amokit packages
// that keep tables in the same database record theirs under their own component.
const component = "tokenstore"

// advisoryKey turns a name into a key for pg_advisory_xact_lock(bigint).
func advisoryKey(name string) int64 { return pgmigrate.AdvisoryKey(name) }
