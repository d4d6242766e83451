package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/admin/admintest"
	"github.com/amokit/amokit/app/glass"
)

// TestPublishedPricesReachTheCalculator: a price list published on the admin page prices the
// calculator opened next, in the same process: the admin page and the calculator page share
// one live price list.
func TestPublishedPricesReachTheCalculator(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	cookie, csrf := ts.login(t)

	pl := glass.DefaultPriceList()
	pl.Version = "зима"
	pl.Materials[0].Prices[8] = 250000
	data, err := json.Marshal(pl)
	require.NoError(t, err)
	body, err := json.Marshal(map[string]any{"author": "Анна", "price_list": json.RawMessage(data)})
	require.NoError(t, err)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, testPublic+"/admin/prices/publish", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	req.Header.Set("Origin", testPublic)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	ts.h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())

	assert.Equal(t, "зима", ts.prices.Current(t.Context()).Version, "at once in the publishing process")
	assert.Contains(t, admintest.ReadBody(t, ts.do(t, http.MethodGet, "/admin", nil, cookie)), "прайс-листу «зима»")
	calc := admintest.ReadBody(t, ts.do(t, http.MethodGet, "/widget/page", nil, nil))
	assert.Contains(t, calc, `"version":"зима"`, "a calculator opened now has the new prices")
}
