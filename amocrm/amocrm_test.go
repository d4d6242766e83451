package amocrm

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testToken is the access token of the test harness.
const testToken = "test-access-token-9f8e7d"

// setup returns a Client whose API lives under /amo/ of a test server, and the mux to mount
// handlers on. Handlers are mounted with their full path, e.g. "GET /amo/api/v4/leads", so a
// request built from an absolute path misses them.
func setup(t *testing.T, opts ...Option) (*Client, *http.ServeMux) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := []Option{
		WithBaseURL(srv.URL + "/amo/"),
		WithAccessToken(testToken),
		WithRateLimit(1000, 100),
		WithRetry(RetryPolicy{Attempts: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, MaxRetryAfter: time.Second}),
	}
	c, err := New("acme.amocrm.ru", append(base, opts...)...)
	require.NoError(t, err)
	return c, mux
}

// writeJSON answers with v as HAL JSON.
func writeJSON(t *testing.T, w http.ResponseWriter, status int, v any) {
	t.Helper()
	w.Header().Set("Content-Type", "application/hal+json")
	w.WriteHeader(status)
	require.NoError(t, json.NewEncoder(w).Encode(v))
}

// testJSONBody decodes the request body into a T.
func testJSONBody[T any](t *testing.T, r *http.Request) T {
	t.Helper()
	var v T
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &v), "body: %s", b)
	return v
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	cases := map[string][]Option{
		"no credentials":     nil,
		"nil option":         {WithAccessToken("x"), nil},
		"relative base":      {WithAccessToken("x"), WithBaseURL("/amo/")},
		"ftp base":           {WithAccessToken("x"), WithBaseURL("ftp://example.com/")},
		"base with userinfo": {WithAccessToken("x"), WithBaseURL("http://u:p@example.com/")},
		"base with query":    {WithAccessToken("x"), WithBaseURL("http://example.com/?a=1")},
		"empty token":        {WithAccessToken("  ")},
		"token with newline": {WithAccessToken("a\nb")},
		"nil http client":    {WithAccessToken("x"), WithHTTPClient(nil)},
		"nil token source":   {WithTokenSource(nil)},
		"zero rate":          {WithAccessToken("x"), WithRateLimit(0, 1)},
		"zero burst":         {WithAccessToken("x"), WithRateLimit(7, 0)},
		"no attempts":        {WithAccessToken("x"), WithRetry(RetryPolicy{Attempts: 0})},
		"inverted waits":     {WithAccessToken("x"), WithRetry(RetryPolicy{Attempts: 2, MinWait: time.Second, MaxWait: time.Millisecond})},
		"negative timeout":   {WithAccessToken("x"), WithTimeout(-time.Second)},
		"multi-line agent":   {WithAccessToken("x"), WithUserAgent("a\r\nX-Evil: 1")},
		"nil logger":         {WithAccessToken("x"), WithLogger(nil)},
		"nil shared limiter": {WithAccessToken("x"), WithLimiter(nil)},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := New("acme.amocrm.ru", opts...)
			assert.Error(t, err)
			assert.Nil(t, c)
		})
	}
	_, err := New("evil.example.com", WithAccessToken("x"))
	assert.ErrorIs(t, err, ErrInvalidDomain)
}

func TestNewDoesNotModifyTheCallersHTTPClient(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Timeout: 3 * time.Second}
	c, err := New("acme.kommo.com", WithAccessToken("x"), WithHTTPClient(hc))
	require.NoError(t, err)
	assert.Nil(t, hc.Transport)
	assert.Nil(t, hc.CheckRedirect)
	assert.Equal(t, 3*time.Second, hc.Timeout)
	assert.Equal(t, 3*time.Second, c.hc.Timeout)
	assert.Equal(t, "https://acme.kommo.com/", c.BaseURL())
	assert.Equal(t, "acme.kommo.com", c.Domain())
}

func TestRequestHeadersAndPathSafety(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithUserAgent("glass-shop/1.0"))
	mux.HandleFunc("GET /amo/api/v4/account", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
		assert.Equal(t, "glass-shop/1.0 ("+DefaultUserAgent+")", r.Header.Get("User-Agent"))
		assert.Contains(t, r.Header.Get("Accept"), "application/hal+json")
		writeJSON(t, w, 200, map[string]any{"id": 7, "subdomain": "acme"})
	})
	a, err := c.Account.Get(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int64(7), a.ID)

	for _, p := range []string{"/api/v4/account", "http://evil.example/api", "api/v4/../../x", "api/./v4"} {
		_, err := c.newRequest(t.Context(), http.MethodGet, p, nil, nil)
		assert.Error(t, err, p)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a redirect reached another host with Authorization %q", r.Header.Get("Authorization"))
	}))
	t.Cleanup(other.Close)
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/account", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	})
	_, err := c.Account.Get(t.Context())
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusFound, e.StatusCode)
}
