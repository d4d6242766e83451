package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/calculator/internal/stored"
	"github.com/amokit/amokit/internal/optfunc"
	"github.com/amokit/amokit/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// component names this package's migrations in amokit_schema_migrations, beside those of the
// other amokit stores that share the database.
const component = "calculator"

// Store is a calculator.CalculationStore in PostgreSQL, in the table widget_calculations. Its
// leases hold across every process that shares the database. It uses a pool the caller owns and
// never closes it. Safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

var _ calculator.CalculationStore = (*Store)(nil)

// Option configures New. There are none yet; the parameter keeps New's shape the same as every
// other store's.
type Option func(*options) error

type options struct{}

// New applies the migrations the database lacks (see the package doc) and returns a Store over
// pool. Processes may call it at the same time.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("calculator/postgres: New: nil pool")
	}
	var o options
	errs := optfunc.Apply(&o, opts)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("calculator/postgres: %w", err)
	}
	if err := pgmigrate.Run(ctx, pool, component, migrationFS); err != nil {
		return nil, fmt.Errorf("calculator/postgres: migrate: %w", err)
	}
	return &Store{pool: pool}, nil
}

const columns = `id, account, account_id, lead_id, user_id, user_name, time_zone, idempotency_key, order_json, quote_json, parts, created_at, lease, lease_until`

// row is one row of widget_calculations.
type row struct {
	c          calculator.Calculation
	order      []byte
	quote      []byte
	parts      []byte
	lease      *string
	leaseUntil *time.Time
}

func scan(r pgx.Row) (row, error) {
	var x row
	err := r.Scan(&x.c.ID, &x.c.Account, &x.c.AccountID, &x.c.LeadID, &x.c.UserID, &x.c.UserName, &x.c.TimeZone, &x.c.IdempotencyKey,
		&x.order, &x.quote, &x.parts, &x.c.CreatedAt, &x.lease, &x.leaseUntil)
	return x, err
}

func (x row) calculation() (calculator.Calculation, error) {
	c := x.c
	if err := json.Unmarshal(x.parts, &c.Parts); err != nil {
		return calculator.Calculation{}, fmt.Errorf("calculator/postgres: calculation %s: parts: %w", c.ID, err)
	}
	c.CreatedAt = c.CreatedAt.UTC()
	var err error
	if c.Order, c.Quote, err = stored.Decode(c.ID, x.order, x.quote); err != nil {
		return calculator.Calculation{}, err
	}
	return c, nil
}

// Claim implements calculator.CalculationStore in one transaction: insert the calculation with a
// lease unless its key exists; otherwise lock the row and decide from its parts and lease.
func (s *Store) Claim(ctx context.Context, c calculator.Calculation, now time.Time, ttl time.Duration) (calculator.Calculation, string, error) {
	switch {
	case c.Account == "" || c.LeadID <= 0 || c.IdempotencyKey == "" || c.ID == "":
		return calculator.Calculation{}, "", fmt.Errorf("calculator/postgres: a calculation needs an ID, an account, a lead and an idempotency key (%s)", c.Key())
	case ttl <= 0:
		return calculator.Calculation{}, "", fmt.Errorf("calculator/postgres: lease ttl %v must be positive", ttl)
	}
	order, quote, err := stored.Encode(c.Order, c.Quote)
	if err != nil {
		return calculator.Calculation{}, "", err
	}
	parts, err := json.Marshal(c.Parts)
	if err != nil {
		return calculator.Calculation{}, "", err
	}
	lease := stored.NewLease()
	until := now.Add(ttl)
	var out calculator.Calculation
	var outLease string
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO widget_calculations
			(id, account, account_id, lead_id, user_id, user_name, time_zone, idempotency_key, order_json, quote_json, parts, created_at, lease, lease_until)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT DO NOTHING`, // on the key or, for a racing claim of the same calculation, its id
			c.ID, c.Account, c.AccountID, c.LeadID, c.UserID, c.UserName, c.TimeZone, c.IdempotencyKey, order, quote, parts, c.CreatedAt, lease, until)
		if err != nil {
			return err
		}
		x, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM widget_calculations
			WHERE account = $1 AND lead_id = $2 AND idempotency_key = $3 FOR UPDATE`, c.Account, c.LeadID, c.IdempotencyKey))
		if err != nil {
			return err
		}
		if out, err = x.calculation(); err != nil {
			return err
		}
		switch {
		case tag.RowsAffected() == 1:
			outLease = lease
			return nil
		case out.Complete():
			return nil
		case x.lease != nil && x.leaseUntil != nil && now.Before(*x.leaseUntil):
			return &calculator.SaveInProgressError{Key: c.Key(), Until: x.leaseUntil.UTC()}
		}
		if _, err := tx.Exec(ctx, `UPDATE widget_calculations SET lease = $4, lease_until = $5, updated_at = now()
			WHERE account = $1 AND lead_id = $2 AND idempotency_key = $3`,
			c.Account, c.LeadID, c.IdempotencyKey, lease, until); err != nil {
			return err
		}
		outLease = lease
		return nil
	})
	if err != nil {
		if errors.Is(err, calculator.ErrSaveInProgress) {
			return calculator.Calculation{}, "", err
		}
		return calculator.Calculation{}, "", fmt.Errorf("calculator/postgres: claiming %s: %w", c.Key(), err)
	}
	return out, outLease, nil
}

// SetPart implements calculator.CalculationStore with one conditional UPDATE.
func (s *Store) SetPart(ctx context.Context, key calculator.CalculationKey, lease string, part calculator.Part, status calculator.PartStatus) error {
	if !slices.Contains(calculator.AllParts(), part) {
		return fmt.Errorf("calculator/postgres: unknown part %q", part)
	}
	switch status {
	case calculator.PartPending, calculator.PartDone, calculator.PartFailed:
	default:
		return fmt.Errorf("calculator/postgres: unknown part status %q", status)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE widget_calculations
		SET parts = jsonb_set(parts, ARRAY[$5::text], to_jsonb($6::text)), updated_at = now()
		WHERE account = $1 AND lead_id = $2 AND idempotency_key = $3 AND lease = $4`,
		key.Account, key.LeadID, key.IdempotencyKey, lease, string(part), string(status))
	if err != nil {
		return fmt.Errorf("calculator/postgres: recording %s of %s: %w", part, key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w (%s)", calculator.ErrLeaseLost, key)
	}
	return nil
}

// Extend implements calculator.CalculationStore with one conditional UPDATE.
func (s *Store) Extend(ctx context.Context, key calculator.CalculationKey, lease string, now, until time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE widget_calculations SET lease_until = $6, updated_at = now()
		WHERE account = $1 AND lead_id = $2 AND idempotency_key = $3 AND lease = $4 AND lease_until > $5`,
		key.Account, key.LeadID, key.IdempotencyKey, lease, now, until)
	if err != nil {
		return fmt.Errorf("calculator/postgres: extending the lease of %s: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w (%s)", calculator.ErrLeaseLost, key)
	}
	return nil
}

// Release implements calculator.CalculationStore with one conditional UPDATE.
func (s *Store) Release(ctx context.Context, key calculator.CalculationKey, lease string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE widget_calculations SET lease = NULL, lease_until = NULL, updated_at = now()
		WHERE account = $1 AND lead_id = $2 AND idempotency_key = $3 AND lease = $4`,
		key.Account, key.LeadID, key.IdempotencyKey, lease)
	if err != nil {
		return fmt.Errorf("calculator/postgres: releasing %s: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w (%s)", calculator.ErrLeaseLost, key)
	}
	return nil
}

// List implements calculator.CalculationStore.
func (s *Store) List(ctx context.Context, account string, leadID int64, limit int) ([]calculator.Calculation, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM widget_calculations
		WHERE account = $1 AND lead_id = $2 ORDER BY created_at DESC, seq DESC LIMIT $3`, account, leadID, lim)
	if err != nil {
		return nil, fmt.Errorf("calculator/postgres: listing calculations: %w", err)
	}
	defer rows.Close()
	var out []calculator.Calculation
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("calculator/postgres: listing calculations: %w", err)
		}
		c, err := x.calculation()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("calculator/postgres: listing calculations: %w", err)
	}
	return out, nil
}
