package amocrmtest_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

func TestRateLimitThenBlock(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithRateLimit(7, 7), amocrmtest.WithBlockAfter(3))
	for i := range 7 {
		require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode, "request %d is within the burst", i)
	}
	for i := range 3 {
		r := e.do(http.MethodGet, "/api/v4/account", nil)
		require.Equal(t, http.StatusTooManyRequests, r.StatusCode, "refusal %d", i)
		assert.Contains(t, r.Header.Get("Content-Type"), "text/html", "production's 429 is an HTML page")
		assert.Contains(t, string(r.body), "429 Too Many Requests")
		assert.Empty(t, r.Header.Get("Retry-After"), "and has no Retry-After")
	}
	require.True(t, e.srv.Blocked())

	e.clock.Advance(time.Hour)
	blocked := e.do(http.MethodGet, "/api/v4/account", nil)
	assert.Equal(t, http.StatusForbidden, blocked.StatusCode, "a client that ignored 429 stays blocked")
	assert.Contains(t, string(blocked.body), "403 Forbidden")
	assert.Equal(t, http.StatusForbidden, e.exchange(map[string]string{"grant_type": "authorization_code", "code": e.code()}).StatusCode, "the block covers OAuth too")

	c := e.srv.Counters()
	assert.Equal(t, 3, c.TooManyRequests)
	assert.Equal(t, 2, c.Forbidden)
	assert.Equal(t, 7, c.ByStatus[http.StatusOK])

	e.srv.ResetBlock()
	assert.False(t, e.srv.Blocked())
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode)
}

func TestRateLimitRefillsAndBackingOffAvoidsTheBlock(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithRateLimit(7, 7), amocrmtest.WithBlockAfter(2))
	for range 7 {
		e.do(http.MethodGet, "/api/v4/account", nil)
	}
	for range 5 {
		require.Equal(t, http.StatusTooManyRequests, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode)
		require.False(t, e.srv.Blocked())
		// A polite client waits before the next attempt.
		e.clock.Advance(time.Second / 7)
		require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode)
	}
	assert.False(t, e.srv.Blocked())
}

func TestRateLimitIsPerAccount(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithRateLimit(1, 1), amocrmtest.WithBlockAfter(0))
	e.srv.AddAccount("beta")
	beta, err := e.srv.IssueToken(e.integ.ClientID, "beta")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode)
	assert.Equal(t, http.StatusTooManyRequests, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode)
	assert.Equal(t, http.StatusOK, e.doToken(beta.AccessToken, http.MethodGet, "/api/v4/account", nil).StatusCode)
	for range 20 {
		e.do(http.MethodGet, "/api/v4/account", nil)
	}
	assert.False(t, e.srv.Blocked(), "WithBlockAfter(0) never blocks")
}

func TestRateLimitJSONStyle(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithRateLimit(0.5, 1), amocrmtest.With429Style(amocrmtest.StyleJSON, true))
	require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode)
	r := e.do(http.MethodGet, "/api/v4/account", nil)
	require.Equal(t, http.StatusTooManyRequests, r.StatusCode)
	assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	assert.Equal(t, "2", r.Header.Get("Retry-After"))
	var body struct {
		Title      string `json:"title"`
		Status     int    `json:"status"`
		RetryAfter int    `json:"retry_after"`
	}
	require.NoError(t, json.Unmarshal(r.body, &body))
	assert.Equal(t, "Too Many Requests", body.Title)
	assert.Equal(t, 429, body.Status)
	assert.Equal(t, 2, body.RetryAfter)
	e.clock.Advance(2 * time.Second)
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode)
}
