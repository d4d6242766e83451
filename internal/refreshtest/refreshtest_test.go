package refreshtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/internal/pgtest"
	"github.com/amokit/amokit/internal/refreshtest"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
)

const redirectURI = "https://harness.example.com/oauth/callback"

// TestMain lets the test binary stand in as a child process.
func TestMain(m *testing.M) {
	if os.Getenv(refreshtest.EnvMode) != "" {
		cfg, err := refreshtest.ConfigFromEnv(os.Getenv)
		if err == nil {
			err = refreshtest.RunChild(context.Background(), cfg, os.Stdin, os.Stdout)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// self runs this test binary again; TestMain makes it a child.
func self() refreshtest.Command { return refreshtest.Command{Path: os.Args[0]} }

func TestConfigEnvRoundTrip(t *testing.T) {
	t.Parallel()
	want := refreshtest.Config{
		Mode: refreshtest.ModeStorm, Fake: "http://127.0.0.1:1234", RedirectURI: redirectURI, Account: "acme.amocrm.ru",
		DSN: "postgres://u@h/db?sslmode=disable", Goroutines: 64, Skew: 1500 * time.Millisecond, PerSecond: 12.5, Max: time.Minute,
	}
	env := map[string]string{}
	for _, kv := range want.Env() {
		k, v, ok := bytes.Cut([]byte(kv), []byte("="))
		require.True(t, ok, kv)
		env[string(k)] = string(v)
	}
	assert.Equal(t, refreshtest.ModeStorm, env[refreshtest.EnvMode])
	got, err := refreshtest.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, want, got)

	_, err = refreshtest.ConfigFromEnv(func(string) string { return "x" })
	assert.ErrorContains(t, err, `strconv.Atoi: parsing "x"`)
	assert.ErrorContains(t, err, `strconv.ParseFloat: parsing "x"`)
	assert.ErrorContains(t, err, `time: invalid duration "x"`)
}

// TestFakeRecordsGrants refreshes through the watched fake and checks what it recorded, that each
// hook runs once and at its moment, and that a refused token request is a grant without a pair.
func TestFakeRecordsGrants(t *testing.T) {
	t.Parallel()
	fake := refreshtest.NewFake("acme", redirectURI)
	t.Cleanup(fake.Close)
	store := tokenstore.NewMemory()
	// Stored as expiring within the default 5-minute skew: the first call refreshes.
	first, err := fake.Connect(t.Context(), store, time.Now().Add(time.Minute))
	require.NoError(t, err)
	ts, err := oauth.Config{RedirectURL: redirectURI, BaseURL: fake.URL}.TokenSource(t.Context(), store, fake.Account.Host)
	require.NoError(t, err)
	client, err := refreshtest.NewClient(fake.URL, fake.Account.Host, ts, 0, &http.Transport{})
	require.NoError(t, err)

	var before, after atomic.Int32 // the hooks run on the server's goroutines
	fake.BeforeNextGrant(func() {
		before.Add(1)
		assert.Empty(t, fake.Grants(), "before: the request is not recorded yet")
	})
	fake.AfterNextGrant(func() {
		after.Add(1)
		assert.Len(t, fake.Issued(), 1, "after: the pair is recorded")
		conn, err := store.Load(context.Background(), fake.Account.Host)
		if assert.NoError(t, err) {
			assert.Equal(t, first.AccessToken, conn.AccessToken, "after: the answer has not left, so nothing is saved yet")
		}
	})
	_, err = client.Account.Get(t.Context())
	require.NoError(t, err)
	conn, err := store.Load(t.Context(), fake.Account.Host)
	require.NoError(t, err)

	grants := fake.Grants()
	require.Len(t, grants, 1)
	assert.Equal(t, amocrmtest.Fingerprint(first.RefreshToken), grants[0].Presented)
	assert.Equal(t, http.StatusOK, grants[0].Status)
	assert.Equal(t, []refreshtest.Issued{grants[0].Issued}, fake.Issued())
	got := grants[0].Issued
	assert.Equal(t, amocrmtest.Fingerprint(conn.AccessToken), got.Access)
	assert.Equal(t, amocrmtest.Fingerprint(conn.RefreshToken), got.Refresh)
	assert.True(t, got.Expiry.After(got.At), "the exp claim is read")

	// A second refresh: the hooks are spent.
	tok, err := ts.Token()
	require.NoError(t, err)
	_, err = ts.Refresh(t.Context(), tok)
	require.NoError(t, err)
	assert.Equal(t, int32(1), before.Load())
	assert.Equal(t, int32(1), after.Load())
	assert.Len(t, fake.Issued(), 2)

	// The first refresh token again: strict mode refuses it, and no pair is issued.
	body, err := json.Marshal(map[string]string{
		"client_id": fake.Integration.ClientID, "client_secret": fake.Integration.ClientSecret,
		"grant_type": "refresh_token", "refresh_token": first.RefreshToken, "redirect_uri": redirectURI,
	})
	require.NoError(t, err)
	resp, err := http.Post(fake.URL+refreshtest.TokenPath, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.NotEqual(t, http.StatusOK, resp.StatusCode)
	grants = fake.Grants()
	require.Len(t, grants, 3)
	assert.Equal(t, resp.StatusCode, grants[2].Status)
	assert.Equal(t, amocrmtest.Fingerprint(first.RefreshToken), grants[2].Presented)
	assert.Zero(t, grants[2].Issued)
	assert.Len(t, fake.Issued(), 2)
	assert.Len(t, fake.TokenRequests(), 3)
	assert.Len(t, fake.APIRequests(), 1)
}

func TestFakeQuiet(t *testing.T) {
	t.Parallel()
	fake := refreshtest.NewFake("acme", redirectURI)
	t.Cleanup(fake.Close)
	select {
	case <-fake.Quiet():
	case <-time.After(30 * time.Second):
		t.Fatal("no connection yet, but not quiet")
	}
	tr := &http.Transport{}
	resp, err := (&http.Client{Transport: tr}).Get(fake.URL + "/api/v4/account")
	require.NoError(t, err)
	// Read the 401's body to its end before closing it: a body closed unread makes the transport
	// close the connection instead of keeping it, and the fake would rightly be quiet.
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	quiet := fake.Quiet()
	select {
	case <-quiet:
		t.Fatal("a kept connection is open, but quiet")
	default:
	}
	tr.CloseIdleConnections()
	select {
	case <-quiet:
	case <-time.After(30 * time.Second):
		t.Fatal("the connection closed, but not quiet")
	}
}

func TestChildFailsOnAnUnknownMode(t *testing.T) {
	t.Parallel()
	c, err := refreshtest.Start(t.Context(), self(), refreshtest.Config{Mode: "dance"})
	require.NoError(t, err)
	_, err = c.Await(refreshtest.LineReady, time.Minute)
	assert.ErrorContains(t, err, "before READY")
	assert.ErrorContains(t, err, `unknown mode "dance"`)
	assert.Error(t, c.Wait())
}

// TestStorm runs a small storm (2 processes × 4 goroutines, one expiry) and checks what it saw.
func TestStorm(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	const ttl, skew = 2 * time.Second, 300 * time.Millisecond
	fake := refreshtest.NewFake("acme", redirectURI, amocrmtest.WithAccessTokenTTL(ttl))
	t.Cleanup(fake.Close)
	store, pool, err := refreshtest.OpenStore(t.Context(), dsn, 0)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	run, err := refreshtest.Storm(t.Context(), refreshtest.StormConfig{
		Command: self(), Procs: 2, Expiries: 1, TTL: ttl,
		Child: refreshtest.Config{DSN: dsn, Goroutines: 4, Skew: skew, PerSecond: 100, Max: time.Minute},
	}, fake, store)
	require.NoError(t, err)
	assert.False(t, run.Stalled)
	assert.False(t, run.Started.Before(run.Spawned))
	assert.True(t, run.Ended.After(run.Started))

	require.Len(t, run.Refreshes, 1)
	assert.Equal(t, fake.Issued(), run.Refreshes)
	assert.False(t, run.Refreshes[0].At.Before(run.First.ExpiresAt.Add(-skew)), "no refresh before the token was due")
	chain := []string{amocrmtest.Fingerprint(run.First.AccessToken), run.Refreshes[0].Access}
	slices.Sort(chain)
	require.Len(t, run.Reports, 2)
	require.Len(t, run.Seen, 2)
	for i, r := range run.Reports {
		assert.Positive(t, r.Calls, "process %d", i)
		assert.Equal(t, r.Calls, r.OK, "process %d: every call succeeded; first errors: %q", i, r.Errors)
		assert.Zero(t, r.Failed, "process %d", i)
		assert.Equal(t, chain, r.Tokens, "process %d", i)
		assert.Len(t, run.Seen[i], 2, "process %d said it used both tokens", i)
		assert.False(t, r.LastCall.Before(r.FirstCall))
	}
	conn, err := store.Load(t.Context(), fake.Account.Host)
	require.NoError(t, err)
	assert.Equal(t, run.Refreshes[0].Refresh, amocrmtest.Fingerprint(conn.RefreshToken))
}

// TestKillChild runs kill children: one makes its call (a refresh, as its skew makes the token
// due) and says DONE ok; one is released before it starts and exits cleanly.
func TestKillChild(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	fake := refreshtest.NewFake("acme", redirectURI)
	t.Cleanup(fake.Close)
	store, pool, err := refreshtest.OpenStore(t.Context(), dsn, 0)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, err = fake.Connect(t.Context(), store, time.Time{})
	require.NoError(t, err)
	cfg := refreshtest.Config{
		Mode: refreshtest.ModeKill, Fake: fake.URL, RedirectURI: redirectURI, Account: fake.Account.Host, DSN: dsn,
		Goroutines: 1, Skew: 48 * time.Hour,
	}

	c, err := refreshtest.Start(t.Context(), self(), cfg)
	require.NoError(t, err)
	t.Cleanup(c.Kill)
	_, err = c.Await(refreshtest.LineReady, time.Minute)
	require.NoError(t, err)
	require.NoError(t, c.Go())
	fp, err := c.Await(refreshtest.LineToken, time.Minute)
	require.NoError(t, err)
	done, err := c.Await(refreshtest.LineDone, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, "ok", done)
	issued := fake.Issued()
	require.Len(t, issued, 1)
	assert.Equal(t, issued[0].Access, fp)
	assert.Equal(t, 1, fake.Server.Counters().Refreshes)
	assert.Empty(t, c.KillAndDrain(), "nothing after DONE")

	released, err := refreshtest.Start(t.Context(), self(), cfg)
	require.NoError(t, err)
	_, err = released.Await(refreshtest.LineReady, time.Minute)
	require.NoError(t, err)
	require.NoError(t, released.Stop())
	assert.NoError(t, released.Wait())
	assert.Equal(t, 1, fake.Server.Counters().Refreshes, "the released child made no call")
}
