package oauth_test

// Evidence for the token source against amocrmtest in strict single-use mode: several real
// processes (re-executions of this test binary) sharing one PostgreSQL store, and a store that
// fails right after amoCRM rotated the refresh token. The fault suite is in faults_test.go.

import (
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/internal/pgtest"
	"github.com/amokit/amokit/internal/refreshtest"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/tokenstore/postgres"
)

const (
	redirectURI = "https://calc.example.com/oauth/callback"
	subdomain   = "acme"
	accountPath = "/api/v4/account"
)

// fixture is a fake amoCRM watched by refreshtest (rate limit off, so that only the token source
// is under test) with one account and one integration, and the OAuth configuration that points
// at it.
type fixture struct {
	*refreshtest.Fake
	cfg     oauth.Config
	account string
}

func newFixture(t *testing.T, opts ...amocrmtest.Option) *fixture {
	t.Helper()
	fake := refreshtest.NewFake(subdomain, redirectURI, opts...)
	t.Cleanup(fake.Close)
	return &fixture{Fake: fake, cfg: oauth.Config{RedirectURL: redirectURI, BaseURL: fake.URL}, account: fake.Account.Host}
}

// connect authorises the integration in the account, as a person and the callback would, and saves
// the connection. expiry overrides the stored expiry when not zero. It returns the pair.
func (f *fixture) connect(t *testing.T, store tokenstore.Store, expiry time.Time) amocrmtest.Token {
	t.Helper()
	tok, err := f.Connect(t.Context(), store, expiry)
	require.NoError(t, err)
	return tok
}

// client is an amoCRM client for the fixture's account through ts, as an application builds it.
func (f *fixture) client(t *testing.T, ts oauth2.TokenSource) *amocrm.Client {
	t.Helper()
	c, err := refreshtest.NewClient(f.URL, f.account, ts, 0, &http.Transport{MaxIdleConnsPerHost: 4})
	require.NoError(t, err)
	return c
}

// openStore opens a PostgreSQL store on dsn with a pool of its own, closed when t ends.
func openStore(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	store, pool, err := refreshtest.OpenStore(t.Context(), dsn, 0)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return store
}

// ---------------------------------------------------------------------------------------------
// Child processes.

// helperProcess runs this test binary again as TestRefreshHelperProcess.
func helperProcess() refreshtest.Command {
	return refreshtest.Command{Path: os.Args[0], Args: []string{"-test.run=^TestRefreshHelperProcess$", "-test.count=1", "-test.timeout=5m"}}
}

// TestRefreshHelperProcess is the child process of the multi-process tests: they run this test
// binary again with refreshtest.EnvMode set. Run on its own it has nothing to do.
func TestRefreshHelperProcess(t *testing.T) {
	if os.Getenv(refreshtest.EnvMode) == "" {
		t.Skip("the child process of TestRefreshAcrossProcesses and TestRefreshSurvivesSIGKILL; runs only when they start it")
	}
	cfg, err := refreshtest.ConfigFromEnv(os.Getenv)
	require.NoError(t, err)
	require.NoError(t, refreshtest.RunChild(t.Context(), cfg, os.Stdin, os.Stdout))
}

// ---------------------------------------------------------------------------------------------
// Three processes, 64 goroutines each, one store.

// TestRefreshAcrossProcesses runs 3 processes × 64 goroutines making API calls through one
// PostgreSQL store while the access token (3 s) expires twice. amoCRM is strict: a refresh token
// works once, and the access token it replaced dies at once. The fake must see exactly one refresh
// per expiry, no process may ever be refused, and every call must succeed.
func TestRefreshAcrossProcesses(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	const (
		procs      = 3
		goroutines = 64
		expiries   = 2
		ttl        = 3 * time.Second
		skew       = 500 * time.Millisecond
	)
	f := newFixture(t, amocrmtest.WithAccessTokenTTL(ttl))
	store := openStore(t, dsn)

	// Run until the fake has refreshed `expiries` times and every process has used the last token.
	// A run that stalls (a process locked out, say) ends a TTL after the token in use was due.
	run, err := refreshtest.Storm(t.Context(), refreshtest.StormConfig{
		Command: helperProcess(), Procs: procs, Expiries: expiries, TTL: ttl,
		Child: refreshtest.Config{DSN: dsn, Goroutines: goroutines, Skew: skew, PerSecond: 300, Max: time.Minute},
	}, f.Fake, store)
	if run.Stalled {
		t.Errorf("the run stalled after %d refreshes; tokens used per process: %v", len(run.Refreshes), run.Seen)
	}
	require.NoError(t, err)
	first, refreshes, reports := run.First, run.Refreshes, run.Reports
	wall := run.Ended.Sub(run.Started)
	due := first.ExpiresAt.Add(-skew)

	var calls, ok int64
	for i, r := range reports {
		assert.Positive(t, r.Calls, "process %d made calls", i)
		assert.Zero(t, r.Failed, "process %d: failed calls; first errors: %q", i, r.Errors)
		assert.Zero(t, r.Revoked, "process %d: revoked-token errors", i)
		assert.Equal(t, r.Calls, r.OK, "process %d: every call succeeded", i)
		calls += r.Calls
		ok += r.OK
	}

	// Exactly one refresh per expiry: the fake refreshed `expiries` times, each refresh came after
	// the token it replaced was due, and the last token was not due yet when the calls stopped.
	counters := f.Server.Counters()
	assert.Equal(t, expiries, counters.Refreshes, "refreshes seen by the fake")
	require.Len(t, refreshes, expiries)
	for i, r := range refreshes {
		assert.False(t, r.At.Before(due), "refresh %d came %v before its token was due", i+1, due.Sub(r.At))
		due = r.Expiry.Add(-skew)
	}
	chain := []string{amocrmtest.Fingerprint(first.AccessToken)}
	for _, r := range refreshes {
		chain = append(chain, r.Access)
	}
	slices.Sort(chain)
	for i, r := range reports {
		assert.True(t, r.FirstCall.Before(refreshes[0].At), "process %d was calling before the first expiry", i)
		assert.True(t, r.LastCall.Before(due), "process %d stopped before the last token was due", i)
		assert.Equal(t, chain, r.Tokens, "process %d used every token of the chain and no other", i)
	}

	// The fake agrees: every successful call is one 200 at the API, no refresh was refused.
	var api200 int
	for _, rr := range f.APIRequests() {
		if rr.Path == accountPath && rr.Status == http.StatusOK {
			api200++
		}
	}
	assert.Equal(t, ok, int64(api200), "successful calls at the fake")
	for _, rr := range f.TokenRequests() {
		assert.Equal(t, http.StatusOK, rr.Status, "every token request succeeded")
	}
	conn, err := store.Load(t.Context(), f.account)
	require.NoError(t, err)
	assert.False(t, conn.ReauthRequired)
	assert.Equal(t, refreshes[len(refreshes)-1].Refresh, amocrmtest.Fingerprint(conn.RefreshToken), "the store holds the last refresh token")
	t.Logf("%d processes × %d goroutines: %d refreshes for %d expiries, %d calls, %d failed, %d answered 401 and replayed, %v",
		procs, goroutines, counters.Refreshes, expiries, calls, calls-ok, counters.ByStatus[http.StatusUnauthorized], wall.Round(time.Millisecond))
}

// ---------------------------------------------------------------------------------------------
// A store that fails right after a refresh.

// failingStore wraps a store; while down, Save fails as it would with the database gone. It
// remembers when each access token was first saved.
type failingStore struct {
	tokenstore.Store
	down atomic.Bool

	mu    sync.Mutex
	saved map[string]time.Time // access-token fingerprint → first successful save
}

func newFailingStore(s tokenstore.Store) *failingStore {
	return &failingStore{Store: s, saved: map[string]time.Time{}}
}

func (s *failingStore) Save(ctx context.Context, c *tokenstore.Connection) error {
	if s.down.Load() {
		return errors.New("store unavailable: connection refused")
	}
	if err := s.Store.Save(ctx, c); err != nil {
		return err
	}
	fp := amocrmtest.Fingerprint(c.AccessToken)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.saved[fp]; !ok {
		s.saved[fp] = time.Now()
	}
	return nil
}

// WithLock keeps the wrapped store's lock, so the token source serialises refreshes through it.
func (s *failingStore) WithLock(ctx context.Context, account string, fn func(context.Context) error) error {
	if l, ok := s.Store.(tokenstore.Locker); ok {
		return l.WithLock(ctx, account, fn)
	}
	return fn(ctx)
}

func (s *failingStore) savedAt(fp string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.saved[fp]
	return at, ok
}

// TestRefreshNeverUsesAnUnsavedToken: amoCRM rotates the tokens, and the store fails its Save right
// then. The new pair must not reach amoCRM's API before it is saved (strict mode has already
// killed the old one, so calls fail meanwhile, with a clear error), and once the store is back the
// pair held in memory is saved and the account works without anyone authorising again.
func TestRefreshNeverUsesAnUnsavedToken(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(*testing.T) tokenstore.Store{
		"memory":   func(*testing.T) tokenstore.Store { return tokenstore.NewMemory() },
		"postgres": func(t *testing.T) tokenstore.Store { return openStore(t, pgtest.DSN(t)) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testUnsavedToken(t, newFailingStore(open(t)))
		})
	}
}

func testUnsavedToken(t *testing.T, store *failingStore) {
	f := newFixture(t)
	// Stored as expiring within the default 5-minute skew: the first call refreshes.
	first := f.connect(t, store, time.Now().Add(time.Minute))
	ts, err := f.cfg.TokenSource(t.Context(), store, f.account)
	require.NoError(t, err)
	client := f.client(t, ts)

	f.AfterNextGrant(func() { store.down.Store(true) })
	_, err = client.Account.Get(t.Context())
	require.Error(t, err, "the refreshed pair could not be saved")
	assert.NotErrorIs(t, err, oauth.ErrReauthorizationRequired)
	assert.ErrorContains(t, err, "refreshed, but saving the new tokens failed")
	assert.ErrorContains(t, err, "store unavailable")
	rotated := f.Issued()
	require.Len(t, rotated, 1)
	unsaved := rotated[0]

	_, err = client.Account.Get(t.Context())
	require.Error(t, err, "still unsaved, still not used")
	assert.ErrorContains(t, err, "still not saved")
	for _, secret := range []string{first.AccessToken, first.RefreshToken, f.Integration.ClientSecret} {
		assert.NotContains(t, err.Error(), secret)
	}
	assert.Equal(t, 1, f.Server.Counters().Refreshes, "the held-back pair is not refreshed again")
	assert.Empty(t, f.APIRequests(), "no API call while the new pair is unsaved")

	store.down.Store(false)
	_, err = client.Account.Get(t.Context())
	require.NoError(t, err, "the store is back: the held pair is saved and used")
	conn, err := store.Load(t.Context(), f.account)
	require.NoError(t, err)
	assert.Equal(t, unsaved.Access, amocrmtest.Fingerprint(conn.AccessToken))
	assert.Equal(t, unsaved.Refresh, amocrmtest.Fingerprint(conn.RefreshToken))
	assert.False(t, conn.ReauthRequired)

	// Another process starting now finds the pair in the store and needs no refresh.
	other, err := f.cfg.TokenSource(t.Context(), store, f.account)
	require.NoError(t, err)
	_, err = f.client(t, other).Account.Get(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, f.Server.Counters().Refreshes)

	// At the fake: every API call carried a token that was saved before the call was made.
	calls := f.APIRequests()
	require.Len(t, calls, 2)
	for _, rr := range calls {
		assert.Equal(t, unsaved.Access, rr.Token)
		assert.Equal(t, http.StatusOK, rr.Status)
		if at, ok := store.savedAt(rr.Token); assert.True(t, ok, "a call used a token never saved") {
			assert.False(t, rr.Time.Before(at), "a call used its token before it was saved")
		}
	}
	for _, rr := range f.TokenRequests() {
		assert.Equal(t, http.StatusOK, rr.Status, "no refresh token was refused")
	}
}
