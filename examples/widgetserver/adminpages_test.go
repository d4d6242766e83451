package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/glass"
)

// publish posts a price list to the editor with the given session cookie, CSRF header and Origin.
func (ts *testServer) publish(t *testing.T, cookie *http.Cookie, csrf, origin string, data []byte) int {
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
	ts := newTestServer(t)
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
	page := readBody(t, resp)
	assert.Contains(t, page, `content="`+csrf+`"`)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")

	require.Equal(t, http.StatusCreated, ts.publish(t, cookie, csrf, testPublic, winter(t)))
	assert.Equal(t, "зима", ts.prices.Current(t.Context()).Version, "at once in the publishing process")
	assert.Contains(t, readBody(t, ts.do(t, http.MethodGet, "/admin", nil, cookie)), "прайс-листу «зима»")
	calc := readBody(t, ts.do(t, http.MethodGet, "/widget/calculator", nil, nil))
	assert.Contains(t, calc, `"version":"зима"`, "a calculator opened now has the new prices")
}

func TestAdminProposalSettings_behindTheSession(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
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
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, readBody(t, resp))
	got, err := ts.proposalSettings.Settings(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "ООО «Стекло»", got.Shop.Name)
}
