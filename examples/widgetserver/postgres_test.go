package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/admin/admintest"
	"github.com/amokit/amokit/internal/pgtest"
	"github.com/amokit/amokit/tokenstore"
	tspostgres "github.com/amokit/amokit/tokenstore/postgres"
)

// TestRunWithPostgres runs the server as in production, on PostgreSQL: it answers /readyz with
// the database up, keeps a connection saved on the admin page sealed in the table, and still
// has it after a restart.
func TestRunWithPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	env := envOf(map[string]string{envDatabaseURL: dsn, envEncryptionKey: testKeyB64(), envAdminToken: testAdminTok})
	args := []string{"-addr", "127.0.0.1:0", "-public-url", testPublic}
	const secret = "pg-secret-pg-secret-pg-secret-pg-secret"
	const clientID = "0b0c5d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"

	base, stop := startReal(t, args, env)
	resp := get(t, base+"/readyz", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, admintest.ReadBody(t, resp), `"database":"up"`)

	cookie, csrf := loginOver(t, base)
	form := url.Values{"csrf": {csrf}, "domain": {"acme.amocrm.ru"}, "client_id": {clientID}, "client_secret": {secret}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/admin/connect", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookie)
	resp, err = noRedirects().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Location"), "https://www.amocrm.ru/oauth?"))

	pool, err := pgxpool.New(t.Context(), dsn)
	require.NoError(t, err)
	defer pool.Close()
	var storedID, storedSecret string
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT client_id, client_secret FROM amokit_connections WHERE account = 'acme.amocrm.ru'`).Scan(&storedID, &storedSecret))
	assert.Equal(t, clientID, storedID)
	assert.True(t, strings.HasPrefix(storedSecret, "amokit:v2:"), "sealed with the key derived for sealing, bound to its column")
	assert.NotContains(t, storedSecret, secret)
	var calcTables int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM information_schema.tables WHERE table_name = 'widget_calculations'`).Scan(&calcTables))
	assert.Equal(t, 1, calcTables, "the calculations table is migrated too")

	stop()
	base, _ = startReal(t, args, env)
	cookie, _ = loginOver(t, base)
	page := admintest.ReadBody(t, get(t, base+"/admin", cookie))
	assert.Contains(t, page, `data-account="acme.amocrm.ru"`, "the connection survives a restart")
	assert.NotContains(t, page, secret)
}

// TestOldSealedRowsMigrate: a connection sealed by an older server (with the master key itself,
// bound to the account only) still opens after the upgrade and is sealed again at start with the
// key derived for sealing and its column bound; the derived keys differ from each other and from
// the master key.
func TestOldSealedRowsMigrate(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	pool, err := pgxpool.New(t.Context(), dsn)
	require.NoError(t, err)
	defer pool.Close()
	old, err := tokenstore.NewSealer(testKey())
	require.NoError(t, err)
	store, err := tspostgres.New(t.Context(), pool) // the table, as an older server made it
	require.NoError(t, err)
	require.NoError(t, store.Save(t.Context(), &tokenstore.Connection{Account: "acme.amocrm.ru", ClientID: "old-client"}))
	_, err = pool.Exec(t.Context(), `UPDATE amokit_connections SET client_secret = $1, access_token = $2, refresh_token = $3 WHERE account = 'acme.amocrm.ru'`,
		old.Seal("acme.amocrm.ru", "old-secret"), old.Seal("acme.amocrm.ru", "old-access"), old.Seal("acme.amocrm.ru", "old-refresh"))
	require.NoError(t, err)
	// A row sealed with a key this server never had breaks only itself.
	lost, err := tokenstore.NewSealer(bytes.Repeat([]byte{9}, 32))
	require.NoError(t, err)
	_, err = pool.Exec(t.Context(), `INSERT INTO amokit_connections (account, client_id, client_secret, access_token, refresh_token)
		VALUES ('lost.amocrm.ru', 'x', $1, $1, $1)`, lost.Seal("lost.amocrm.ru", "y"))
	require.NoError(t, err)

	env := envOf(map[string]string{envDatabaseURL: dsn, envEncryptionKey: testKeyB64(), envAdminToken: testAdminTok})
	base, _ := startReal(t, []string{"-addr", "127.0.0.1:0", "-public-url", testPublic}, env)
	cookie, _ := loginOver(t, base)
	page := admintest.ReadBody(t, get(t, base+"/admin", cookie))
	assert.Contains(t, page, `data-account="acme.amocrm.ru"`, "the old row opens")
	assert.Contains(t, page, "Не удаётся расшифровать подключения: lost.amocrm.ru", "the unreadable row is named, the others listed")

	var secret string
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT client_secret FROM amokit_connections WHERE account = 'acme.amocrm.ru'`).Scan(&secret))
	assert.True(t, strings.HasPrefix(secret, "amokit:v2:"), "sealed again at start: %s", secret[:12])
	derived, err := tokenstore.NewSealer(deriveKey(testKey(), "sealing"))
	require.NoError(t, err)
	got, err := derived.OpenColumn("acme.amocrm.ru", "client_secret", secret)
	require.NoError(t, err, "with the derived key alone")
	assert.Equal(t, "old-secret", got)

	keys := map[string]bool{string(testKey()): true}
	for _, purpose := range []string{"sealing", "widget ticket", "oauth state", "admin session"} {
		k := deriveKey(testKey(), purpose)
		assert.Len(t, k, 32)
		assert.False(t, keys[string(k)], "%s has a key of its own", purpose)
		keys[string(k)] = true
	}
}

// startReal runs the server in real mode and returns its local base URL and a stop function
// (also called when the test ends).
func startReal(t *testing.T, args []string, env func(string) string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	out := newLineWriter()
	logs := &admintest.SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, env, out, logs) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		assert.NoError(t, <-done)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	for {
		select {
		case line := <-out.lines:
			if rest, ok := strings.CutPrefix(line, "amokit widgetserver listening on "); ok {
				local, _, _ := strings.Cut(rest, ",")
				return local, stop
			}
		case err := <-done:
			stopped = true
			t.Fatalf("run returned: %v\n%s", err, logs.String())
		}
	}
}

func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, u string, cookie *http.Cookie) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	require.NoError(t, err)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := noRedirects().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// loginOver logs in over the network. The session cookie is marked Secure (the public URL is
// https), so it is sent by hand to the plain-http listener.
func loginOver(t *testing.T, base string) (*http.Cookie, string) {
	t.Helper()
	resp := get(t, base+"/admin?token="+testAdminTok, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	c := admintest.SessionCookie(resp)
	require.NotNil(t, c)
	body, err := io.ReadAll(get(t, base+"/admin", &http.Cookie{Name: c.Name, Value: c.Value}).Body)
	require.NoError(t, err)
	page := string(body)
	i := strings.Index(page, `name="csrf" value="`)
	require.Positive(t, i)
	rest := page[i+len(`name="csrf" value="`):]
	return &http.Cookie{Name: c.Name, Value: c.Value}, rest[:strings.IndexByte(rest, '"')]
}
