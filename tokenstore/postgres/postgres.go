package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/amokit/amokit/internal/optfunc"
	"github.com/amokit/amokit/internal/pgmigrate"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/tokenstore/internal/keylock"
)

// Store is a tokenstore.Store and tokenstore.Locker backed by PostgreSQL. It is safe for
// concurrent use. Create it with New.
type Store struct {
	pool   *pgxpool.Pool
	sealer *tokenstore.Sealer

	// waiting lets one goroutine per account at a time wait for the database lock, so waiters
	// in one process do not each hold a connection.
	waiting keylock.Map
	// lockConns has a slot per connection a lock may hold: one fewer than the pool's maximum,
	// so that work inside WithLock that does not go through the lock's connection (a context
	// not derived from fn's) still finds one.
	lockConns chan struct{}
}

// querier runs statements: the pool, or the connection of a lock WithLock holds.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// held is the connection of a lock WithLock holds, carried in the context it gives fn.
type held struct {
	store *Store
	mu    sync.Mutex    // a connection runs one statement at a time
	conn  *pgxpool.Conn // nil once WithLock has returned
}

type heldKey struct{}

// db returns what ctx's statements run on, and the function to call when they are done: the
// connection of the lock this store holds in ctx, if any, otherwise the pool.
func (s *Store) db(ctx context.Context) (querier, func()) {
	if h, ok := ctx.Value(heldKey{}).(*held); ok && h.store == s {
		h.mu.Lock()
		if h.conn != nil {
			return h.conn, h.mu.Unlock
		}
		h.mu.Unlock()
	}
	return s.pool, func() {}
}

var (
	_ tokenstore.Store  = (*Store)(nil)
	_ tokenstore.Locker = (*Store)(nil)
)

// Option configures New.
type Option func(*options) error

type options struct {
	sealer *tokenstore.Sealer
}

// WithSealer encrypts client_secret and both tokens with s before they reach the database,
// and decrypts them on the way back. Without it they are stored as given, and values that are
// sealed are refused rather than returned as tokens.
func WithSealer(s *tokenstore.Sealer) Option {
	return func(o *options) error {
		if s == nil {
			return errors.New("WithSealer: nil Sealer")
		}
		o.sealer = s
		return nil
	}
}

// releaseTimeout bounds ending a lock transaction after its context was cancelled.
const releaseTimeout = 15 * time.Second

// New returns a Store using pool, which it neither configures nor closes. It first applies
// the embedded migrations the database lacks; replicas may call it at the same time. WithLock
// holds a connection while it runs, and the work inside needs another, so the pool must allow
// at least two.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("tokenstore/postgres: New: nil pool")
	}
	var o options
	if err := errors.Join(optfunc.Apply(&o, opts)...); err != nil {
		return nil, fmt.Errorf("tokenstore/postgres: %w", err)
	}
	maxConns := pool.Config().MaxConns
	if maxConns < 2 {
		return nil, fmt.Errorf("tokenstore/postgres: the pool allows %d connection(s); WithLock needs at least 2", maxConns)
	}
	if err := pgmigrate.Run(ctx, pool, component, migrationFS); err != nil {
		return nil, fmt.Errorf("tokenstore/postgres: migrate: %w", err)
	}
	return &Store{
		pool:      pool,
		sealer:    o.sealer,
		lockConns: make(chan struct{}, maxConns-1),
	}, nil
}

// Ping reports whether the database answers and the connections table is readable: a
// readiness check.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, "SELECT 1 FROM amokit_connections LIMIT 0"); err != nil {
		return fmt.Errorf("tokenstore/postgres: ping: %w", err)
	}
	return nil
}

const columns = `account, account_id, client_id, client_secret, access_token, refresh_token,
	expiry, refreshed_at, reauth_required, created_at, updated_at`

// Load implements tokenstore.Store.
func (s *Store) Load(ctx context.Context, account string) (*tokenstore.Connection, error) {
	db, done := s.db(ctx)
	defer done()
	rows, err := db.Query(ctx, "SELECT "+columns+" FROM amokit_connections WHERE account = $1", account)
	if err != nil {
		return nil, fmt.Errorf("tokenstore/postgres: load %s: %w", account, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, s.scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("tokenstore/postgres: load %s: %w", account, tokenstore.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("tokenstore/postgres: load %s: %w", account, err)
	}
	return &c, nil
}

// List implements tokenstore.Store. A row that cannot be opened does not hide the others: they
// are returned with a *tokenstore.UnreadableError naming the accounts that could not be read.
func (s *Store) List(ctx context.Context) ([]tokenstore.Connection, error) {
	db, done := s.db(ctx)
	defer done()
	rows, err := db.Query(ctx, "SELECT "+columns+" FROM amokit_connections ORDER BY account")
	if err != nil {
		return nil, fmt.Errorf("tokenstore/postgres: list: %w", err)
	}
	defer rows.Close()
	var list []tokenstore.Connection
	var unreadable *tokenstore.UnreadableError
	for rows.Next() {
		c, err := s.scan(rows)
		var oe *openError
		switch {
		case errors.As(err, &oe):
			if unreadable == nil {
				unreadable = &tokenstore.UnreadableError{Err: fmt.Errorf("tokenstore/postgres: list: %w", err)}
			}
			unreadable.Accounts = append(unreadable.Accounts, c.Account)
		case err != nil:
			return nil, fmt.Errorf("tokenstore/postgres: list: %w", err)
		default:
			list = append(list, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tokenstore/postgres: list: %w", err)
	}
	if unreadable != nil {
		return list, unreadable
	}
	return list, nil
}

// openError is a row's secret that could not be opened, as opposed to a failure to read rows.
type openError struct{ err error }

func (e *openError) Error() string { return e.err.Error() }
func (e *openError) Unwrap() error { return e.err }

// FindByAccountID implements tokenstore.Finder through the index on account_id.
func (s *Store) FindByAccountID(ctx context.Context, accountID int64) ([]tokenstore.Connection, error) {
	db, done := s.db(ctx)
	defer done()
	rows, err := db.Query(ctx, "SELECT "+columns+" FROM amokit_connections WHERE account_id = $1 ORDER BY account", accountID)
	if err != nil {
		return nil, fmt.Errorf("tokenstore/postgres: find account id %d: %w", accountID, err)
	}
	list, err := pgx.CollectRows(rows, s.scan)
	if err != nil {
		return nil, fmt.Errorf("tokenstore/postgres: find account id %d: %w", accountID, err)
	}
	return list, nil
}

func (s *Store) scan(row pgx.CollectableRow) (tokenstore.Connection, error) {
	var (
		c                   tokenstore.Connection
		expiry, refreshedAt *time.Time
	)
	err := row.Scan(&c.Account, &c.AccountID, &c.ClientID, &c.ClientSecret, &c.AccessToken, &c.RefreshToken,
		&expiry, &refreshedAt, &c.ReauthRequired, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return c, err
	}
	if expiry != nil {
		c.Expiry = expiry.UTC()
	}
	if refreshedAt != nil {
		c.RefreshedAt = refreshedAt.UTC()
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	for _, f := range [...]struct {
		column string
		v      *string
	}{
		{"client_secret", &c.ClientSecret},
		{"access_token", &c.AccessToken},
		{"refresh_token", &c.RefreshToken},
	} {
		if err := s.open(c.Account, f.column, f.v); err != nil {
			return c, &openError{err}
		}
	}
	return c, nil
}

// open replaces *v, as read from column, with its plaintext.
func (s *Store) open(account, column string, v *string) error {
	if s.sealer == nil {
		if tokenstore.IsSealed(*v) {
			return fmt.Errorf("%s of %s is sealed, and the store has no Sealer (WithSealer)", column, account)
		}
		return nil
	}
	plain, err := s.sealer.OpenColumn(account, column, *v)
	if err != nil {
		return fmt.Errorf("%s: %w", column, err)
	}
	*v = plain
	return nil
}

func (s *Store) seal(account, column, v string) string {
	if s.sealer == nil {
		return v
	}
	return s.sealer.SealColumn(account, column, v)
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Save implements tokenstore.Store. UpdatedAt is the database's now(), or a microsecond after
// the previous UpdatedAt if that is later.
func (s *Store) Save(ctx context.Context, c *tokenstore.Connection) error {
	if c == nil || c.Account == "" {
		return errors.New("tokenstore/postgres: save: connection has no account")
	}
	const upsert = `INSERT INTO amokit_connections AS c (account, account_id, client_id, client_secret,
	access_token, refresh_token, expiry, refreshed_at, reauth_required)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (account) DO UPDATE SET
	account_id = excluded.account_id,
	client_id = excluded.client_id,
	client_secret = excluded.client_secret,
	access_token = excluded.access_token,
	refresh_token = excluded.refresh_token,
	expiry = excluded.expiry,
	refreshed_at = excluded.refreshed_at,
	reauth_required = excluded.reauth_required,
	updated_at = greatest(now(), c.updated_at + interval '1 microsecond')
RETURNING created_at, updated_at`
	var createdAt, updatedAt time.Time
	db, done := s.db(ctx)
	defer done()
	err := db.QueryRow(ctx, upsert,
		c.Account, c.AccountID, c.ClientID,
		s.seal(c.Account, "client_secret", c.ClientSecret), s.seal(c.Account, "access_token", c.AccessToken),
		s.seal(c.Account, "refresh_token", c.RefreshToken),
		nullTime(c.Expiry), nullTime(c.RefreshedAt), c.ReauthRequired,
	).Scan(&createdAt, &updatedAt)
	if err != nil {
		return fmt.Errorf("tokenstore/postgres: save %s: %w", c.Account, err)
	}
	c.CreatedAt, c.UpdatedAt = createdAt.UTC(), updatedAt.UTC()
	return nil
}

// Delete implements tokenstore.Store.
func (s *Store) Delete(ctx context.Context, account string) error {
	db, done := s.db(ctx)
	defer done()
	tag, err := db.Exec(ctx, "DELETE FROM amokit_connections WHERE account = $1", account)
	if err != nil {
		return fmt.Errorf("tokenstore/postgres: delete %s: %w", account, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("tokenstore/postgres: delete %s: %w", account, tokenstore.ErrNotFound)
	}
	return nil
}

// WithLock implements tokenstore.Locker across every process that uses the database: fn runs
// while one connection of the pool holds pg_advisory_lock on a key derived from the account, and
// Load, Save and Delete given fn's context (or one derived from it) run on that same connection,
// outside any transaction: a Save is committed when it returns. PostgreSQL runs a session's
// statements one after the other and releases its locks only when the session ends, so if the
// process dies, a statement it had already sent is finished, or rolled back, before another
// process can take the lock: a dead holder's Save never lands over the next holder's.
func (s *Store) WithLock(ctx context.Context, account string, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("tokenstore/postgres: lock %s: %w", account, err)
	}
	unlock, err := s.waiting.Lock(ctx, account)
	if err != nil {
		return fmt.Errorf("tokenstore/postgres: lock %s: %w", account, err)
	}
	defer unlock()

	select {
	case s.lockConns <- struct{}{}:
		defer func() { <-s.lockConns }()
	case <-ctx.Done():
		return fmt.Errorf("tokenstore/postgres: lock %s: %w", account, ctx.Err())
	}

	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("tokenstore/postgres: lock %s: %w", account, ctxErr(ctx, err))
	}
	h := &held{store: s, conn: conn}
	key := lockKey(account)
	locked := false
	// Releasing runs on return and on panic, and must not depend on ctx: a cancelled ctx would
	// neither release the lock promptly nor make fn's result any less true.
	defer func() {
		h.mu.Lock()
		h.conn = nil
		h.mu.Unlock()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		release(rctx, conn, key, locked)
	}()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("tokenstore/postgres: lock %s: %w", account, ctxErr(ctx, err))
	}
	locked = true
	return fn(context.WithValue(ctx, heldKey{}, h))
}

// release gives back a lock's connection. The lock is released on it first; if that fails, or
// the lock may have been granted to a request that failed, the connection is closed instead,
// which ends the session and every lock it holds, and the pool drops it.
func release(ctx context.Context, conn *pgxpool.Conn, key int64, locked bool) {
	defer conn.Release()
	if locked {
		var released bool
		if err := conn.QueryRow(ctx, "SELECT pg_advisory_unlock($1)", key).Scan(&released); err == nil && released {
			return
		}
	}
	_ = conn.Conn().Close(ctx)
}

// ctxErr prefers ctx's error, so callers can match context.Canceled with errors.Is.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// lockKey is the advisory lock key for an account's connection.
func lockKey(account string) int64 { return advisoryKey("connection " + account) }

// ResealResult is what Reseal did.
type ResealResult struct {
	Resealed int      // rows saved again with the newest key and column binding
	Failed   []string // accounts whose row could not be opened or saved; the others went on
}

// Reseal saves again, under each account's lock, every row whose secrets are not sealed with
// the Sealer's newest key and bound to their columns: rows stored before a key rotation or before
// columns were bound. Call it once after changing the Sealer's keys (the
// old keys still configured after the new one); once it reports no failures, the old keys can
// go. A row that cannot be opened is reported in Failed and left as it is.
func (s *Store) Reseal(ctx context.Context) (ResealResult, error) {
	var res ResealResult
	if s.sealer == nil {
		return res, errors.New("tokenstore/postgres: Reseal needs a Sealer (WithSealer)")
	}
	rows, err := s.pool.Query(ctx, "SELECT account, client_secret, access_token, refresh_token FROM amokit_connections ORDER BY account")
	if err != nil {
		return res, fmt.Errorf("tokenstore/postgres: reseal: %w", err)
	}
	var stale []string
	for rows.Next() {
		var account, secret, access, refresh string
		if err := rows.Scan(&account, &secret, &access, &refresh); err != nil {
			rows.Close()
			return res, fmt.Errorf("tokenstore/postgres: reseal: %w", err)
		}
		for _, v := range []string{secret, access, refresh} {
			if v != "" && !s.sealer.Current(v) {
				stale = append(stale, account)
				break
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("tokenstore/postgres: reseal: %w", err)
	}
	for _, account := range stale {
		err := s.WithLock(ctx, account, func(ctx context.Context) error {
			c, err := s.Load(ctx, account)
			if err != nil {
				return err
			}
			return s.Save(ctx, c)
		})
		switch {
		case errors.Is(err, tokenstore.ErrNotFound): // deleted meanwhile
		case ctx.Err() != nil:
			return res, ctx.Err()
		case err != nil:
			res.Failed = append(res.Failed, account)
		default:
			res.Resealed++
		}
	}
	return res, nil
}
