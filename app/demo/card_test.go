package demo_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/demo"
	"github.com/amokit/amokit/widget"
)

const testPublic = "http://127.0.0.1:8080"

// startSite starts the demo with the widget.zip of a server at testPublic.
func startSite(t *testing.T) *demo.Site {
	t.Helper()
	var zip bytes.Buffer
	require.NoError(t, widget.BuildArchive(&zip, widget.ArchiveConfig{Version: "1.0.0"}))
	site, err := demo.Start(testPublic, zip.Bytes(), nil)
	require.NoError(t, err)
	t.Cleanup(site.Close)
	return site
}

func get(t *testing.T, h http.Handler, target string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, testPublic+target, nil))
	resp := rec.Result()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// TestSiteCard: the card of a seeded lead runs the archive's script.js against the fake amoCRM,
// and the lead's data reads back as the card shows it.
func TestSiteCard(t *testing.T) {
	t.Parallel()
	site := startSite(t)
	seed := site.Seed()
	integ := site.Integration()
	assert.Equal(t, testPublic+widget.CallbackPath, integ.RedirectURI, "the integration comes back to this server")

	lead := site.DefaultLead()
	require.NotZero(t, lead)
	l, ok := site.Fake().Lead(lead)
	require.True(t, ok)
	assert.Zero(t, l.Price, "the card opens a lead without a price, so a save shows")
	assert.Equal(t, fmt.Sprintf("%s/demo/card?lead=%d", testPublic, lead), site.CardURL(lead))

	resp, page := get(t, site, fmt.Sprintf("/demo/card?lead=%d", seed.Leads[2].ID))
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, seed.Leads[2].Name)
	assert.Contains(t, page, `"script_url":"/demo/widget/script.js"`)
	assert.Contains(t, page, `"client_id":"`+integ.ClientID+`"`)
	assert.NotContains(t, page, integ.ClientSecret, "the integration's secret never reaches the page")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "connect-src 'self' "+site.Fake().URL)

	resp, script := get(t, site, "/demo/widget/script.js")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, script, "define(", "the archive's script.js")

	resp, body := get(t, site, fmt.Sprintf("/demo/lead?lead=%d", seed.Leads[2].ID))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var got demo.CardLead
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	assert.Equal(t, seed.Leads[2].ID, got.ID)
	assert.Equal(t, seed.Leads[2].Name, got.Name)
	assert.Equal(t, seed.Company.Name, got.Company)

	other := site.Fake().AddAccount("other")
	foreign := other.AddLead(amocrmtest.Lead{Name: seed.Leads[2].Name})
	for _, target := range []string{fmt.Sprintf("/demo/card?lead=%d", foreign.ID), fmt.Sprintf("/demo/lead?lead=%d", foreign.ID), "/demo/card?lead=999"} {
		resp, _ := get(t, site, target)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "only the demo account's leads: %s", target)
	}
}

// TestSiteHome: the root page leads to the admin page and the card, without the admin token.
func TestSiteHome(t *testing.T) {
	t.Parallel()
	site := startSite(t)
	rec := httptest.NewRecorder()
	site.Home(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, testPublic+"/", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	page := rec.Body.String()
	assert.Contains(t, page, `href="/admin"`)
	assert.Contains(t, page, strings.ReplaceAll(site.CardURL(site.DefaultLead()), "&", "&amp;"))
	assert.NotContains(t, page, "token")
}

func TestStartRefusesABrokenArchive(t *testing.T) {
	t.Parallel()
	_, err := demo.Start(testPublic, []byte("not a zip"), nil)
	assert.ErrorContains(t, err, "widget.zip")
}
