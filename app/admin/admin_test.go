package admin

import (
	"bytes"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/admin/admintest"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/app/pricelist"
	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

const (
	testPublic   = "https://calc.example.com"
	testAdminTok = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
)

// testPage is an admin page on memory stores, connecting through a real widget backend as a
// server wires it, served in process.
type testPage struct {
	*Page
	h                http.Handler
	logs             *admintest.SyncBuffer
	store            tokenstore.Store
	priceLists       pricelist.Store
	prices           *pricelist.Live
	proposalSettings proposal.SettingsStore
}

func newTestPage(t *testing.T) *testPage {
	t.Helper()
	return newTestPageWith(t, testAdminTok, bytes.Repeat([]byte{1}, 32))
}

// newTestPageWith is newTestPage with its own admin token and session key: another shop's.
func newTestPageWith(t *testing.T, token string, key []byte) *testPage {
	t.Helper()
	return newTestPageConfig(t, token, key, nil)
}

// newTestPageConfig is newTestPageWith with the configuration changed by edit, if not nil.
func newTestPageConfig(t *testing.T, token string, key []byte, edit func(*Config)) *testPage {
	t.Helper()
	store := tokenstore.NewMemory()
	states, err := oauth.NewStates(bytes.Repeat([]byte{3}, 32), 0)
	require.NoError(t, err)
	backend, err := widget.NewHandler(widget.Config{
		PublicURL: testPublic, TicketKey: bytes.Repeat([]byte{2}, 32),
		OAuth:  oauth.Config{RedirectURL: testPublic + widget.CallbackPath},
		States: states, ConsentMode: oauth.ModePopup, OAuthReturnURL: testPublic + "/admin",
		Connections: store, AdminToken: token, Page: http.NotFoundHandler(),
	})
	require.NoError(t, err)
	lists := pricelist.NewMemory()
	live, err := pricelist.NewLive(lists, glass.DefaultPriceList())
	require.NoError(t, err)
	settings := &proposal.MemorySettings{}
	logs := &admintest.SyncBuffer{}
	cfg := Config{
		Token: token, Key: key, PublicURL: testPublic,
		Connections: store, Connect: WidgetConnector(backend, token),
		Archive:    func() ([]byte, error) { return []byte("PK"), nil },
		PriceLists: lists, Prices: live, ProposalSettings: settings,
		StoreLabel: "память процесса",
		Logger:     slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&cfg)
	}
	page, err := New(cfg)
	require.NoError(t, err)
	return &testPage{Page: page, h: page, logs: logs, store: store, priceLists: lists, prices: live, proposalSettings: settings}
}

// do serves one request; cookie may be nil.
func (ts *testPage) do(t *testing.T, method, target string, form url.Values, cookie *http.Cookie) *http.Response {
	t.Helper()
	return admintest.Do(t, ts.h, method, testPublic+target, form, cookie)
}

// login trades the admin token for a session and returns its cookie and the page's CSRF token.
func (ts *testPage) login(t *testing.T) (*http.Cookie, string) {
	t.Helper()
	return ts.loginWith(t, testAdminTok)
}

// loginWith is login with the admin token token.
func (ts *testPage) loginWith(t *testing.T, token string) (*http.Cookie, string) {
	t.Helper()
	return admintest.Login(t, ts.h, testPublic, token)
}

// TestCookieName keeps the shared test helpers reading the cookie the page sets.
func TestCookieName(t *testing.T) {
	t.Parallel()
	assert.Equal(t, adminCookie, admintest.CookieName)
}

func TestAdminLogin(t *testing.T) {
	t.Parallel()
	ts := newTestPage(t)

	resp := ts.do(t, http.MethodGet, "/admin", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	page := admintest.ReadBody(t, resp)
	assert.Contains(t, page, `action="/admin/login"`)
	assert.NotContains(t, page, `action="/admin/connect"`, "nothing of the admin page without a session")

	resp = ts.do(t, http.MethodGet, "/admin?token=wrong-token-wrong-token-wrong-token", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Nil(t, admintest.SessionCookie(resp))
	assert.Contains(t, admintest.ReadBody(t, resp), "Неверный токен")

	resp = ts.do(t, http.MethodGet, "/admin?token="+testAdminTok, nil, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/admin", resp.Header.Get("Location"), "the token leaves the address bar")
	c := admintest.SessionCookie(resp)
	require.NotNil(t, c)
	assert.True(t, c.HttpOnly)
	assert.True(t, c.Secure, "https public URL")
	assert.Equal(t, http.SameSiteLaxMode, c.SameSite, "Lax: the return from amoCRM's consent page keeps the session")
	assert.Equal(t, "/admin", c.Path)
	assert.NotContains(t, c.Value, testAdminTok)

	resp = ts.do(t, http.MethodGet, "/admin", nil, c)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	page = admintest.ReadBody(t, resp)
	assert.Contains(t, page, "Подключить к amoCRM")
	assert.Contains(t, page, testPublic+"/oauth/callback")
	assert.Contains(t, page, testPublic+"/oauth/revoke")
	assert.Contains(t, page, "X-Context-User-ID", "the page says the consent must come from an administrator")
	assert.Contains(t, page, "Ни один аккаунт amoCRM ещё не подключён")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))

	resp = ts.do(t, http.MethodPost, "/admin/login", url.Values{"token": {"nope"}}, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Nil(t, admintest.SessionCookie(resp))
	resp = ts.do(t, http.MethodPost, "/admin/login", url.Values{"token": {testAdminTok}}, nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.NotNil(t, admintest.SessionCookie(resp))

	assert.NotContains(t, ts.logs.String(), testAdminTok, "the token never reaches the log")
}

func TestAdminConnect(t *testing.T) {
	t.Parallel()
	ts := newTestPage(t)
	c, csrf := ts.login(t)
	const secret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"
	const clientID = "0b0c5d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
	form := url.Values{"domain": {"acme.amocrm.ru"}, "client_id": {clientID}, "client_secret": {secret}}

	resp := ts.do(t, http.MethodPost, "/admin/connect", form, c)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no CSRF token")
	conns, err := ts.store.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, conns)

	form.Set("csrf", csrf)
	resp = ts.do(t, http.MethodPost, "/admin/connect", form, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no session")

	resp = ts.do(t, http.MethodPost, "/admin/connect", form, c)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, admintest.ReadBody(t, resp))
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "https://www.amocrm.ru/oauth", loc.Scheme+"://"+loc.Host+loc.Path, "amoCRM's consent page")
	assert.Equal(t, clientID, loc.Query().Get("client_id"))
	assert.Equal(t, "popup", loc.Query().Get("mode"))
	assert.NotEmpty(t, loc.Query().Get("state"))
	assert.NotContains(t, loc.String(), secret)
	conn, err := ts.store.Load(t.Context(), "acme.amocrm.ru")
	require.NoError(t, err)
	assert.Equal(t, clientID, conn.ClientID)
	assert.Equal(t, secret, conn.ClientSecret)
	assert.Empty(t, conn.RefreshToken, "tokens come with the consent")

	page := admintest.ReadBody(t, ts.do(t, http.MethodGet, "/admin", nil, c))
	assert.Contains(t, page, "acme.amocrm.ru")
	assert.Contains(t, page, "доступ не подтверждён")
	assert.NotContains(t, page, secret, "the secret is never rendered back")

	bad := url.Values{"csrf": {csrf}, "domain": {"acme.example.com"}, "client_id": {clientID}, "client_secret": {secret}}
	resp = ts.do(t, http.MethodPost, "/admin/connect", bad, c)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	page = admintest.ReadBody(t, resp)
	assert.Contains(t, page, "company.amocrm.ru", "the widget's field message, next to the field")
	assert.Contains(t, page, `value="acme.example.com"`, "what was typed stays")
	assert.NotContains(t, page, secret, "a typed secret is not sent back")

	empty := url.Values{"csrf": {csrf}}
	page = admintest.ReadBody(t, ts.do(t, http.MethodPost, "/admin/connect", empty, c))
	assert.Contains(t, page, "Заполните все поля формы")
	assert.Contains(t, page, "Укажите ID интеграции")

	assert.NotContains(t, ts.logs.String(), secret, "the secret never reaches the log")
}

func TestAdminShowsHealthWithoutSecrets(t *testing.T) {
	t.Parallel()
	ts := newTestPage(t)
	ctx := t.Context()
	expiry := time.Now().Add(20 * time.Hour)
	require.NoError(t, ts.store.Save(ctx, &tokenstore.Connection{
		Account: "acme.amocrm.ru", AccountID: 31, ClientID: "0b0c5d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
		ClientSecret: "secret-value-1", AccessToken: "access-value-2", RefreshToken: "refresh-value-3",
		Expiry: expiry, RefreshedAt: time.Now().Add(-4 * time.Hour),
	}))
	require.NoError(t, ts.store.Save(ctx, &tokenstore.Connection{
		Account: "beta.kommo.com", AccountID: 32, ClientID: "1b0c5d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
		ClientSecret: "secret-value-4", AccessToken: "access-value-5", RefreshToken: "refresh-value-6",
		Expiry: time.Now().Add(-time.Hour), ReauthRequired: true,
	}))
	c, _ := ts.login(t)
	page := admintest.ReadBody(t, ts.do(t, http.MethodGet, "/admin", nil, c))
	for _, s := range []string{"secret-value-1", "access-value-2", "refresh-value-3", "secret-value-4", "access-value-5", "refresh-value-6"} {
		assert.NotContains(t, page, s)
	}
	page = html.UnescapeString(page)
	acme := page[strings.Index(page, `data-account="acme.amocrm.ru"`):strings.Index(page, `data-account="beta.kommo.com"`)]
	assert.Contains(t, acme, ">подключён<")
	assert.Contains(t, acme, expiry.In(time.FixedZone("", 3*3600)).Format("02.01.2006 15:04:05")+" UTC+03:00")
	assert.Contains(t, acme, "не требуется")
	beta := page[strings.Index(page, `data-account="beta.kommo.com"`):]
	assert.Contains(t, beta, "нужно подключить заново")
	assert.Contains(t, beta, "требуется: amoCRM отозвал токен")
}

func TestAdminDisconnect(t *testing.T) {
	t.Parallel()
	ts := newTestPage(t)
	ctx := t.Context()
	require.NoError(t, ts.store.Save(ctx, &tokenstore.Connection{Account: "acme.amocrm.ru", ClientID: "x", ClientSecret: "y", RefreshToken: "z"}))
	c, csrf := ts.login(t)

	resp := ts.do(t, http.MethodPost, "/admin/disconnect", url.Values{"account": {"acme.amocrm.ru"}}, c)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	_, err := ts.store.Load(ctx, "acme.amocrm.ru")
	require.NoError(t, err, "kept without a CSRF token")

	resp = ts.do(t, http.MethodPost, "/admin/disconnect", url.Values{"account": {"acme.amocrm.ru"}, "csrf": {csrf}}, c)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/admin?disconnected=1", resp.Header.Get("Location"))
	_, err = ts.store.Load(ctx, "acme.amocrm.ru")
	assert.ErrorIs(t, err, tokenstore.ErrNotFound)

	resp = ts.do(t, http.MethodPost, "/admin/disconnect", url.Values{"account": {"other.amocrm.ru"}, "csrf": {csrf}}, c)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/admin?error=unknown_account", resp.Header.Get("Location"), "an unknown account says so")
	page := admintest.ReadBody(t, ts.do(t, http.MethodGet, "/admin?error=unknown_account", nil, c))
	assert.Contains(t, page, "Такого подключения нет")
}

// TestAdminFlashIsChosenByCode: no text of the query reaches the page; an account is named only
// when it is one of the connections.
func TestAdminFlashIsChosenByCode(t *testing.T) {
	t.Parallel()
	ts := newTestPage(t)
	require.NoError(t, ts.store.Save(t.Context(), &tokenstore.Connection{Account: "acme.amocrm.ru", ClientID: "x", ClientSecret: "y", RefreshToken: "z"}))
	c, _ := ts.login(t)
	const bait = "Позвоните по номеру 8-800-000-00-00"
	for _, q := range []string{
		"connected=" + url.QueryEscape(bait), "disconnected=" + url.QueryEscape(bait), "error=" + url.QueryEscape(bait),
	} {
		page := admintest.ReadBody(t, ts.do(t, http.MethodGet, "/admin?"+q, nil, c))
		assert.NotContains(t, page, "8-800", q)
	}
	page := admintest.ReadBody(t, ts.do(t, http.MethodGet, "/admin?connected=acme.amocrm.ru", nil, c))
	assert.Contains(t, page, "Аккаунт acme.amocrm.ru подключён")
}

// TestAdminLogoutEndsTheSession: after logout the old cookie opens nothing, even when a copy of
// it is sent again.
func TestAdminLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	ts := newTestPage(t)
	c, csrf := ts.login(t)
	resp := ts.do(t, http.MethodPost, "/admin/logout", url.Values{"csrf": {csrf}}, c)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp = ts.do(t, http.MethodGet, "/admin", nil, c)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the copied cookie is refused")
	resp = ts.do(t, http.MethodPost, "/admin/disconnect", url.Values{"account": {"acme.amocrm.ru"}, "csrf": {csrf}}, c)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	other, _ := ts.login(t)
	assert.Equal(t, http.StatusOK, ts.do(t, http.MethodGet, "/admin", nil, other).StatusCode, "a new login works")
}

// TestAdminLoginThrottle: wrong tokens from one client make it wait (429 with Retry-After, the
// right token unchecked too), and the flood makes one log line with a count.
func TestAdminLoginThrottle(t *testing.T) {
	t.Parallel()
	ts := newTestPage(t)
	for i := range 8 {
		resp := ts.do(t, http.MethodPost, "/admin/login", url.Values{"token": {fmt.Sprintf("guess-%d-0123456789abcdef0123456789", i)}}, nil)
		if i < 6 {
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "attempt %d", i)
		} else {
			assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "attempt %d", i)
			assert.NotEmpty(t, resp.Header.Get("Retry-After"))
		}
	}
	resp := ts.do(t, http.MethodGet, "/admin?token="+testAdminTok, nil, nil)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the right token waits too")
	assert.Nil(t, admintest.SessionCookie(resp))
	assert.Equal(t, 1, strings.Count(ts.logs.String(), "wrong admin token"), "one line:\n%s", ts.logs.String())
}

// TestAdminTimesInMoscow: without the accounts' zones, times on the admin page are Moscow time,
// not the server's zone, and say so.
func TestAdminTimesInMoscow(t *testing.T) {
	t.Parallel()
	ts := newTestPage(t)
	require.NoError(t, ts.store.Save(t.Context(), &tokenstore.Connection{
		Account: "acme.amocrm.ru", ClientID: "x", ClientSecret: "y", RefreshToken: "z",
		Expiry: time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC),
	}))
	c, _ := ts.login(t)
	page := html.UnescapeString(admintest.ReadBody(t, ts.do(t, http.MethodGet, "/admin", nil, c)))
	assert.Contains(t, page, "02.01.2026 13:00:00 UTC+03:00")
	assert.Contains(t, page, "Europe/Moscow, UTC+03:00 — московское время: часовой пояс аккаунта не получен")
}

// TestNewNamesEveryMissingField: a Config missing its required fields is refused with all of
// them named, not only the first.
func TestNewNamesEveryMissingField(t *testing.T) {
	t.Parallel()
	_, err := New(Config{PublicURL: testPublic})
	require.Error(t, err)
	for _, want := range []string{"Token", "Key", "Connections", "Connect", "Archive", "PriceLists", "Prices", "ProposalSettings"} {
		assert.Contains(t, err.Error(), "Config."+want+" is required")
	}
	assert.NotContains(t, err.Error(), "PublicURL")
}
