package amocrm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// mockClient returns a Client whose requests go to a fresh httpmock transport.
func mockClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	base := []Option{
		WithHTTPClient(&http.Client{Transport: mt}),
		WithAccessToken(testToken),
		WithRateLimit(1000, 100),
		WithRetry(RetryPolicy{Attempts: 4, MinWait: 100 * time.Millisecond, MaxWait: time.Second, MaxRetryAfter: time.Minute}),
	}
	c, err := New("acme.amocrm.ru", append(base, opts...)...)
	require.NoError(t, err)
	return c, mt
}

const accountURL = "https://acme.amocrm.ru/api/v4/account"
const leadsURL = "https://acme.amocrm.ru/api/v4/leads"

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	ok := httpmock.NewStringResponder(200, `{"id":1}`)
	tests := []struct {
		name      string
		method    string
		responses []httpmock.Responder
		wantCalls int
		wantErr   error
	}{
		{"GET 429 then 200", http.MethodGet, []httpmock.Responder{httpmock.NewStringResponder(429, ""), ok}, 2, nil},
		{"GET 502 is retried", http.MethodGet, []httpmock.Responder{httpmock.NewStringResponder(502, "bad gateway"), ok}, 2, nil},
		{"GET 500 503 504 then 200", http.MethodGet, []httpmock.Responder{httpmock.NewStringResponder(500, ""), httpmock.NewStringResponder(503, ""), httpmock.NewStringResponder(504, ""), ok}, 4, nil},
		{"GET connection error is retried", http.MethodGet, []httpmock.Responder{httpmock.NewErrorResponder(errors.New("connection reset")), ok}, 2, nil},
		{"GET 501 is not retried", http.MethodGet, []httpmock.Responder{httpmock.NewStringResponder(501, "")}, 1, nil},
		{"GET 400 is not retried", http.MethodGet, []httpmock.Responder{httpmock.NewStringResponder(400, `{"title":"Bad Request"}`)}, 1, nil},
		{"GET gives up after 4 attempts", http.MethodGet, []httpmock.Responder{httpmock.NewStringResponder(429, "")}, 4, ErrRateLimited},
		{"POST 429 then 200", http.MethodPost, []httpmock.Responder{httpmock.NewStringResponder(429, ""), ok}, 2, nil},
		{"POST 502 is not retried", http.MethodPost, []httpmock.Responder{httpmock.NewStringResponder(502, "")}, 1, nil},
		{"POST 500 is not retried", http.MethodPost, []httpmock.Responder{httpmock.NewStringResponder(500, "")}, 1, nil},
		{"PATCH 504 is not retried", http.MethodPatch, []httpmock.Responder{httpmock.NewStringResponder(504, "")}, 1, nil},
		{"POST failing before sending is retried", http.MethodPost, []httpmock.Responder{httpmock.NewErrorResponder(&net.OpError{Op: "dial", Err: errors.New("connection refused")}), ok}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, mt := mockClient(t)
				var calls atomic.Int32
				mt.RegisterResponder(tt.method, leadsURL, func(r *http.Request) (*http.Response, error) {
					n := int(calls.Add(1)) - 1
					return tt.responses[min(n, len(tt.responses)-1)](r)
				})
				var body any
				if tt.method != http.MethodGet {
					body = []map[string]any{{"name": "x"}}
				}
				_, err := c.send(t.Context(), tt.method, "api/v4/leads", body, nil)
				assert.Equal(t, tt.wantCalls, int(calls.Load()))
				last := tt.responses[min(tt.wantCalls, len(tt.responses))-1]
				resp, _ := last(httptest.NewRequest(tt.method, leadsURL, nil))
				switch {
				case tt.wantErr != nil:
					assert.ErrorIs(t, err, tt.wantErr)
				case resp != nil && resp.StatusCode == 200:
					assert.NoError(t, err)
				default:
					assert.Error(t, err)
				}
			})
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	for name, first := range map[string]httpmock.Responder{
		"header": httpmock.NewStringResponder(429, "").HeaderSet(http.Header{"Retry-After": {"5"}}),
		"json":   httpmock.NewStringResponder(429, `{"title":"Too Many Requests","status":429,"retry_after":5}`),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, mt := mockClient(t)
				var times []time.Time
				mt.RegisterResponder(http.MethodGet, accountURL, func(r *http.Request) (*http.Response, error) {
					times = append(times, time.Now())
					if len(times) == 1 {
						return first(r)
					}
					return httpmock.NewStringResponse(200, `{"id":1}`), nil
				})
				_, err := c.Account.Get(t.Context())
				require.NoError(t, err)
				require.Len(t, times, 2)
				assert.Equal(t, 5*time.Second, times[1].Sub(times[0]))
			})
		})
	}
}

func TestRetryAfterLongerThanThePolicyIsReturned(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := mockClient(t)
		mt.RegisterResponder(http.MethodGet, accountURL, httpmock.NewStringResponder(429, `{"retry_after":300}`))
		start := time.Now()
		_, err := c.Account.Get(t.Context())
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 300*time.Second, e.RetryAfter)
		assert.Equal(t, 1, mt.GetTotalCallCount())
		assert.Zero(t, time.Since(start))
	})
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	t.Parallel()
	for attempt := range 10 {
		d := backoff(100*time.Millisecond, time.Second, attempt, nil)
		want := min(100*time.Millisecond<<attempt, time.Second)
		assert.GreaterOrEqual(t, d, want/2, "attempt %d", attempt)
		assert.LessOrEqual(t, d, want, "attempt %d", attempt)
	}
}

func TestPOSTAfterTheRequestWasSentIsNotRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // the request arrived; the answer never does
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New("acme.amocrm.ru", WithBaseURL(srv.URL), WithAccessToken(testToken),
		WithRetry(RetryPolicy{Attempts: 4, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
	require.NoError(t, err)
	_, err = c.send(t.Context(), http.MethodPost, "api/v4/leads", []map[string]string{{"name": "x"}}, nil)
	require.Error(t, err)
	assert.Equal(t, int32(1), calls.Load(), "a POST that reached the server must not be replayed")

	_, err = c.get(t.Context(), "api/v4/leads", nil, nil)
	require.Error(t, err)
	assert.Equal(t, int32(5), calls.Load(), "a GET is retried")
}

func TestLimiterPacesEveryAttempt(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt := mockClient(t, WithRateLimit(7, 1))
		var times []time.Time
		var mu sync.Mutex
		mt.RegisterResponder(http.MethodGet, accountURL, func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			defer mu.Unlock()
			times = append(times, time.Now())
			return httpmock.NewStringResponse(200, `{"id":1}`), nil
		})
		start := time.Now()
		var wg sync.WaitGroup
		for range 15 {
			wg.Go(func() {
				_, err := c.Account.Get(context.Background())
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		require.Len(t, times, 15)
		// 15 requests at 7 a second with a burst of 1: the last goes 14/7 s after the first.
		assert.Equal(t, 2*time.Second, time.Since(start))
		for i := range times {
			// No half-open window of one second holds more than 7 requests.
			n := 0
			for _, t2 := range times {
				if !t2.Before(times[i]) && t2.Sub(times[i]) < time.Second {
					n++
				}
			}
			assert.LessOrEqual(t, n, 7)
		}
	})
}

func TestSharedPacerPacesSeveralClients(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct {
		opt  Option
		each time.Duration
	}{
		"LocalPacer": {WithPacer(NewLocalPacer(7)), time.Second/7 + 1},
		"NewLimiter": {WithLimiter(NewLimiter()), time.Second * 100 / (DefaultRate * DefaultPace * 100)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				a, mta := mockClient(t, tt.opt)
				b, mtb := mockClient(t, tt.opt)
				for _, mt := range []*httpmock.MockTransport{mta, mtb} {
					mt.RegisterResponder(http.MethodGet, accountURL, httpmock.NewStringResponder(200, `{"id":1}`))
				}
				start := time.Now()
				for range 7 {
					_, err := a.Account.Get(t.Context())
					require.NoError(t, err)
					_, err = b.Account.Get(t.Context())
					require.NoError(t, err)
				}
				// 14 requests through one pacer with no burst: 13 intervals from first to last.
				assert.InDelta(t, float64(13*tt.each), float64(time.Since(start)), float64(time.Millisecond))
			})
		})
	}
}

// refreshingSource is a Refresher whose token changes on every refresh.
type refreshingSource struct {
	mu        sync.Mutex
	current   string
	refreshes int
}

func (s *refreshingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &oauth2.Token{AccessToken: s.current, TokenType: "Bearer"}, nil
}

func (s *refreshingSource) Refresh(ctx context.Context, refused *oauth2.Token) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if refused.AccessToken == s.current {
		s.refreshes++
		s.current = "fresh-token"
	}
	return &oauth2.Token{AccessToken: s.current, TokenType: "Bearer"}, nil
}

func TestUnauthorizedGetsOneRefreshAndReplaysTheBody(t *testing.T) {
	t.Parallel()
	src := &refreshingSource{current: "stale-token"}
	c, mt := mockClient(t, WithTokenSource(src))
	var bodies []string
	mt.RegisterResponder(http.MethodPost, leadsURL, func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if r.Header.Get("Authorization") != "Bearer fresh-token" {
			return httpmock.NewStringResponse(401, `{"title":"Unauthorized","status":401}`), nil
		}
		return httpmock.NewStringResponse(200, `{"_embedded":{"leads":[]}}`), nil
	})
	_, err := c.send(t.Context(), http.MethodPost, "api/v4/leads", []map[string]string{{"name": "Окно"}}, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, src.refreshes)
	require.Len(t, bodies, 2)
	assert.Equal(t, bodies[0], bodies[1])
	assert.Contains(t, bodies[1], "Окно")

	// A source that cannot refresh leaves the 401 to the caller, once.
	c2, mt2 := mockClient(t, WithAccessToken("revoked"))
	mt2.RegisterResponder(http.MethodGet, accountURL, httpmock.NewStringResponder(401, `{"title":"Unauthorized","status":401,"detail":"Token revoked"}`))
	_, err = c2.Account.Get(t.Context())
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, 1, mt2.GetTotalCallCount())
}

func TestTokenSourceFailureIsNotRetried(t *testing.T) {
	t.Parallel()
	c, mt := mockClient(t, WithTokenSource(oauth2.ReuseTokenSource(nil, failingSource{})))
	mt.RegisterNoResponder(httpmock.NewStringResponder(200, `{}`))
	_, err := c.Account.Get(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "store unavailable")
	assert.Zero(t, mt.GetTotalCallCount())
}

type failingSource struct{}

func (failingSource) Token() (*oauth2.Token, error) { return nil, errors.New("store unavailable") }

func TestSecretsNeverReachErrorsOrLogs(t *testing.T) {
	t.Parallel()
	const secret = "super-secret-access-token-123"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mt := mockClient(t, WithAccessToken(secret), WithLogger(logger))
	mt.RegisterResponder(http.MethodGet, `=~^https://acme\.amocrm\.ru/api/v4/`, func(r *http.Request) (*http.Response, error) {
		return httpmock.NewStringResponse(503, "<html>upstream "+r.Header.Get("X-Nothing")+"</html>"), nil
	})
	mt.RegisterResponder(http.MethodPost, leadsURL, httpmock.NewErrorResponder(errors.New("dial tcp: refused")))
	var errs []error
	_, err := c.Account.Get(t.Context())
	errs = append(errs, err)
	_, err = c.get(t.Context(), "api/v4/leads", map[string][]string{"refresh_token": {"r-secret-9"}, "client_secret": {"cs-secret-9"}}, nil)
	errs = append(errs, err)
	_, err = c.send(t.Context(), http.MethodPost, "api/v4/leads", []int{1}, nil)
	errs = append(errs, err)
	require.NotEmpty(t, logs.String())
	for _, e := range errs {
		require.Error(t, e)
		for _, s := range []string{secret, "r-secret-9", "cs-secret-9"} {
			assert.NotContains(t, e.Error(), s)
		}
	}
	for _, s := range []string{secret, "r-secret-9", "cs-secret-9", "Bearer"} {
		assert.NotContains(t, logs.String(), s)
	}
	assert.Contains(t, logs.String(), "retrying")
	assert.True(t, strings.Contains(logs.String(), "REDACTED"))
}

func TestEveryRequestStaysOnTheAccountHost(t *testing.T) {
	t.Parallel()
	c, mt := mockClient(t)
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		t.Errorf("request to %s", r.URL)
		return nil, errors.New("unexpected host")
	})
	mt.RegisterResponder(http.MethodGet, leadsURL, httpmock.NewStringResponder(200,
		`{"_page":1,"_links":{"next":{"href":"https://evil.example.com/api/v4/leads?page=2"}},"_embedded":{"leads":[{"id":1}]}}`))
	var ids []int64
	var gotErr error
	for item, err := range listAll[struct {
		ID int64 `json:"id"`
	}](t.Context(), c, "api/v4/leads", nil, "leads") {
		if err != nil {
			gotErr = err
			break
		}
		ids = append(ids, item.ID)
	}
	assert.Equal(t, []int64{1}, ids)
	require.Error(t, gotErr)
	assert.Contains(t, gotErr.Error(), "refused")
}
