package admin

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/admin/admintest"
	"github.com/amokit/amokit/app/pricelist"
	"github.com/amokit/amokit/tokenstore"
)

// TestAdminTimesInAccountZone connects two accounts of a fake amoCRM, one in Yekaterinburg
// (UTC+5) and one whose zone cannot be read: each account's times are shown in its own zone,
// named, with Moscow time standing in for the unknown one; the zones are read once per
// connection; the price lists' times follow the zone the connected accounts share.
func TestAdminTimesInAccountZone(t *testing.T) {
	t.Parallel()
	fake := amocrmtest.NewServer()
	t.Cleanup(fake.Close)
	yekb := fake.AddAccount("yekb")
	yekb.SetTimezone("Asia/Yekaterinburg")
	fake.AddAccount("lost")
	integ := fake.AddIntegration(amocrmtest.Integration{})
	tokens := map[string]string{}
	for _, sub := range []string{"yekb", "lost"} {
		tok, err := fake.IssueToken(integ.ClientID, sub)
		require.NoError(t, err)
		tokens[sub+".amocrm.ru"] = tok.AccessToken
	}
	tokens["lost.amocrm.ru"] = "a-token-amocrm-refuses"
	clientFor := func(ctx context.Context, account string) (*amocrm.Client, error) {
		return amocrm.New(account, amocrm.WithHTTPClient(fake.Client()), amocrm.WithAccessToken(tokens[account]))
	}
	ts := newTestPageConfig(t, testAdminTok, []byte(strings.Repeat("k", 32)), func(c *Config) { c.Zone = AmoCRMZone(clientFor) })

	expiry := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	connect := func(account string) {
		require.NoError(t, ts.store.Save(t.Context(), &tokenstore.Connection{
			Account: account, ClientID: integ.ClientID, ClientSecret: "s", AccessToken: tokens[account], RefreshToken: "r", Expiry: expiry,
		}))
	}
	connect("yekb.amocrm.ru")
	reads := func() int {
		n := 0
		for _, r := range fake.Requests() {
			if r.Path == "/api/v4/account" && r.Query.Get("with") == "datetime_settings" {
				n++
			}
		}
		return n
	}
	c, _ := ts.login(t)

	// The price lists' times: the one connected account's zone.
	_, err := pricelist.Publish(t.Context(), ts.priceLists, "Анна", winter(t))
	require.NoError(t, err)
	resp := ts.do(t, http.MethodGet, "/admin/prices/versions", nil, c)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var versions struct {
		Zone     string `json:"zone"`
		Versions []struct {
			PublishedAt string `json:"published_at"`
		} `json:"versions"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&versions))
	assert.Equal(t, "Asia/Yekaterinburg, UTC+05:00", versions.Zone)
	require.Len(t, versions.Versions, 1)
	assert.True(t, strings.HasSuffix(versions.Versions[0].PublishedAt, " UTC+05:00"), versions.Versions[0].PublishedAt)

	connect("lost.amocrm.ru")
	page := html.UnescapeString(admintest.ReadBody(t, ts.do(t, http.MethodGet, "/admin", nil, c)))
	yekbRow, lostRow := connectionRow(t, page, "yekb.amocrm.ru"), connectionRow(t, page, "lost.amocrm.ru")
	assert.Contains(t, yekbRow, "02.01.2026 15:00:00 UTC+05:00", "the token's expiry in Yekaterinburg time")
	assert.Contains(t, yekbRow, "Asia/Yekaterinburg, UTC+05:00")
	assert.NotContains(t, yekbRow, "не получен")
	assert.Contains(t, lostRow, "02.01.2026 13:00:00 UTC+03:00", "Moscow time for the account whose zone is unknown")
	assert.Contains(t, lostRow, "московское время: часовой пояс аккаунта не получен")
	assert.Equal(t, 2, reads(), "one read per account")

	// Shown again: nothing is read again but the zone that failed, once it is due.
	admintest.ReadBody(t, ts.do(t, http.MethodGet, "/admin", nil, c))
	assert.Equal(t, 2, reads(), "the zones are kept with the connections")

	// Connected anew, the account's zone is read anew: it may have changed meanwhile.
	yekb.SetTimezone("Asia/Vladivostok")
	require.NoError(t, ts.store.Delete(t.Context(), "yekb.amocrm.ru"))
	connect("yekb.amocrm.ru")
	page = html.UnescapeString(admintest.ReadBody(t, ts.do(t, http.MethodGet, "/admin", nil, c)))
	assert.Contains(t, page, "02.01.2026 20:00:00 UTC+10:00")
	assert.Equal(t, 3, reads())
}

// connectionRow is the part of the admin page about account.
func connectionRow(t *testing.T, page, account string) string {
	t.Helper()
	i := strings.Index(page, `data-account="`+account+`"`)
	require.Positive(t, i, "no row of %s", account)
	row := page[i:]
	if end := strings.Index(row, `<div class="conn"`); end > 0 {
		row = row[:end]
	}
	return row
}
