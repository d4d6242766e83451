package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/internal/serve"
)

// anotherShop logs in to another shop's server (its own admin token and master key) and returns
// that server's valid admin session cookie and CSRF token.
func anotherShop(t *testing.T) (*http.Cookie, string) {
	t.Helper()
	cfg := config{Addr: "127.0.0.1:0", PublicURL: testPublic, AdminToken: strings.Repeat("b2", 20),
		EncryptionKey: bytes.Repeat([]byte{9}, 32), PriceList: glass.DefaultPriceList(), LogLevel: slog.LevelDebug}
	s, err := build(t.Context(), cfg, testPublic, serve.NewLogger(&syncBuffer{}, slog.LevelDebug))
	require.NoError(t, err)
	t.Cleanup(s.close)
	other := &testServer{server: s, h: s.handler(func() bool { return false })}
	return other.loginWith(t, cfg.AdminToken)
}

// send serves one request with a body, content type and headers; cookie may be nil.
func (ts *testServer) send(t *testing.T, method, target, ct string, body []byte, cookie *http.Cookie, header ...string) *http.Response {
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

// settingsForm is the settings page's multipart form with an optional logo file.
func settingsForm(t *testing.T, fields map[string]string, logo []byte) (string, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	if logo != nil {
		fw, err := mw.CreateFormFile("logo", "фото.png")
		require.NoError(t, err)
		_, err = fw.Write(logo)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return mw.FormDataContentType(), body.Bytes()
}

// TestAdminPages_anotherShopsSessionOpensNothing: every path of the price-list editor and the
// proposal settings, with another shop's valid admin session and its CSRF token, is refused
// with the same Russian message and reveals nothing of this shop; the same requests with this
// shop's session succeed, so the refusals are not an accident of the requests.
func TestAdminPages_anotherShopsSessionOpensNothing(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
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
	ct, form := settingsForm(t, map[string]string{"csrf": foreignCSRF, "name": "Чужой", "vat_percent": "0", "valid_days": "1"}, nil)
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
		body := readBody(t, resp)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s %s", r.method, r.path)
		assert.Contains(t, body, "Нет доступа: войдите на страницу администратора заново.", r.path)
		for _, secret := range []string{"зима", "Наше стекло", csrf} {
			assert.NotContains(t, body, secret, r.path)
		}

		// The same request as this shop's administrator goes through.
		mine := r.body
		if r.path == "/admin/proposal/" && r.method == http.MethodPost {
			ct2, b := settingsForm(t, map[string]string{"csrf": csrf, "name": "ООО «Наше стекло»", "vat_percent": "20", "valid_days": "14"}, nil)
			r.ct, mine = ct2, b
		}
		resp = ts.send(t, r.method, r.path, r.ct, mine, cookie, "X-CSRF-Token", csrf, "Origin", testPublic)
		assert.Less(t, resp.StatusCode, 400, "%s %s as this shop's admin: %s", r.method, r.path, readBody(t, resp))
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
	ts := newTestServer(t)
	cookie, csrf := ts.login(t)
	fields := map[string]string{"csrf": csrf, "name": "ООО «Стекло»", "address": "Москва", "vat_percent": "20", "valid_days": "14"}

	ct, body := settingsForm(t, fields, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 1<<20)...))
	resp := ts.send(t, http.MethodPost, "/admin/proposal/", ct, body, cookie, "Origin", testPublic)
	page := readBody(t, resp)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, page)
	assert.Contains(t, page, "логотип больше 256 КБ")
	assert.Contains(t, page, `value="ООО «Стекло»"`)
	assert.Contains(t, page, `aria-describedby="logo-error"`)

	ct, body = settingsForm(t, fields, make([]byte, 5<<20))
	resp = ts.send(t, http.MethodPost, "/admin/proposal/", ct, body, cookie, "Origin", testPublic)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Contains(t, readBody(t, resp), "Файл больше 4 МБ")

	_, err := ts.proposalSettings.Settings(t.Context())
	assert.ErrorIs(t, err, proposal.ErrNoSettings, "nothing saved")
}
