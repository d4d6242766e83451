package amocrmtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// get sends GET /api/v4/account with e's token and returns the status.
func (e *env) get() int {
	e.t.Helper()
	return e.do(http.MethodGet, "/api/v4/account", nil).StatusCode
}

// atHost sends GET /api/v4/account to the account's own host with token.
func (e *env) atHost(token string) int {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), http.MethodGet, "https://"+e.acct.Host+"/api/v4/account", nil)
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(e.t, e.srv.Client(), req).StatusCode
}

func TestDefaultCountsEveryArrivalInAnySlidingSecond(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithSlidingWindow(7, time.Second), amocrmtest.WithBlockAfter(0, 0))
	for i := range 7 {
		require.Equal(t, http.StatusOK, e.get(), "request %d of the first second", i)
	}
	e.clock.Advance(500 * time.Millisecond)
	require.Equal(t, http.StatusTooManyRequests, e.get(), "an eighth request within the second")
	e.clock.Advance(500 * time.Millisecond)
	// The first seven left the window; the refused arrival at 0.5 s is still in it.
	for i := range 6 {
		require.Equal(t, http.StatusOK, e.get(), "request %d after the first second", i)
	}
	assert.Equal(t, http.StatusTooManyRequests, e.get(), "the refused arrival counts as one of the seven")
}

func TestDefaultRefusesAnEvenPaceJustOverTheLimit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		gap     time.Duration
		refused int
	}{
		{143 * time.Millisecond, 0}, // eight arrivals span 1.001 s
		{time.Second / 7, 1},        // 142.857142 ms: eight arrivals 6 ns short of a second
		{140 * time.Millisecond, 1},
	} {
		e := setup(t, amocrmtest.WithSlidingWindow(7, time.Second), amocrmtest.WithBlockAfter(0, 0))
		refused := 0
		for range 8 {
			if e.get() == http.StatusTooManyRequests {
				refused++
			}
			e.clock.Advance(tt.gap)
		}
		assert.Equal(t, tt.refused, refused, "eight requests %v apart", tt.gap)
	}
}

func TestDefaultsAreTheStrictReading(t *testing.T) {
	t.Parallel()
	clock := amocrmtest.NewFakeClock(start())
	srv := amocrmtest.NewServer(amocrmtest.WithClock(clock))
	t.Cleanup(srv.Close)
	srv.AddAccount("acme")
	integ := srv.AddIntegration(amocrmtest.Integration{Name: "x", RedirectURI: redirectURI})
	tok, err := srv.IssueToken(integ.ClientID, "acme")
	require.NoError(t, err)
	e := &env{t: t, srv: srv, clock: clock, tok: tok}
	refused := 0
	for range 8 {
		if e.get() == http.StatusTooManyRequests {
			refused++
		}
		clock.Advance(140 * time.Millisecond)
	}
	assert.Equal(t, 1, refused, "8 requests in 0.98 s: a token bucket of 7 would take them all")
}

func TestSpacingAsNginxLimitReq(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithSpacing(7, 0), amocrmtest.WithBlockAfter(0, 0))
	require.Equal(t, http.StatusOK, e.get())
	e.clock.Advance(142 * time.Millisecond)
	require.Equal(t, http.StatusTooManyRequests, e.get(), "burst 0: 142 ms after the last is too early")
	e.clock.Advance(time.Millisecond)
	require.Equal(t, http.StatusOK, e.get(), "a refused request does not count: 143 ms after the last accepted one")
	e.clock.Advance(time.Second)
	require.Equal(t, http.StatusOK, e.get())
	require.Equal(t, http.StatusTooManyRequests, e.get(), "no burst after a quiet spell either")

	e = setup(t, amocrmtest.WithSpacing(7, 2), amocrmtest.WithBlockAfter(0, 0))
	for i := range 3 {
		require.Equal(t, http.StatusOK, e.get(), "burst 2: request %d at once", i)
	}
	assert.Equal(t, http.StatusTooManyRequests, e.get())
}

func TestTokenBucket(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithRateLimit(7, 7), amocrmtest.WithBlockAfter(0, 0))
	for i := range 7 {
		require.Equal(t, http.StatusOK, e.get(), "request %d is within the burst", i)
	}
	require.Equal(t, http.StatusTooManyRequests, e.get())
	e.clock.Advance(time.Second / 7)
	assert.Equal(t, http.StatusOK, e.get(), "a token comes back after 1/7 s")
}

func TestRefusalsWithinAWindowBlock(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithRateLimit(7, 7), amocrmtest.WithBlockAfter(3, time.Minute))
	for range 7 {
		require.Equal(t, http.StatusOK, e.get())
	}
	for i := range 2 {
		r := e.do(http.MethodGet, "/api/v4/account", nil)
		require.Equal(t, http.StatusTooManyRequests, r.StatusCode, "refusal %d", i)
		assert.Contains(t, r.Header.Get("Content-Type"), "text/html", "production's 429 is an HTML page")
		assert.Contains(t, string(r.body), "429 Too Many Requests")
		assert.Empty(t, r.Header.Get("Retry-After"), "and has no Retry-After")
		// A success in between does not wipe the count.
		e.clock.Advance(time.Second)
		require.Equal(t, http.StatusOK, e.get())
		for range 6 {
			e.get()
		}
	}
	require.False(t, e.srv.Blocked())
	require.Equal(t, http.StatusTooManyRequests, e.get(), "the third refusal within a minute")
	require.True(t, e.srv.Blocked())

	e.clock.Advance(time.Hour)
	blocked := e.do(http.MethodGet, "/api/v4/account", nil)
	assert.Equal(t, http.StatusForbidden, blocked.StatusCode, "a client that ignored 429 stays blocked")
	assert.Contains(t, string(blocked.body), "403 Forbidden")
	assert.Equal(t, http.StatusForbidden, e.exchange(map[string]string{"grant_type": "authorization_code", "code": e.code()}).StatusCode, "the block covers OAuth too")

	c := e.srv.Counters()
	assert.Equal(t, 3, c.TooManyRequests)
	assert.Equal(t, 2, c.Forbidden)

	e.srv.ResetBlock()
	assert.False(t, e.srv.Blocked())
	assert.Equal(t, http.StatusOK, e.get())
}

func TestRefusalsSpreadBeyondTheWindowDoNotBlock(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithSlidingWindow(1, time.Second), amocrmtest.WithBlockAfter(3, time.Minute))
	for range 10 {
		require.Equal(t, http.StatusOK, e.get())
		require.Equal(t, http.StatusTooManyRequests, e.get())
		require.False(t, e.srv.Blocked())
		e.clock.Advance(31 * time.Second) // at most two refusals in any minute
	}
}

func TestBadTokensAndTokenCallsCountAtTheEdge(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithSlidingWindow(7, time.Second), amocrmtest.WithBlockAfter(0, 0))
	for range 6 {
		require.Equal(t, http.StatusUnauthorized, e.atHost("not-a-token"))
	}
	other := e.srv.AddIntegration(amocrmtest.Integration{Name: "other", RedirectURI: redirectURI})
	foreign, err := e.srv.IssueToken(other.ClientID, "acme")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, e.atHost(foreign.AccessToken))
	assert.Equal(t, http.StatusTooManyRequests, e.atHost(e.tok.AccessToken), "six refused tokens and another integration's call used the account's second")

	e.clock.Advance(time.Second)
	for range 7 {
		e.exchange(map[string]string{"grant_type": "refresh_token", "refresh_token": "nope"})
	}
	assert.Equal(t, http.StatusTooManyRequests, e.exchange(map[string]string{"grant_type": "refresh_token", "refresh_token": "nope"}).StatusCode,
		"token calls draw on a budget too")
}

func TestRateLimitIsPerAccount(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithSlidingWindow(1, time.Second))
	e.srv.AddAccount("beta")
	beta, err := e.srv.IssueToken(e.integ.ClientID, "beta")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, e.get())
	assert.Equal(t, http.StatusTooManyRequests, e.get())
	assert.Equal(t, http.StatusOK, e.doToken(beta.AccessToken, http.MethodGet, "/api/v4/account", nil).StatusCode)
}

func TestThrottleForcesABurstOf429s(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithBlockAfter(4, time.Minute))
	require.Equal(t, http.StatusOK, e.get())
	e.srv.Throttle(3 * time.Second)
	for range 3 {
		require.Equal(t, http.StatusTooManyRequests, e.get(), "throttled even with rate limiting off")
		e.clock.Advance(time.Second - time.Millisecond)
	}
	require.False(t, e.srv.Blocked())
	e.clock.Advance(3 * time.Millisecond)
	require.Equal(t, http.StatusOK, e.get(), "the burst is over after 3 s")

	e.srv.Throttle(time.Second)
	assert.Equal(t, http.StatusTooManyRequests, e.get())
	assert.True(t, e.srv.Blocked(), "forced refusals count toward the block")
}

func TestRateLimitJSONStyle(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithRateLimit(0.5, 1), amocrmtest.With429Style(amocrmtest.StyleJSON, true))
	require.Equal(t, http.StatusOK, e.get())
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
	assert.Equal(t, http.StatusOK, e.get())
}

func TestNewServerReportsEveryBadOption(t *testing.T) {
	t.Parallel()
	defer func() {
		msg := fmt.Sprint(recover())
		for _, want := range []string{"WithClock", "WithSpacing", "WithNotFoundStatus"} {
			assert.Contains(t, msg, want)
		}
	}()
	amocrmtest.NewUnstartedServer(amocrmtest.WithClock(nil), amocrmtest.WithSpacing(0, 1), amocrmtest.WithNotFoundStatus("leads", 500))
	t.Error("NewUnstartedServer accepted bad options")
}
