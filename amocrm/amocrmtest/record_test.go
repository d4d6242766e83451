package amocrmtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

func TestRequestLog(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.do(http.MethodGet, "/api/v4/leads?filter[id][]=5", nil)
	e.do(http.MethodPost, "/api/v4/leads", `[{"name":"x"}]`)
	refresh := e.exchange(map[string]string{"grant_type": "refresh_token", "refresh_token": e.tok.RefreshToken})
	require.Equal(t, http.StatusOK, refresh.StatusCode)
	e.doToken("", http.MethodGet, "/nowhere", nil)

	reqs := e.srv.Requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, "GET", reqs[0].Method)
	assert.Equal(t, "/api/v4/leads", reqs[0].Path)
	assert.Equal(t, []string{"5"}, reqs[0].Query["filter[id][]"])
	assert.Equal(t, http.StatusNoContent, reqs[0].Status)
	assert.Equal(t, amocrmtest.Fingerprint(e.tok.AccessToken), reqs[0].Token)
	assert.Len(t, reqs[0].Token, 12)
	assert.Equal(t, start(), reqs[0].Time.UTC())
	assert.Equal(t, `[{"name":"x"}]`, string(reqs[1].Body))
	assert.Equal(t, http.StatusOK, reqs[1].Status)

	tokenReq := reqs[2]
	assert.Equal(t, "/oauth2/access_token", tokenReq.Path)
	assert.Empty(t, tokenReq.Token)
	body := string(tokenReq.Body)
	assert.Contains(t, body, `"client_id":"`+e.integ.ClientID)
	for _, secret := range []string{e.integ.ClientSecret, e.tok.RefreshToken} {
		assert.NotContains(t, body, secret, "secrets are not recorded")
	}
	assert.Equal(t, 2, strings.Count(body, "REDACTED"))
	assert.Equal(t, http.StatusNotFound, reqs[3].Status)

	// Requests returns copies.
	reqs[0].Query.Set("filter[id][]", "changed")
	reqs[1].Body[0] = '{'
	again := e.srv.Requests()
	assert.Equal(t, "5", again[0].Query.Get("filter[id][]"))
	assert.Equal(t, byte('['), again[1].Body[0])

	c := e.srv.Counters()
	assert.Equal(t, 4, c.Requests)
	assert.Equal(t, 1, c.Refreshes)
	assert.Equal(t, map[int]int{204: 1, 200: 2, 404: 1}, c.ByStatus)
	c.ByStatus[200] = 99
	assert.Equal(t, 2, e.srv.Counters().ByStatus[200])

	e.srv.ResetRequests()
	assert.Empty(t, e.srv.Requests())
	assert.Equal(t, 0, e.srv.Counters().Requests)
}

func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.do(http.MethodDelete, "/api/v4/leads", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.StatusCode)
	assert.Contains(t, r.Header.Get("Allow"), "GET")
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodGet, "/api/v4/leads/abc", nil).StatusCode)
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodGet, "/api/v4/unknown", nil).StatusCode)
	assert.NotEmpty(t, e.do(http.MethodGet, "/api/v4/account", nil).Header.Get("X-Request-Id"))
}
