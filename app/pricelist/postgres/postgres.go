// Package postgres keeps published price lists in PostgreSQL, so every
// replica of a server prices with the same version. New applies its schema
// migration on a caller-owned pool.
//
//	pool, _ := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	store, err := postgres.New(ctx, pool)
//	live, err := pricelist.NewLive(store, glass.DefaultPriceList())
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/amokit/amokit/app/pricelist"
	"github.com/amokit/amokit/internal/optfunc"
	"github.com/amokit/amokit/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// component names this package's migrations among the others in one database.
const component = "pricelist"

// Store is a pricelist.Store in PostgreSQL.
type Store struct{ pool *pgxpool.Pool }

var _ pricelist.Store = (*Store)(nil)

// Option configures New. There are none yet; the parameter keeps New's shape
// the same as every other store's.
type Option func(*options) error

type options struct{}

// New migrates the schema and returns a store on pool, which the caller owns
// and closes.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("app/pricelist/postgres: New: nil pool")
	}
	var o options
	errs := optfunc.Apply(&o, opts)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("app/pricelist/postgres: %w", err)
	}
	if err := pgmigrate.Run(ctx, pool, component, migrationFS); err != nil {
		return nil, fmt.Errorf("app/pricelist/postgres: migrate: %w", err)
	}
	return &Store{pool: pool}, nil
}

const columns = "id, name, author, published_at, data"

func scan(row pgx.Row) (pricelist.Version, error) {
	var v pricelist.Version
	var data string
	err := row.Scan(&v.ID, &v.Name, &v.Author, &v.PublishedAt, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, pricelist.ErrNoVersion
	}
	v.JSON = []byte(data)
	return v, err
}

// Publish implements pricelist.Store.
func (s *Store) Publish(ctx context.Context, name, author string, data []byte) (pricelist.Version, error) {
	v, err := scan(s.pool.QueryRow(ctx,
		"INSERT INTO amokit_price_lists (name, author, data) VALUES ($1, $2, $3) RETURNING "+columns,
		name, author, string(data)))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		return pricelist.Version{}, pricelist.ErrVersionExists
	}
	if err != nil {
		return pricelist.Version{}, fmt.Errorf("app/pricelist/postgres: publish: %w", err)
	}
	return v, nil
}

// Latest implements pricelist.Store.
func (s *Store) Latest(ctx context.Context) (pricelist.Version, error) {
	return s.one(ctx, "SELECT "+columns+" FROM amokit_price_lists ORDER BY id DESC LIMIT 1")
}

// LatestID implements pricelist.Store.
func (s *Store) LatestID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM amokit_price_lists").Scan(&id); err != nil {
		return 0, fmt.Errorf("app/pricelist/postgres: latest id: %w", err)
	}
	return id, nil
}

// Get implements pricelist.Store.
func (s *Store) Get(ctx context.Context, name string) (pricelist.Version, error) {
	return s.one(ctx, "SELECT "+columns+" FROM amokit_price_lists WHERE name = $1", name)
}

func (s *Store) one(ctx context.Context, sql string, args ...any) (pricelist.Version, error) {
	v, err := scan(s.pool.QueryRow(ctx, sql, args...))
	if err != nil && !errors.Is(err, pricelist.ErrNoVersion) {
		return v, fmt.Errorf("app/pricelist/postgres: %w", err)
	}
	return v, err
}

// List implements pricelist.Store.
func (s *Store) List(ctx context.Context, limit int) ([]pricelist.Version, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT id, name, author, published_at FROM amokit_price_lists ORDER BY id DESC LIMIT $1", limit)
	if err != nil {
		return nil, fmt.Errorf("app/pricelist/postgres: list: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pricelist.Version, error) {
		var v pricelist.Version
		return v, r.Scan(&v.ID, &v.Name, &v.Author, &v.PublishedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("app/pricelist/postgres: list: %w", err)
	}
	return list, nil
}
