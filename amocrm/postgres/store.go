package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// store is where the budget lives: PostgreSQL, or a stand-in in tests.
type store interface {
	// reserve takes the account's next moment and moves it interval on.
	reserve(ctx context.Context, account string, interval time.Duration) (reservation, error)
	// pause moves the account's next moment to at least d from now.
	pause(ctx context.Context, account string, d time.Duration) error
	ping(ctx context.Context) error
}

// reservation is a moment on the database's clock, with the clock's reading when it was made.
type reservation struct {
	at, now time.Time
}

type pgStore struct{ pool *pgxpool.Pool }

// The moment reserved is the later of the account's next moment and now; the next moment moves
// one interval past it. One statement on one row: replicas queue on the row lock for the few
// microseconds it takes.
const reserveSQL = `INSERT INTO amokit_pacing AS p (account, next_at)
VALUES ($1, clock_timestamp() + $2 * interval '1 microsecond')
ON CONFLICT (account) DO UPDATE SET next_at = greatest(p.next_at, clock_timestamp()) + $2 * interval '1 microsecond'
RETURNING p.next_at - $2 * interval '1 microsecond', clock_timestamp()`

const pauseSQL = `INSERT INTO amokit_pacing AS p (account, next_at)
VALUES ($1, clock_timestamp() + $2 * interval '1 microsecond')
ON CONFLICT (account) DO UPDATE SET next_at = greatest(p.next_at, excluded.next_at)`

func (s *pgStore) reserve(ctx context.Context, account string, interval time.Duration) (reservation, error) {
	var r reservation
	err := s.pool.QueryRow(ctx, reserveSQL, account, interval.Microseconds()).Scan(&r.at, &r.now)
	return r, err
}

func (s *pgStore) pause(ctx context.Context, account string, d time.Duration) error {
	_, err := s.pool.Exec(ctx, pauseSQL, account, d.Microseconds())
	return err
}

func (s *pgStore) ping(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, "SELECT 1 FROM amokit_pacing LIMIT 0")
	return err
}
