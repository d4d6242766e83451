package tokenstoretest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/tokenstore"
)

// guard bounds waits that end at once when the store is correct, so a broken lock fails the
// test instead of hanging it. Passing tests never reach it.
const guard = time.Minute

// Run runs the contract suite as parallel subtests of t. newStore must return a new, empty
// store each time it is called; it may register cleanups on the t it is given.
func Run(t *testing.T, newStore func(t *testing.T) tokenstore.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, tokenstore.Store)
	}{
		{"NotFound", testNotFound},
		{"RoundTrip", testRoundTrip},
		{"RoundTripZeroValues", testRoundTripZeroValues},
		{"SaveInvalid", testSaveInvalid},
		{"Upsert", testUpsert},
		{"Copies", testCopies},
		{"List", testList},
		{"Delete", testDelete},
		{"FindByAccountID", testFindByAccountID},
		{"ConcurrentSaves", testConcurrentSaves},
		{"LockExclusive", lockTest(testLockExclusive)},
		{"LockIndependentAccounts", lockTest(testLockIndependent)},
		{"LockReleasedOnError", lockTest(testLockReleasedOnError)},
		{"LockReleasedOnPanic", lockTest(testLockReleasedOnPanic)},
		{"LockCancelWhileWaiting", lockTest(testLockCancelWhileWaiting)},
		{"LockCancelledContext", lockTest(testLockCancelledContext)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func lockTest(fn func(*testing.T, tokenstore.Store, tokenstore.Locker)) func(*testing.T, tokenstore.Store) {
	return func(t *testing.T, s tokenstore.Store) {
		l, ok := s.(tokenstore.Locker)
		if !ok {
			t.Skipf("%T is not a tokenstore.Locker", s)
		}
		fn(t, s, l)
	}
}

// msk is a zone other than UTC and Local, so a store that mishandles zones shows it.
var msk = time.FixedZone("MSK", 3*60*60)

// full returns a connection with every field set, times at microsecond precision.
func full(account string) tokenstore.Connection {
	return tokenstore.Connection{
		Account:      account,
		AccountID:    31415926,
		ClientID:     "0b7c3a1e-client-" + account,
		ClientSecret: "secret/" + account + "/Ω≈ç√",
		// amoCRM access tokens are JWTs of about a kilobyte.
		AccessToken:    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + strings.Repeat("QUJD", 300) + "." + account,
		RefreshToken:   "def50200" + strings.Repeat("9f", 400) + account,
		Expiry:         time.Date(2031, 4, 5, 6, 7, 8, 123456000, msk),
		RefreshedAt:    time.Date(2031, 4, 4, 6, 7, 8, 654321000, msk),
		ReauthRequired: true,
		// Save must ignore these.
		CreatedAt: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC),
		UpdatedAt: time.Date(2002, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func save(t *testing.T, s tokenstore.Store, c tokenstore.Connection) tokenstore.Connection {
	t.Helper()
	require.NoError(t, s.Save(t.Context(), &c))
	return c
}

func load(t *testing.T, s tokenstore.Store, account string) tokenstore.Connection {
	t.Helper()
	c, err := s.Load(t.Context(), account)
	require.NoError(t, err)
	require.NotNil(t, c)
	return *c
}

// assertSame checks every field the caller sets; times by instant, not by zone.
func assertSame(t *testing.T, want, got tokenstore.Connection) {
	t.Helper()
	assert.Equal(t, want.Account, got.Account, "Account")
	assert.Equal(t, want.AccountID, got.AccountID, "AccountID")
	assert.Equal(t, want.ClientID, got.ClientID, "ClientID")
	assert.True(t, want.ClientSecret == got.ClientSecret, "ClientSecret differs")
	assert.True(t, want.AccessToken == got.AccessToken, "AccessToken differs")
	assert.True(t, want.RefreshToken == got.RefreshToken, "RefreshToken differs")
	assert.True(t, want.Expiry.Equal(got.Expiry), "Expiry: want %v, got %v", want.Expiry, got.Expiry)
	assert.True(t, want.RefreshedAt.Equal(got.RefreshedAt), "RefreshedAt: want %v, got %v", want.RefreshedAt, got.RefreshedAt)
	assert.Equal(t, want.ReauthRequired, got.ReauthRequired, "ReauthRequired")
}

func testNotFound(t *testing.T, s tokenstore.Store) {
	ctx := t.Context()
	c, err := s.Load(ctx, "absent.amocrm.ru")
	assert.ErrorIs(t, err, tokenstore.ErrNotFound)
	assert.Nil(t, c)
	assert.ErrorIs(t, s.Delete(ctx, "absent.amocrm.ru"), tokenstore.ErrNotFound)

	save(t, s, full("present.amocrm.ru"))
	_, err = s.Load(ctx, "PRESENT.amocrm.ru")
	assert.ErrorIs(t, err, tokenstore.ErrNotFound, "accounts are used exactly as given")
	_, err = s.Load(ctx, "present.amocrm")
	assert.ErrorIs(t, err, tokenstore.ErrNotFound, "no prefix matching")
}

func testRoundTrip(t *testing.T, s tokenstore.Store) {
	want := full("acme.amocrm.ru")
	before := time.Now()
	saved := save(t, s, want)
	after := time.Now()

	// The store sets the times and writes them back into the value it was given.
	assert.False(t, saved.CreatedAt.Equal(want.CreatedAt), "Save must ignore the CreatedAt passed in")
	assert.False(t, saved.UpdatedAt.Equal(want.UpdatedAt), "Save must ignore the UpdatedAt passed in")
	// A database clock may differ a little from ours.
	assert.WithinRange(t, saved.CreatedAt, before.Add(-time.Minute), after.Add(time.Minute))
	assert.False(t, saved.UpdatedAt.Before(saved.CreatedAt), "UpdatedAt %v before CreatedAt %v", saved.UpdatedAt, saved.CreatedAt)

	got := load(t, s, want.Account)
	assertSame(t, want, got)
	assert.True(t, got.CreatedAt.Equal(saved.CreatedAt), "CreatedAt: Save wrote %v, Load read %v", saved.CreatedAt, got.CreatedAt)
	assert.True(t, got.UpdatedAt.Equal(saved.UpdatedAt), "UpdatedAt: Save wrote %v, Load read %v", saved.UpdatedAt, got.UpdatedAt)
}

func testRoundTripZeroValues(t *testing.T, s tokenstore.Store) {
	want := tokenstore.Connection{Account: "new.kommo.com", ClientID: "id"}
	save(t, s, want)
	got := load(t, s, want.Account)
	assertSame(t, want, got)
	assert.True(t, got.Expiry.IsZero(), "zero Expiry comes back zero, got %v", got.Expiry)
	assert.True(t, got.RefreshedAt.IsZero(), "zero RefreshedAt comes back zero, got %v", got.RefreshedAt)
	assert.False(t, got.CreatedAt.IsZero())
}

func testSaveInvalid(t *testing.T, s tokenstore.Store) {
	ctx := t.Context()
	assert.Error(t, s.Save(ctx, nil), "nil connection")
	c := full("")
	assert.Error(t, s.Save(ctx, &c), "empty account")
	list, err := s.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, list)
}

func testUpsert(t *testing.T, s tokenstore.Store) {
	first := save(t, s, full("acme.amocrm.ru"))

	next := full("acme.amocrm.ru")
	next.AccountID = 42
	next.ClientSecret = "rotated-secret"
	next.AccessToken = "access-2"
	next.RefreshToken = "refresh-2"
	next.Expiry = next.Expiry.Add(24 * time.Hour)
	next.RefreshedAt = next.RefreshedAt.Add(24 * time.Hour)
	next.ReauthRequired = false
	second := save(t, s, next)

	assert.True(t, second.CreatedAt.Equal(first.CreatedAt), "CreatedAt kept: first %v, second %v", first.CreatedAt, second.CreatedAt)
	assert.True(t, second.UpdatedAt.After(first.UpdatedAt), "UpdatedAt moves: first %v, second %v", first.UpdatedAt, second.UpdatedAt)

	got := load(t, s, "acme.amocrm.ru")
	assertSame(t, next, got)
	assert.True(t, got.CreatedAt.Equal(first.CreatedAt))
	assert.True(t, got.UpdatedAt.Equal(second.UpdatedAt))

	// Saving a loaded value keeps the original CreatedAt too.
	third := save(t, s, got)
	assert.True(t, third.CreatedAt.Equal(first.CreatedAt))
	assert.True(t, third.UpdatedAt.After(second.UpdatedAt), "UpdatedAt moves: second %v, third %v", second.UpdatedAt, third.UpdatedAt)

	list, err := s.List(t.Context())
	require.NoError(t, err)
	assert.Len(t, list, 1)
}

func testCopies(t *testing.T, s tokenstore.Store) {
	ctx := t.Context()
	want := full("acme.amocrm.ru")
	c := want
	require.NoError(t, s.Save(ctx, &c))
	c.AccessToken, c.AccountID, c.Expiry = "changed after Save", 1, time.Time{}

	loaded, err := s.Load(ctx, "acme.amocrm.ru")
	require.NoError(t, err)
	assertSame(t, want, *loaded)
	loaded.AccessToken, loaded.RefreshToken, loaded.ReauthRequired = "changed after Load", "x", false

	list, err := s.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assertSame(t, want, list[0])
	list[0].AccessToken = "changed after List"

	assertSame(t, want, load(t, s, "acme.amocrm.ru"))
}

func testList(t *testing.T, s tokenstore.Store) {
	ctx := t.Context()
	list, err := s.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, list)

	// Byte order, which differs from most locales' order for '-' and '.'.
	accounts := []string{"b.amocrm.ru", "ab.amocrm.ru", "a.amocrm.ru", "a-b.amocrm.ru", "z.kommo.com", "0.amocrm.ru", "a.amocrm.com"}
	for i, a := range accounts {
		c := full(a)
		c.AccountID = int64(i + 1)
		save(t, s, c)
	}
	list, err = s.List(ctx)
	require.NoError(t, err)
	got := make([]string, len(list))
	for i, c := range list {
		got[i] = c.Account
		want := full(c.Account)
		want.AccountID = int64(slices.Index(accounts, c.Account) + 1)
		assertSame(t, want, c)
		assert.False(t, c.CreatedAt.IsZero())
	}
	assert.Equal(t, slices.Sorted(slices.Values(accounts)), got)
}

func testDelete(t *testing.T, s tokenstore.Store) {
	ctx := t.Context()
	save(t, s, full("a.amocrm.ru"))
	save(t, s, full("b.amocrm.ru"))

	require.NoError(t, s.Delete(ctx, "a.amocrm.ru"))
	_, err := s.Load(ctx, "a.amocrm.ru")
	assert.ErrorIs(t, err, tokenstore.ErrNotFound)
	assert.ErrorIs(t, s.Delete(ctx, "a.amocrm.ru"), tokenstore.ErrNotFound, "deleting twice")
	assertSame(t, full("b.amocrm.ru"), load(t, s, "b.amocrm.ru"))

	list, err := s.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "b.amocrm.ru", list[0].Account)

	// Saving again after Delete starts a new connection.
	again := save(t, s, full("a.amocrm.ru"))
	assert.False(t, again.CreatedAt.IsZero())
	assertSame(t, full("a.amocrm.ru"), load(t, s, "a.amocrm.ru"))
}

func testConcurrentSaves(t *testing.T, s tokenstore.Store) {
	ctx := t.Context()
	const goroutines, rounds, accounts = 8, 20, 4
	account := func(g int) string { return fmt.Sprintf("acct%d.amocrm.ru", g%accounts) }
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range rounds {
				c := full(account(g))
				// Both tokens name the same write, so a torn write shows.
				c.AccessToken = fmt.Sprintf("access-g%d-i%d", g, i)
				c.RefreshToken = fmt.Sprintf("refresh-g%d-i%d", g, i)
				if !assert.NoError(t, s.Save(ctx, &c)) {
					return
				}
				got, err := s.Load(ctx, account(g))
				if assert.NoError(t, err) {
					assert.Equal(t, strings.TrimPrefix(got.AccessToken, "access-"), strings.TrimPrefix(got.RefreshToken, "refresh-"))
				}
				_, err = s.List(ctx)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()

	list, err := s.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, accounts)
	for _, c := range list {
		var g, i int
		_, err := fmt.Sscanf(c.AccessToken, "access-g%d-i%d", &g, &i)
		require.NoError(t, err, c.AccessToken)
		// The last write to an account is some writer's last write.
		assert.Equal(t, account(g), c.Account)
		assert.Equal(t, rounds-1, i)
		assert.Equal(t, fmt.Sprintf("refresh-g%d-i%d", g, i), c.RefreshToken)
	}
}

func testLockExclusive(t *testing.T, s tokenstore.Store, l tokenstore.Locker) {
	ctx := t.Context()
	const goroutines, rounds = 8, 10
	c := full("acme.amocrm.ru")
	c.AccountID = 0
	save(t, s, c)

	var inside, overlaps, counter atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range rounds {
				err := l.WithLock(ctx, "acme.amocrm.ru", func(ctx context.Context) error {
					if inside.Add(1) != 1 {
						overlaps.Add(1)
					}
					defer inside.Add(-1)
					// Read, yield, write: without exclusion, updates are lost.
					v := counter.Load()
					c, err := s.Load(ctx, "acme.amocrm.ru")
					if err != nil {
						return err
					}
					c.AccountID++
					runtime.Gosched()
					if err := s.Save(ctx, c); err != nil {
						return err
					}
					counter.Store(v + 1)
					return nil
				})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, overlaps.Load(), "goroutines inside the lock at the same time")
	assert.EqualValues(t, goroutines*rounds, counter.Load())
	assert.EqualValues(t, goroutines*rounds, load(t, s, "acme.amocrm.ru").AccountID, "updates made under the lock")
}

// hold takes account's lock in a new goroutine and keeps it until release is called, which
// returns WithLock's error.
func hold(t *testing.T, l tokenstore.Locker, account string) (release func() error) {
	t.Helper()
	held, done, errc := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		errc <- l.WithLock(context.WithoutCancel(t.Context()), account, func(context.Context) error {
			close(held)
			<-done
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-errc:
		t.Fatalf("holding the lock on %s: %v", account, err)
	case <-time.After(guard):
		t.Fatalf("lock on %s not taken within %v", account, guard)
	}
	var once sync.Once
	var err error
	release = func() error {
		once.Do(func() {
			close(done)
			err = <-errc
		})
		return err
	}
	t.Cleanup(func() { _ = release() })
	return release
}

// lockRuns checks that account's lock can be taken now, within the guard.
func lockRuns(t *testing.T, l tokenstore.Locker, account string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), guard)
	defer cancel()
	ran := false
	err := l.WithLock(ctx, account, func(ctx context.Context) error {
		ran = true
		return ctx.Err()
	})
	assert.NoError(t, err, "lock on %s", account)
	assert.True(t, ran, "fn ran under the lock on %s", account)
}

func testLockIndependent(t *testing.T, _ tokenstore.Store, l tokenstore.Locker) {
	release := hold(t, l, "a.amocrm.ru")
	lockRuns(t, l, "b.amocrm.ru")
	lockRuns(t, l, "a.amocrm.ru.evil.example")
	require.NoError(t, release())
	lockRuns(t, l, "a.amocrm.ru")
}

func testLockReleasedOnError(t *testing.T, _ tokenstore.Store, l tokenstore.Locker) {
	errBoom := errors.New("boom")
	err := l.WithLock(t.Context(), "acme.amocrm.ru", func(context.Context) error { return errBoom })
	assert.ErrorIs(t, err, errBoom, "WithLock returns fn's error")
	lockRuns(t, l, "acme.amocrm.ru")
}

func testLockReleasedOnPanic(t *testing.T, _ tokenstore.Store, l tokenstore.Locker) {
	recovered := func() (r any) {
		defer func() { r = recover() }()
		_ = l.WithLock(t.Context(), "acme.amocrm.ru", func(context.Context) error { panic("boom") })
		return nil
	}()
	assert.Equal(t, "boom", recovered, "the panic goes through WithLock")
	lockRuns(t, l, "acme.amocrm.ru")
}

func testLockCancelWhileWaiting(t *testing.T, _ tokenstore.Store, l tokenstore.Locker) {
	release := hold(t, l, "acme.amocrm.ru")

	ctx, cancel := context.WithCancel(t.Context())
	var called atomic.Bool
	errc := make(chan error, 1)
	go func() {
		errc <- l.WithLock(ctx, "acme.amocrm.ru", func(context.Context) error {
			called.Store(true)
			return nil
		})
	}()
	cancel()
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(guard):
		t.Fatalf("WithLock still waiting %v after its context was cancelled", guard)
	}
	assert.False(t, called.Load(), "fn must not run without the lock")

	require.NoError(t, release())
	lockRuns(t, l, "acme.amocrm.ru")
}

func testLockCancelledContext(t *testing.T, _ tokenstore.Store, l tokenstore.Locker) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	called := false
	err := l.WithLock(ctx, "acme.amocrm.ru", func(context.Context) error {
		called = true
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, called)
	lockRuns(t, l, "acme.amocrm.ru")
}

// testFindByAccountID: the store's Finder, when it has one (and FindByAccountID over List
// otherwise), returns exactly the connections of that account id.
func testFindByAccountID(t *testing.T, s tokenstore.Store) {
	ctx := t.Context()
	for _, c := range []tokenstore.Connection{
		{Account: "b.amocrm.ru", AccountID: 7, ClientID: "client-b"},
		{Account: "a.amocrm.ru", AccountID: 7, ClientID: "client-a"},
		{Account: "c.amocrm.ru", AccountID: 8, ClientID: "client-c"},
		{Account: "d.amocrm.ru", ClientID: "client-d"},
	} {
		require.NoError(t, s.Save(ctx, &c))
	}
	got, err := tokenstore.FindByAccountID(ctx, s, 7)
	require.NoError(t, err)
	var accounts []string
	for _, c := range got {
		accounts = append(accounts, c.Account)
	}
	assert.Equal(t, []string{"a.amocrm.ru", "b.amocrm.ru"}, accounts)
	got, err = tokenstore.FindByAccountID(ctx, s, 9)
	require.NoError(t, err)
	assert.Empty(t, got)
}
