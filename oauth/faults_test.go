package oauth_test

// The refresh part of the fault suite: a process killed with SIGKILL at random points of a
// refresh, and the database going down during a refresh and coming back.

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/internal/pgtest"
	"github.com/amokit/amokit/internal/refreshtest"
	"github.com/amokit/amokit/oauth"
)

// killRound is what one SIGKILL round found.
type killRound struct {
	afterDone bool // the child had finished its refresh and its call
	rotated   bool // amoCRM issued a new pair to the child
	saved     bool // the store kept that pair: the restarted process refreshed with it
	locked    bool // a fresh token source could not refresh: the account needs a person
}

// TestRefreshSurvivesSIGKILL kills a process with SIGKILL at a random moment of a refresh, 100
// times per mode, and then checks that a fresh token source (a restarted process) can still
// refresh and call the API. The kill moments are drawn from a seeded generator over the measured
// span of a refresh and the call after it, with 20 ms of latency added at the token endpoint.
//
// One window cannot be closed by any client: amoCRM has rotated the pair, and the process dies
// before the new refresh token reaches the store. In strict mode the stored refresh token is then
// dead and a person must authorise again; the test checks that this window, measured round by
// round, is the only way a round ends locked out. With Kommo's grace (the old pair lives until the
// new access token is used) the same kill is harmless, and no round may end locked out.
func TestRefreshSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name  string
		reuse amocrmtest.RefreshReuse
		seed  uint64
	}{
		{"strict", amocrmtest.RefreshStrict, 1},
		{"kommo-grace", amocrmtest.RefreshKommoGrace, 2},
	} {
		// One mode after the other: the kill moments are measured in real time, and two
		// modes killing processes side by side on a small machine stretch the windows they
		// measure.
		t.Run(mode.name, func(t *testing.T) {
			sigkillRounds(t, mode.reuse, mode.seed)
		})
	}
}

func sigkillRounds(t *testing.T, reuse amocrmtest.RefreshReuse, seed uint64) {
	const (
		rounds      = 100
		calibration = 5                     // unkilled rounds that measure how long a refresh takes
		latency     = 20 * time.Millisecond // added at the token endpoint, before amoCRM rotates
		forced      = 48 * time.Hour        // a skew longer than the 24 h tokens live: every use refreshes
	)
	dsn := pgtest.DSN(t)
	f := newFixture(t, amocrmtest.WithRefreshReuse(reuse))
	store := openStore(t, dsn)
	f.connect(t, store, time.Time{})
	h := refreshtest.Config{
		Mode: refreshtest.ModeKill, Fake: f.URL, RedirectURI: redirectURI, Account: f.account, DSN: dsn,
		Goroutines: 1, Skew: forced, Max: time.Minute,
	}

	// Children start two rounds ahead, so their start-up does not count against the rounds.
	type spawned struct {
		c   *refreshtest.Child
		err error
	}
	ctx := t.Context()
	ready := make(chan spawned, 2)
	var spawner sync.WaitGroup
	t.Cleanup(spawner.Wait)
	spawner.Go(func() {
		for range calibration + rounds {
			c, err := refreshtest.Start(ctx, helperProcess(), h)
			if err == nil {
				if _, err = c.Await(refreshtest.LineReady, time.Minute); err != nil {
					c.Kill()
				}
			}
			select {
			case ready <- spawned{c, err}:
			case <-ctx.Done():
				if c != nil {
					c.Kill()
				}
				return
			}
		}
	})

	next := func() *refreshtest.Child {
		s := <-ready
		require.NoError(t, s.err)
		return s.c
	}

	// How long a child takes from "go" to the end of its call (the median of a few); kills then
	// fall uniformly in a quarter more than that, so they cover the whole refresh and some land
	// after it.
	var tooks []time.Duration
	for range calibration {
		c := next()
		f.Server.FailNext(1, http.MethodPost, refreshtest.TokenPath, amocrmtest.Fault{Delay: latency})
		start := time.Now()
		require.NoError(t, c.Go())
		done, err := c.Await(refreshtest.LineDone, time.Minute)
		require.NoError(t, err)
		require.Equal(t, "ok", done)
		tooks = append(tooks, time.Since(start))
		c.Kill()
	}
	slices.Sort(tooks)
	took := tooks[len(tooks)/2]
	span := took * 5 / 4

	// The restarted process of each round has a transport of its own, closed at the end of the
	// round, so that the fake's open connections are only ever the killed child's.
	recoveryTransport := &http.Transport{}
	recovery := f.cfg
	recovery.HTTPClient = &http.Client{Transport: recoveryTransport, Timeout: 15 * time.Second}
	quiet := func(round int) {
		t.Helper()
		select {
		case <-f.Quiet():
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: the fake still has open connections", round)
		}
	}

	rng := rand.New(rand.NewPCG(seed, 0))
	results := make([]killRound, 0, rounds)
	for round := range rounds {
		c := next()
		quiet(round)
		before := len(f.Grants())
		f.Server.FailNext(1, http.MethodPost, refreshtest.TokenPath, amocrmtest.Fault{Delay: latency})
		offset := time.Duration(rng.Int64N(int64(span)))
		require.NoError(t, c.Go())
		// The child is another process: only real time can place the kill inside its refresh.
		timer := time.NewTimer(offset)
		<-timer.C
		var r killRound
		for _, line := range c.KillAndDrain() {
			r.afterDone = r.afterDone || strings.HasPrefix(line, refreshtest.LineDone)
		}
		// Once the killed child's connections are closed, the fake has answered everything it
		// sent: a request that reached amoCRM before the kill is served like any other.
		quiet(round)
		f.Server.ResetFaults()
		var rotatedTo refreshtest.Issued
		for _, g := range f.Grants()[before:] {
			if g.Status == http.StatusOK {
				require.False(t, r.rotated, "round %d: one refresh by the killed process", round)
				r.rotated, rotatedTo = true, g.Issued
			}
		}
		conn, err := store.Load(ctx, f.account)
		require.NoError(t, err)
		require.False(t, conn.ReauthRequired, "round %d: the killed process marked the connection", round)

		// A restarted process: a fresh source refreshes (the skew makes it) and calls the API.
		mark := len(f.Grants())
		ts, err := recovery.TokenSource(ctx, store, f.account, oauth.WithExpirySkew(forced))
		require.NoError(t, err)
		client, err := refreshtest.NewClient(f.URL, f.account, ts, 0, recoveryTransport)
		require.NoError(t, err)
		_, err = client.Account.Get(ctx)
		recoveryTransport.CloseIdleConnections()
		r.locked = errors.Is(err, oauth.ErrReauthorizationRequired)
		if !r.locked {
			require.NoError(t, err, "round %d", round)
		}
		asked := f.Grants()[mark:]
		require.NotEmpty(t, asked, "round %d: the restarted process refreshed", round)
		// The store gave the restarted process the pair the killed one was issued: it was saved.
		r.saved = r.rotated && asked[0].Presented == rotatedTo.Refresh
		if reuse == amocrmtest.RefreshKommoGrace {
			assert.False(t, r.locked, "round %d (%+v): locked out under Kommo's grace", round, r)
		} else {
			assert.Equal(t, r.rotated && !r.saved, r.locked,
				"round %d (%+v): a round ends locked out exactly when the kill fell between amoCRM's rotation and the save", round, r)
		}
		if r.locked {
			f.connect(t, store, time.Time{}) // a person authorises the integration again
		}
		results = append(results, r)
	}

	var notRotated, window, saved, afterDone, locked int
	for _, r := range results {
		switch {
		case !r.rotated:
			notRotated++
		case !r.saved:
			window++
		default:
			saved++
		}
		if r.afterDone {
			afterDone++
		}
		if r.locked {
			locked++
		}
	}
	assert.Equal(t, rounds, notRotated+window+saved)
	assert.Positive(t, notRotated, "some kills fell before amoCRM rotated")
	assert.Positive(t, saved, "some kills fell after the save")
	t.Logf("%d SIGKILL rounds (seed %d; %v added at the token endpoint; a refresh and a call took %v, kills fell in [0, %v)): %d before amoCRM rotated, "+
		"%d between the rotation and the save, %d after the save (%d after the call finished); %d ended locked out "+
		"(only a kill between the rotation and the save can do that)", rounds, seed, latency, took.Round(time.Millisecond), span.Round(time.Millisecond),
		notRotated, window, saved, afterDone, locked)
}

// outage takes a test database down and brings it back: connections are refused, and those open
// are ended, as when the server goes away.
type outage struct {
	admin, db string
}

func newOutage(t *testing.T, dsn string) *outage {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	o := &outage{admin: os.Getenv(pgtest.EnvURL), db: cfg.Database}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = o.set(ctx, false)
	})
	return o
}

func (o *outage) set(ctx context.Context, down bool) error {
	conn, err := pgx.Connect(ctx, o.admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	allow := "true"
	if down {
		allow = "false"
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{o.db}.Sanitize()+" WITH ALLOW_CONNECTIONS "+allow); err != nil {
		return err
	}
	if down {
		// The second argument (PostgreSQL 14+) waits until each session has ended.
		_, err = conn.Exec(ctx, "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = $1", o.db)
	}
	return err
}

// TestRefreshWhileTheDatabaseIsDown: the database goes away while a refresh is at amoCRM, and
// comes back. Meanwhile calls fail with an error that says the refreshed tokens are not saved yet
// (and no call uses them); afterwards the held pair is saved, nothing was lost, and another
// process uses it without refreshing again. Down before a refresh, nothing is sent to amoCRM.
func TestRefreshWhileTheDatabaseIsDown(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	outage := newOutage(t, dsn)
	f := newFixture(t)
	store := openStore(t, dsn)
	// Stored as expiring within the default 5-minute skew: the first call refreshes.
	first := f.connect(t, store, time.Now().Add(time.Minute))
	ts, err := f.cfg.TokenSource(t.Context(), store, f.account)
	require.NoError(t, err)
	client := f.client(t, ts)
	noSecrets := func(err error) {
		t.Helper()
		for _, secret := range []string{first.AccessToken, first.RefreshToken, f.Integration.ClientSecret} {
			assert.NotContains(t, err.Error(), secret)
		}
	}

	// Down before the refresh: there is nothing to refresh with, and nothing goes to amoCRM.
	require.NoError(t, outage.set(t.Context(), true))
	_, err = client.Account.Get(t.Context())
	require.Error(t, err)
	assert.ErrorContains(t, err, "loading the connection")
	assert.NotErrorIs(t, err, oauth.ErrReauthorizationRequired)
	noSecrets(err)
	assert.Empty(t, f.TokenRequests())
	require.NoError(t, outage.set(t.Context(), false))

	// Down during the refresh: the database goes away while the token request is at amoCRM.
	var downErr error
	f.BeforeNextGrant(func() { downErr = outage.set(context.Background(), true) })
	_, err = client.Account.Get(t.Context())
	require.NoError(t, downErr)
	require.Error(t, err)
	assert.ErrorContains(t, err, "refreshed, but saving the new tokens failed")
	assert.NotErrorIs(t, err, oauth.ErrReauthorizationRequired)
	noSecrets(err)
	rotated := f.Issued()
	require.Len(t, rotated, 1)

	_, err = client.Account.Get(t.Context())
	require.Error(t, err, "the database is still down")
	assert.ErrorContains(t, err, "still not saved")
	noSecrets(err)
	assert.Empty(t, f.APIRequests(), "no API call while the new pair is unsaved")
	assert.Equal(t, 1, f.Server.Counters().Refreshes)

	// Back: the held pair is saved and used; nothing was lost, nobody has to authorise again.
	require.NoError(t, outage.set(t.Context(), false))
	_, err = client.Account.Get(t.Context())
	require.NoError(t, err)
	conn, err := store.Load(t.Context(), f.account)
	require.NoError(t, err)
	assert.Equal(t, rotated[0].Access, amocrmtest.Fingerprint(conn.AccessToken))
	assert.Equal(t, rotated[0].Refresh, amocrmtest.Fingerprint(conn.RefreshToken))
	assert.False(t, conn.ReauthRequired)

	// Another process, with a pool of its own, uses the saved pair without refreshing.
	other, err := f.cfg.TokenSource(t.Context(), openStore(t, dsn), f.account)
	require.NoError(t, err)
	_, err = f.client(t, other).Account.Get(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, f.Server.Counters().Refreshes)
	for _, rr := range f.APIRequests() {
		assert.Equal(t, rotated[0].Access, rr.Token)
		assert.Equal(t, http.StatusOK, rr.Status)
	}
	for _, rr := range f.TokenRequests() {
		assert.Equal(t, http.StatusOK, rr.Status, "no refresh token was refused")
	}
}
