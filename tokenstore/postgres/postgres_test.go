package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/internal/pgtest"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/tokenstore/postgres"
	"github.com/amokit/amokit/tokenstore/tokenstoretest"
)

// guard bounds waits that end at once when the store is correct.
const guard = time.Minute

func newStore(t *testing.T, pool *pgxpool.Pool, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	s, err := postgres.New(t.Context(), pool, opts...)
	require.NoError(t, err)
	return s
}

func newPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func newSealer(t *testing.T, keys ...[]byte) *tokenstore.Sealer {
	t.Helper()
	s, err := tokenstore.NewSealer(keys...)
	require.NoError(t, err)
	return s
}

func newKey() []byte {
	k := make([]byte, tokenstore.KeySize)
	_, _ = rand.Read(k)
	return k
}

func TestContract(t *testing.T) {
	t.Parallel()
	tokenstoretest.Run(t, func(t *testing.T) tokenstore.Store { return newStore(t, pgtest.Pool(t)) })
}

func TestContractSealed(t *testing.T) {
	t.Parallel()
	sealer := newSealer(t, newKey())
	tokenstoretest.Run(t, func(t *testing.T) tokenstore.Store {
		return newStore(t, pgtest.Pool(t), postgres.WithSealer(sealer))
	})
}

func connection(account string) tokenstore.Connection {
	return tokenstore.Connection{
		Account:      account,
		AccountID:    29085046,
		ClientID:     "client-id-" + account,
		ClientSecret: "client-secret-PLAIN-" + account,
		AccessToken:  "access-token-PLAIN-" + account,
		RefreshToken: "refresh-token-PLAIN-" + account,
		Expiry:       time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	const replicas = 8
	pools := make([]*pgxpool.Pool, replicas)
	for i := range pools {
		pools[i] = newPool(t, dsn)
		require.NoError(t, pools[i].Ping(t.Context()), "connect before the start, so New calls overlap")
	}

	stores := make([]*postgres.Store, replicas)
	errs := make([]error, replicas)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.New(t.Context(), pools[i])
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "replica %d", i)
	}

	// Each migration is recorded once, and the data is shared.
	assertMigrations(t, pools[0])
	c := connection("acme.amocrm.ru")
	require.NoError(t, stores[3].Save(t.Context(), &c))
	got, err := stores[5].Load(t.Context(), "acme.amocrm.ru")
	require.NoError(t, err)
	assert.Equal(t, c.RefreshToken, got.RefreshToken)

	// Opening again changes nothing and keeps the rows.
	again := newStore(t, pools[1])
	assertMigrations(t, pools[0])
	got, err = again.Load(t.Context(), "acme.amocrm.ru")
	require.NoError(t, err)
	assert.Equal(t, c.RefreshToken, got.RefreshToken)
}

func assertMigrations(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	rows, err := pool.Query(t.Context(), "SELECT component, version, name FROM amokit_schema_migrations ORDER BY 1, 2")
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var component, name string
		var version int
		require.NoError(t, rows.Scan(&component, &version, &name))
		got = append(got, fmt.Sprintf("%s/%d_%s", component, version, name))
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"tokenstore/1_connections", "tokenstore/2_connection_indexes"}, got)
}

func TestMigrateLeavesNewerVersions(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	newStore(t, pool)
	// A newer replica applied version 3, and another component keeps its own migrations.
	_, err := pool.Exec(t.Context(), `INSERT INTO amokit_schema_migrations (component, version, name)
		VALUES ('tokenstore', 3, 'from_the_future'), ('widget', 1, 'calculations')`)
	require.NoError(t, err)
	s := newStore(t, pool)
	require.NoError(t, s.Ping(t.Context()))
	var n int
	require.NoError(t, pool.QueryRow(t.Context(), "SELECT count(*) FROM amokit_schema_migrations").Scan(&n))
	assert.Equal(t, 4, n)
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx := t.Context()

	_, err := postgres.New(ctx, nil)
	assert.Error(t, err, "nil pool")

	pool := newPool(t, dsn)
	_, err = postgres.New(ctx, pool, postgres.WithSealer(nil))
	assert.ErrorContains(t, err, "nil Sealer")

	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.MaxConns = 1
	single, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(single.Close)
	_, err = postgres.New(ctx, single)
	assert.ErrorContains(t, err, "at least 2")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = postgres.New(cancelled, pool)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestPing(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	s := newStore(t, pool)
	require.NoError(t, s.Ping(t.Context()))

	_, err := pool.Exec(t.Context(), "DROP TABLE amokit_connections")
	require.NoError(t, err)
	assert.ErrorContains(t, s.Ping(t.Context()), "amokit_connections", "the table is part of readiness")

	pool.Close()
	assert.Error(t, s.Ping(t.Context()))
}

func TestEncryptedAtRest(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx := t.Context()
	key := newKey()
	s := newStore(t, pool, postgres.WithSealer(newSealer(t, key)))

	want := connection("acme.amocrm.ru")
	c := want
	require.NoError(t, s.Save(ctx, &c))
	empty := tokenstore.Connection{Account: "new.amocrm.ru", ClientID: "id"}
	require.NoError(t, s.Save(ctx, &empty))

	// The raw row: sealed secrets, plain everything else.
	var secret, access, refresh, clientID string
	var accountID int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT client_secret, access_token, refresh_token, client_id, account_id
		FROM amokit_connections WHERE account = 'acme.amocrm.ru'`).Scan(&secret, &access, &refresh, &clientID, &accountID))
	for _, v := range []string{secret, access, refresh} {
		assert.True(t, strings.HasPrefix(v, "amokit:v2:"), v)
		assert.NotContains(t, v, "PLAIN")
	}
	assert.NotEqual(t, access, refresh)
	assert.Equal(t, want.ClientID, clientID)
	assert.Equal(t, want.AccountID, accountID)
	var emptySealed string
	require.NoError(t, pool.QueryRow(ctx, `SELECT access_token FROM amokit_connections WHERE account = 'new.amocrm.ru'`).Scan(&emptySealed))
	assert.True(t, tokenstore.IsSealed(emptySealed), "empty values are sealed too")

	got, err := s.Load(ctx, "acme.amocrm.ru")
	require.NoError(t, err)
	assert.Equal(t, want.ClientSecret, got.ClientSecret)
	assert.Equal(t, want.AccessToken, got.AccessToken)
	assert.Equal(t, want.RefreshToken, got.RefreshToken)

	// A replica with another key cannot read, and says why without printing anything secret.
	wrong := newStore(t, pool, postgres.WithSealer(newSealer(t, newKey())))
	_, err = wrong.Load(ctx, "acme.amocrm.ru")
	require.ErrorIs(t, err, tokenstore.ErrWrongKey)
	assert.Contains(t, err.Error(), "acme.amocrm.ru")
	assert.NotContains(t, err.Error(), "PLAIN")
	assert.NotContains(t, err.Error(), secret[len("amokit:v2:xxxxxxxx:"):])
	_, err = wrong.List(ctx)
	assert.ErrorIs(t, err, tokenstore.ErrWrongKey)

	// A replica without a key refuses sealed values instead of handing them out as tokens.
	plain := newStore(t, pool)
	_, err = plain.Load(ctx, "acme.amocrm.ru")
	assert.ErrorContains(t, err, "no Sealer")

	// A sealed value moved to another account's row does not open.
	other := connection("other.amocrm.ru")
	require.NoError(t, s.Save(ctx, &other))
	_, err = pool.Exec(ctx, `UPDATE amokit_connections SET refresh_token = $1 WHERE account = 'other.amocrm.ru'`, refresh)
	require.NoError(t, err)
	_, err = s.Load(ctx, "other.amocrm.ru")
	assert.ErrorIs(t, err, tokenstore.ErrCorrupt)

	// So does a value moved to another column of its own row.
	_, err = pool.Exec(ctx, `UPDATE amokit_connections SET refresh_token = access_token WHERE account = 'acme.amocrm.ru'`)
	require.NoError(t, err)
	_, err = s.Load(ctx, "acme.amocrm.ru")
	assert.ErrorIs(t, err, tokenstore.ErrCorrupt)
	assert.ErrorContains(t, err, "refresh_token")
}

// TestResealMigratesOldRows: rows sealed the old way (bound to the account only, with the key
// that was the master key) keep opening with the old key configured second, and Reseal seals
// them again with the new key and their columns bound. A row that cannot be opened fails alone.
func TestResealMigratesOldRows(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx := t.Context()
	oldKey, newKey := newKey(), newKey()
	old := newSealer(t, oldKey)
	newStore(t, pool) // the table
	for _, account := range []string{"acme.amocrm.ru", "beta.kommo.com"} {
		c := connection(account)
		_, err := pool.Exec(ctx, `INSERT INTO amokit_connections (account, account_id, client_id, client_secret, access_token, refresh_token)
			VALUES ($1, $2, $3, $4, $5, $6)`, account, c.AccountID, c.ClientID,
			old.Seal(account, c.ClientSecret), old.Seal(account, c.AccessToken), old.Seal(account, c.RefreshToken))
		require.NoError(t, err)
	}
	// A row sealed with a key nobody has any more.
	_, err := pool.Exec(ctx, `INSERT INTO amokit_connections (account, client_id, client_secret, access_token, refresh_token)
		VALUES ('lost.amocrm.ru', 'x', $1, $1, $1)`, newSealer(t, make([]byte, 32)).Seal("lost.amocrm.ru", "y"))
	require.NoError(t, err)

	s := newStore(t, pool, postgres.WithSealer(newSealer(t, newKey, oldKey)))
	got, err := s.Load(ctx, "acme.amocrm.ru")
	require.NoError(t, err, "an old row opens before the migration")
	assert.Equal(t, connection("acme.amocrm.ru").RefreshToken, got.RefreshToken)

	res, err := s.Reseal(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Resealed)
	assert.Equal(t, []string{"lost.amocrm.ru"}, res.Failed, "the unreadable row fails alone")

	var refresh string
	require.NoError(t, pool.QueryRow(ctx, `SELECT refresh_token FROM amokit_connections WHERE account = 'beta.kommo.com'`).Scan(&refresh))
	assert.True(t, strings.HasPrefix(refresh, "amokit:v2:"), refresh)
	// Without the old key now, both rows open; the lost one breaks only itself.
	after := newStore(t, pool, postgres.WithSealer(newSealer(t, newKey)))
	for _, account := range []string{"acme.amocrm.ru", "beta.kommo.com"} {
		got, err := after.Load(ctx, account)
		require.NoError(t, err, account)
		assert.Equal(t, connection(account).ClientSecret, got.ClientSecret)
	}
	_, err = after.Load(ctx, "lost.amocrm.ru")
	assert.ErrorIs(t, err, tokenstore.ErrWrongKey)
	list, err := after.List(ctx)
	var unreadable *tokenstore.UnreadableError
	require.ErrorAs(t, err, &unreadable, "List names the row it cannot read")
	assert.Equal(t, []string{"lost.amocrm.ru"}, unreadable.Accounts)
	assert.ErrorIs(t, err, tokenstore.ErrWrongKey)
	assert.Len(t, list, 2, "and returns the others")
	found, err := after.FindByAccountID(ctx, connection("acme.amocrm.ru").AccountID)
	require.NoError(t, err, "a search by account id reads only that account's rows")
	assert.NotEmpty(t, found)

	res, err = after.Reseal(ctx)
	require.NoError(t, err)
	assert.Zero(t, res.Resealed, "nothing left to do")
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx := t.Context()
	oldKey, newKey := newKey(), newKey()

	before := newStore(t, pool, postgres.WithSealer(newSealer(t, oldKey)))
	c := connection("acme.amocrm.ru")
	require.NoError(t, before.Save(ctx, &c))

	during := newStore(t, pool, postgres.WithSealer(newSealer(t, newKey, oldKey)))
	got, err := during.Load(ctx, "acme.amocrm.ru")
	require.NoError(t, err, "the old key still reads old rows")
	assert.Equal(t, c.RefreshToken, got.RefreshToken)
	got.RefreshToken = "refresh-after-rotation"
	require.NoError(t, during.Save(ctx, got), "saving re-seals with the new key")

	after := newStore(t, pool, postgres.WithSealer(newSealer(t, newKey)))
	got, err = after.Load(ctx, "acme.amocrm.ru")
	require.NoError(t, err)
	assert.Equal(t, "refresh-after-rotation", got.RefreshToken)
	assert.Equal(t, c.ClientSecret, got.ClientSecret)
	_, err = before.Load(ctx, "acme.amocrm.ru")
	assert.ErrorIs(t, err, tokenstore.ErrWrongKey)
}

// TestLockAcrossReplicas runs goroutines of two stores on two pools, as two replicas would: the
// only thing that can exclude them from each other is the database lock.
func TestLockAcrossReplicas(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx := t.Context()
	replicas := []*postgres.Store{newStore(t, newPool(t, dsn)), newStore(t, newPool(t, dsn))}
	c := connection("acme.amocrm.ru")
	c.AccountID = 0
	require.NoError(t, replicas[0].Save(ctx, &c))

	const perReplica, rounds = 4, 10
	var inside, overlaps atomic.Int64
	var wg sync.WaitGroup
	for _, s := range replicas {
		for range perReplica {
			wg.Go(func() {
				for range rounds {
					err := s.WithLock(ctx, "acme.amocrm.ru", func(ctx context.Context) error {
						if inside.Add(1) != 1 {
							overlaps.Add(1)
						}
						defer inside.Add(-1)
						c, err := s.Load(ctx, "acme.amocrm.ru")
						if err != nil {
							return err
						}
						c.AccountID++
						return s.Save(ctx, c)
					})
					assert.NoError(t, err)
				}
			})
		}
	}
	wg.Wait()
	assert.Zero(t, overlaps.Load(), "two replicas inside the lock at the same time")
	got, err := replicas[1].Load(ctx, "acme.amocrm.ru")
	require.NoError(t, err)
	assert.EqualValues(t, len(replicas)*perReplica*rounds, got.AccountID, "no update lost")
}

// TestLockCancelAcrossReplicas cancels a replica that is provably waiting in PostgreSQL for a
// lock another replica holds.
func TestLockCancelAcrossReplicas(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx := t.Context()
	a, b := newStore(t, newPool(t, dsn)), newStore(t, newPool(t, dsn))
	observer := newPool(t, dsn)

	held, release, holderDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		holderDone <- a.WithLock(ctx, "acme.amocrm.ru", func(context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held

	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var called atomic.Bool
	waiterDone := make(chan error, 1)
	go func() {
		waiterDone <- b.WithLock(waitCtx, "acme.amocrm.ru", func(context.Context) error {
			called.Store(true)
			return nil
		})
	}()
	waitForLockWaiters(t, observer, 1)

	cancel()
	select {
	case err := <-waiterDone:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(guard):
		t.Fatal("the waiter ignored its cancelled context")
	}
	assert.False(t, called.Load())

	close(release)
	require.NoError(t, <-holderDone)
	lockCtx, cancelLock := context.WithTimeout(ctx, guard)
	defer cancelLock()
	ran := false
	require.NoError(t, b.WithLock(lockCtx, "acme.amocrm.ru", func(context.Context) error {
		ran = true
		return nil
	}), "the lock is free again for the replica that gave up")
	assert.True(t, ran)
}

// waitForLockWaiters polls pg_locks until n sessions wait for an advisory lock.
func waitForLockWaiters(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), guard)
	defer cancel()
	for {
		var waiting int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks
			WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting)
		require.NoError(t, err, "waiting for %d session(s) to wait for an advisory lock", n)
		if waiting >= n {
			return
		}
	}
}

// TestLockHolderDiesDuringSave: a replica dies (its connections cut, as the kernel cuts them when
// a process is killed) while a Save it made under the lock waits in PostgreSQL. The next replica
// to take the lock must find that Save already committed: a dead holder's write can never land
// after the lock has passed on, over what the next holder read and saved.
func TestLockHolderDiesDuringSave(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx := t.Context()
	const account = "acme.amocrm.ru"

	// The replica that dies records every connection it dials. Its death closes them all and
	// dials no more: pgx, alive, would ask PostgreSQL to cancel the statement on a new one.
	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	// PostgreSQL's default, pinned: a statement runs to its end even if its client has gone.
	cfg.ConnConfig.RuntimeParams["client_connection_check_interval"] = "0"
	var (
		mu    sync.Mutex
		conns []net.Conn
		dead  bool
	)
	var dialer net.Dialer
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		defer mu.Unlock()
		if dead {
			return nil, errors.New("the process is dead")
		}
		c, err := dialer.DialContext(ctx, network, addr)
		if err == nil {
			conns = append(conns, c)
		}
		return c, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	dying, next := newStore(t, pool), newStore(t, newPool(t, dsn))
	observer := newPool(t, dsn)

	first := connection(account)
	first.RefreshToken = "first"
	require.NoError(t, next.Save(ctx, &first))

	// Another session holds the row, so the dying replica's Save waits inside PostgreSQL.
	row, err := observer.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = row.Rollback(context.WithoutCancel(ctx)) }()
	_, err = row.Exec(ctx, "SELECT 1 FROM amokit_connections WHERE account = $1 FOR UPDATE", account)
	require.NoError(t, err)

	saving := make(chan error, 1)
	go func() {
		saving <- dying.WithLock(ctx, account, func(ctx context.Context) error {
			c := connection(account)
			c.RefreshToken = "saved by the replica that died"
			return dying.Save(ctx, &c)
		})
	}()
	waitForLockedSessions(t, observer, 1)
	mu.Lock()
	dead = true
	for _, c := range conns {
		_ = c.Close()
	}
	mu.Unlock()
	require.Error(t, <-saving, "the replica died before its Save returned")

	var found string
	locking := make(chan error, 1)
	go func() {
		locking <- next.WithLock(ctx, account, func(ctx context.Context) error {
			c, err := next.Load(ctx, account)
			if err != nil {
				return err
			}
			found = c.RefreshToken
			c.RefreshToken = "saved by the next replica"
			return next.Save(ctx, c)
		})
	}()
	// The next replica waits, for the lock or for the row, behind the dead one's Save.
	waitForLockedSessions(t, observer, 2)
	require.NoError(t, row.Rollback(ctx))
	require.NoError(t, <-locking)

	assert.Equal(t, "saved by the replica that died", found, "the next holder read the row before the dead holder's Save landed")
	got, err := next.Load(ctx, account)
	require.NoError(t, err)
	assert.Equal(t, "saved by the next replica", got.RefreshToken)
}

// waitForLockedSessions polls pg_stat_activity until n sessions of the test's database wait for a
// lock of any kind (an advisory lock, a row).
func waitForLockedSessions(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), guard)
	defer cancel()
	for {
		var waiting int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		require.NoError(t, err, "waiting for %d session(s) to wait for a lock", n)
		if waiting >= n {
			return
		}
	}
}

// TestLockSurvivesCancelledContext checks that cancelling the context while fn runs neither
// turns fn's success into an error nor leaves the lock held.
func TestLockSurvivesCancelledContext(t *testing.T) {
	t.Parallel()
	s := newStore(t, pgtest.Pool(t))
	ctx, cancel := context.WithCancel(t.Context())
	err := s.WithLock(ctx, "acme.amocrm.ru", func(ctx context.Context) error {
		cancel()
		// Work that must finish uses a detached context, as saving a refreshed token does.
		c := connection("acme.amocrm.ru")
		return s.Save(context.WithoutCancel(ctx), &c)
	})
	require.NoError(t, err)
	lockCtx, cancelLock := context.WithTimeout(t.Context(), guard)
	defer cancelLock()
	require.NoError(t, s.WithLock(lockCtx, "acme.amocrm.ru", func(context.Context) error { return nil }))
	_, err = s.Load(t.Context(), "acme.amocrm.ru")
	assert.NoError(t, err)
}

// TestLockManyAccountsSmallPool takes locks on more accounts at once than the pool has
// connections, each doing a Load and a Save inside: it must not deadlock on the pool.
func TestLockManyAccountsSmallPool(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s := newStore(t, pool)

	ctx, cancel := context.WithTimeout(t.Context(), guard)
	defer cancel()
	const accounts = 12
	var wg sync.WaitGroup
	for i := range accounts {
		account := string(rune('a'+i)) + ".amocrm.ru"
		wg.Go(func() {
			err := s.WithLock(ctx, account, func(ctx context.Context) error {
				c := connection(account)
				if err := s.Save(ctx, &c); err != nil {
					return err
				}
				_, err := s.Load(ctx, account)
				return err
			})
			assert.NoError(t, err, account)
		})
	}
	wg.Wait()
	list, err := s.List(t.Context())
	require.NoError(t, err)
	assert.Len(t, list, accounts)
}

func TestTimesInDatabase(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	s := newStore(t, pool)
	c := tokenstore.Connection{
		Account: "acme.amocrm.ru",
		Expiry:  time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.FixedZone("MSK", 3*3600)),
	}
	require.NoError(t, s.Save(t.Context(), &c))
	var expiry time.Time
	var refreshedNull bool
	require.NoError(t, pool.QueryRow(t.Context(),
		"SELECT expiry, refreshed_at IS NULL FROM amokit_connections").Scan(&expiry, &refreshedNull))
	assert.True(t, expiry.Equal(time.Date(2030, 1, 2, 0, 4, 5, 123456000, time.UTC)), "timestamptz keeps the instant, to the microsecond: %v", expiry)
	assert.True(t, refreshedNull, "a zero time is NULL")

	got, err := s.Load(t.Context(), "acme.amocrm.ru")
	require.NoError(t, err)
	assert.Equal(t, time.UTC, got.Expiry.Location())
	assert.Equal(t, time.UTC, got.CreatedAt.Location())
}
