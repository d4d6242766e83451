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

// advisoryKey turns a name into a key for PostgreSQL's advisory lock functions (bigint).
func advisoryKey(name string) int64 { return pgmigrate.AdvisoryKey(name) }
