// Package postgres keeps the shop's proposal settings and the issued
// proposals in PostgreSQL, so every replica of a server sees them. New
// applies its schema migration on a caller-owned pool.
//
//	store, err := postgres.New(ctx, pool)
//	// store is a proposal.SettingsStore and a proposal.Registry
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/internal/optfunc"
	"github.com/amokit/amokit/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

const component = "proposal"

// Store is a proposal.SettingsStore and a proposal.Registry in PostgreSQL.
type Store struct{ pool *pgxpool.Pool }

var (
	_ proposal.SettingsStore = (*Store)(nil)
	_ proposal.Registry      = (*Store)(nil)
)

// Option configures New. There are none yet; the parameter keeps New's shape
// the same as every other store's.
type Option func(*options) error

type options struct{}

// New migrates the schema and returns a store on pool, which the caller owns.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("app/proposal/postgres: New: nil pool")
	}
	var o options
	errs := optfunc.Apply(&o, opts)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("app/proposal/postgres: %w", err)
	}
	if err := pgmigrate.Run(ctx, pool, component, migrationFS); err != nil {
		return nil, fmt.Errorf("app/proposal/postgres: migrate: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Settings implements proposal.SettingsStore.
func (s *Store) Settings(ctx context.Context) (proposal.Settings, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, "SELECT settings FROM amokit_proposal_settings").Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return proposal.Settings{}, proposal.ErrNoSettings
	}
	var out proposal.Settings
	if err == nil {
		err = json.Unmarshal(raw, &out)
	}
	if err != nil {
		return proposal.Settings{}, fmt.Errorf("app/proposal/postgres: settings: %w", err)
	}
	return out, nil
}

// SaveSettings implements proposal.SettingsStore.
func (s *Store) SaveSettings(ctx context.Context, set proposal.Settings) error {
	raw, err := json.Marshal(set)
	if err == nil {
		_, err = s.pool.Exec(ctx, `INSERT INTO amokit_proposal_settings (settings) VALUES ($1)
			ON CONFLICT (id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()`, raw)
	}
	if err != nil {
		return fmt.Errorf("app/proposal/postgres: save settings: %w", err)
	}
	return nil
}

const issuedColumns = `account, lead_id, calculation_id, party, number, file_name, pdf, created_at,
	file_uuid, version_uuid, linked, noted`

func (s *Store) one(ctx context.Context, where string, args ...any) (proposal.Issued, error) {
	var i proposal.Issued
	err := s.pool.QueryRow(ctx, "SELECT "+issuedColumns+" FROM amokit_proposals WHERE "+where, args...).Scan(
		&i.Account, &i.LeadID, &i.CalculationID, &i.Party, &i.Number, &i.FileName, &i.PDF, &i.CreatedAt,
		&i.FileUUID, &i.VersionUUID, &i.Linked, &i.Noted)
	if errors.Is(err, pgx.ErrNoRows) {
		return i, proposal.ErrNotIssued
	}
	if err != nil {
		return i, fmt.Errorf("app/proposal/postgres: %w", err)
	}
	return i, nil
}

// Find implements proposal.Registry.
func (s *Store) Find(ctx context.Context, account string, leadID int64, calculationID, party string) (proposal.Issued, error) {
	return s.one(ctx, "account = $1 AND lead_id = $2 AND calculation_id = $3 AND party = $4", account, leadID, calculationID, party)
}

// ByNumber implements proposal.Registry.
func (s *Store) ByNumber(ctx context.Context, account string, leadID int64, number string) (proposal.Issued, error) {
	return s.one(ctx, "account = $1 AND lead_id = $2 AND number = $3", account, leadID, number)
}

// Count implements proposal.Registry.
func (s *Store) Count(ctx context.Context, account string, leadID int64) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM amokit_proposals WHERE account = $1 AND lead_id = $2",
		account, leadID).Scan(&n); err != nil {
		return 0, fmt.Errorf("app/proposal/postgres: count: %w", err)
	}
	return n, nil
}

// Record implements proposal.Registry.
func (s *Store) Record(ctx context.Context, i proposal.Issued) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO amokit_proposals (`+issuedColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (account, lead_id, calculation_id, party) DO UPDATE SET
			number = EXCLUDED.number, file_name = EXCLUDED.file_name, pdf = EXCLUDED.pdf,
			file_uuid = EXCLUDED.file_uuid, version_uuid = EXCLUDED.version_uuid,
			linked = EXCLUDED.linked, noted = EXCLUDED.noted`,
		i.Account, i.LeadID, i.CalculationID, i.Party, i.Number, i.FileName, i.PDF, i.CreatedAt,
		i.FileUUID, i.VersionUUID, i.Linked, i.Noted)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return proposal.ErrNumberTaken
	}
	if err != nil {
		return fmt.Errorf("app/proposal/postgres: record: %w", err)
	}
	return nil
}
