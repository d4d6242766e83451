package admin

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/admin/admintest"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/app/proposal/proposaltest"
)

// publish posts a price list to the editor with the given session cookie, CSRF header and Origin.
func (ts *testPage) publish(t *testing.T, cookie *http.Cookie, csrf, origin string, data []byte) int {
	t.Helper()
	body, err := json.Marshal(map[string]any{"author": "Анна", "price_list": json.RawMessage(data)})
	require.NoError(t, err)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, testPublic+"/admin/prices/publish", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	ts.h.ServeHTTP(rec, req)
	return rec.Code
}

func winter(t *testing.T) []byte {
	t.Helper()
	pl := glass.DefaultPriceList()
	pl.Version = "зима"
	pl.Materials[0].Prices[8] = 250000
	data, err := json.Marshal(pl)
	require.NoError(t, err)
	return data
}

func TestAdminPrices_onlyTheAdminPublishes(t *testing.T) {
	t.Parallel()
	ts := newTestPage(t)
	cookie, csrf := ts.login(t)
	foreignCookie, foreignCSRF := anotherShop(t)
	require.NotEqual(t, csrf, foreignCSRF)

	for name, c := range map[string]struct {
		cookie       *http.Cookie
		csrf, origin string
	}{
		"no session":               {nil, csrf, testPublic},
		"no CSRF token":            {cookie, "", testPublic},
		"another session's CSRF":   {cookie, foreignCSRF, testPublic},
		"another server's session": {foreignCookie, foreignCSRF, testPublic},
		"a page of another origin": {cookie, csrf, "https://evil.example"},
	} {
		assert.Equal(t, http.StatusForbidden, ts.publish(t, c.cookie, c.csrf, c.origin, winter(t)), name)
	}
	assert.Equal(t, "default-2025.1", ts.prices.Current(t.Context()).Version, "nothing was published")

	resp := ts.do(t, http.MethodGet, "/admin/prices/", nil, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "the editor page needs a session")
	resp = ts.do(t, http.MethodGet, "/admin/prices/", nil, cookie)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	page := admintest.ReadBody(t, resp)
	assert.Contains(t, page, `content="`+csrf+`"`)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")

	require.Equal(t, http.StatusCreated, ts.publish(t, cookie, csrf, testPublic, winter(t)))
	assert.Equal(t, "зима", ts.prices.Current(t.Context()).Version, "at once in the publishing process")
	assert.Contains(t, admintest.ReadBody(t, ts.do(t, http.MethodGet, "/admin", nil, cookie)), "прайс-листу «зима»")
}

func TestAdminProposalSettings_behindTheSession(t *testing.T) {
	t.Parallel()
	ts := newTestPage(t)
	cookie, csrf := ts.login(t)
	form := map[string][]string{"name": {"ООО «Стекло»"}, "vat_percent": {"20"}, "valid_days": {"14"}}

	resp := ts.do(t, http.MethodPost, "/admin/proposal/", form, cookie)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no CSRF token")
	form["csrf"] = []string{csrf}
	resp = ts.do(t, http.MethodPost, "/admin/proposal/", form, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no session")
	_, err := ts.proposalSettings.Settings(t.Context())
	require.Error(t, err)

	resp = ts.do(t, http.MethodPost, "/admin/proposal/", form, cookie)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, admintest.ReadBody(t, resp))
	got, err := ts.proposalSettings.Settings(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "ООО «Стекло»", got.Shop.Name)
}

// anotherShop logs in to another shop's admin page (its own admin token and session key) and
// returns that page's valid admin session cookie and CSRF token.
func anotherShop(t *testing.T) (*http.Cookie, string) {
	t.Helper()
	const token = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
	return newTestPageWith(t, token, bytes.Repeat([]byte{9}, 32)).loginWith(t, token)
}

// send serves one request with a body, content type and headers; cookie may be nil.
func (ts *testPage) send(t *testing.T, method, target, ct string, body []byte, cookie *http.Cookie, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, testPublic+target, bytes.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	ts.h.ServeHTTP(rec, req)
	return rec.Result()
}

// TestAdminPages_anotherShopsSessionOpensNothing: every path of the price-list editor and the
// proposal settings, with another shop's valid admin session and its CSRF token, is refused
// with the same Russian message and reveals nothing of this shop; the same requests with this
// shop's session succeed, so the refusals are not an accident of the requests.
func TestAdminPages_anotherShopsSessionOpensNothing(t *testing.T) {
	t.Parallel()
	ts := newTestPage(t)
	cookie, csrf := ts.login(t)
	foreign, foreignCSRF := anotherShop(t)

	// This shop has a published price list and a shop name with a logo.
	require.Equal(t, http.StatusCreated, ts.publish(t, cookie, csrf, testPublic, winter(t)))
	var logo bytes.Buffer
	require.NoError(t, png.Encode(&logo, image.NewGray(image.Rect(0, 0, 4, 4))))
	require.NoError(t, ts.proposalSettings.SaveSettings(t.Context(), proposal.Settings{
		Shop: proposal.Shop{Name: "ООО «Наше стекло»", Logo: logo.Bytes()}, VATPercent: 20, ValidDays: 14}))

	preview, err := json.Marshal(map[string]any{"price_list": json.RawMessage(winter(t))})
	require.NoError(t, err)
	ct, form := proposaltest.SettingsForm(t, map[string]string{"csrf": foreignCSRF, "name": "Чужой", "vat_percent": "0", "valid_days": "1"}, nil)
	type request struct {
		method, path, ct string
		body             []byte
		csrfHeader       bool
	}
	for _, r := range []request{
		{http.MethodGet, "/admin/prices/", "", nil, false},
		{http.MethodGet, "/admin/prices/current", "", nil, false},
		{http.MethodGet, "/admin/prices/versions", "", nil, false},
		{http.MethodGet, "/admin/prices/export", "", nil, false},
		{http.MethodGet, "/admin/prices/export?version=зима", "", nil, false},
		{http.MethodPost, "/admin/prices/preview", "application/json", preview, true},
		{http.MethodGet, "/admin/proposal/", "", nil, false},
		{http.MethodGet, "/admin/proposal/logo", "", nil, false},
		{http.MethodPost, "/admin/proposal/", ct, form, false},
	} {
		resp := ts.send(t, r.method, r.path, r.ct, r.body, foreign, "X-CSRF-Token", foreignCSRF, "Origin", testPublic)
		body := admintest.ReadBody(t, resp)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s %s", r.method, r.path)
		assert.Contains(t, body, "Нет доступа: войдите на страницу администратора заново.", r.path)
		for _, secret := range []string{"зима", "Наше стекло", csrf} {
			assert.NotContains(t, body, secret, r.path)
		}

		// The same request as this shop's administrator goes through.
		mine := r.body
		if r.path == "/admin/proposal/" && r.method == http.MethodPost {
			ct2, b := proposaltest.SettingsForm(t, map[string]string{"csrf": csrf, "name": "ООО «Наше стекло»", "vat_percent": "20", "valid_days": "14"}, nil)
			r.ct, mine = ct2, b
		}
		resp = ts.send(t, r.method, r.path, r.ct, mine, cookie, "X-CSRF-Token", csrf, "Origin", testPublic)
		assert.Less(t, resp.StatusCode, 400, "%s %s as this shop's admin: %s", r.method, r.path, admintest.ReadBody(t, resp))
	}
	got, err := ts.proposalSettings.Settings(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "ООО «Наше стекло»", got.Shop.Name, "another shop's admin changed nothing")
	versions, err := ts.priceLists.List(t.Context(), 10)
	require.NoError(t, err)
	assert.Len(t, versions, 1)
	assert.NotContains(t, ts.logs.String(), csrf, "the CSRF token never reaches the log")
	assert.NotContains(t, ts.logs.String(), testAdminTok, "the admin token never reaches the log")
}

// TestAdminProposalSettings_bigLogo: an administrator picks a photo too big for a logo. Up to
// the body cap it is refused at its field with everything typed kept; beyond it, with a clear
// message, not with "log in again" (the CSRF token sits in the same form).
func TestAdminProposalSettings_bigLogo(t *testing.T) {
	t.Parallel()
	ts := newTestPage(t)
	cookie, csrf := ts.login(t)
	fields := map[string]string{"csrf": csrf, "name": "ООО «Стекло»", "address": "Москва", "vat_percent": "20", "valid_days": "14"}

	ct, body := proposaltest.SettingsForm(t, fields, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 1<<20)...))
	resp := ts.send(t, http.MethodPost, "/admin/proposal/", ct, body, cookie, "Origin", testPublic)
	page := admintest.ReadBody(t, resp)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, page)
	assert.Contains(t, page, "логотип больше 256 КБ")
	assert.Contains(t, page, `value="ООО «Стекло»"`)
	assert.Contains(t, page, `aria-describedby="logo-error"`)

	ct, body = proposaltest.SettingsForm(t, fields, make([]byte, 5<<20))
	resp = ts.send(t, http.MethodPost, "/admin/proposal/", ct, body, cookie, "Origin", testPublic)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Contains(t, admintest.ReadBody(t, resp), "Файл больше 4 МБ")

	_, err := ts.proposalSettings.Settings(t.Context())
	assert.ErrorIs(t, err, proposal.ErrNoSettings, "nothing saved")
}
