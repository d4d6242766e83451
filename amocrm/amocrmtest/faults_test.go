package amocrmtest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

func TestFaultStatus(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.FailNext(2, "GET", "/api/v4/leads", amocrmtest.Fault{Status: http.StatusBadGateway})
	for range 2 {
		r := e.do(http.MethodGet, "/api/v4/leads", nil)
		assert.Equal(t, http.StatusBadGateway, r.StatusCode)
		assert.Contains(t, r.Header.Get("Content-Type"), "text/html")
		assert.Contains(t, string(r.body), "502 Bad Gateway")
	}
	assert.Equal(t, http.StatusNoContent, e.do(http.MethodGet, "/api/v4/leads", nil).StatusCode, "the fault is used up")

	e.srv.FailNext(1, "", "/api/v4/leads", amocrmtest.Fault{Status: 500, Body: `{"title":"ErrInternalServer","status":500}`})
	r := e.do(http.MethodPost, "/api/v4/leads", `[{"name":"x"}]`)
	assert.Equal(t, 500, r.StatusCode)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"title":"ErrInternalServer","status":500}`, string(r.body))
	assert.Empty(t, e.srv.Leads("acme"), "a faulted request is not handled")
}

func TestFaultPatterns(t *testing.T) {
	t.Parallel()
	e := setup(t)
	lead := e.acct.AddLead(amocrmtest.Lead{})
	leadPath := "/api/v4/leads/" + itoa(lead.ID)
	cases := []struct {
		method, pattern, hit, miss string
	}{
		{"GET", "/api/v4/leads/{id}", leadPath, "/api/v4/leads"},
		{"get", "/api/v4/{rest...}", leadPath, "/oauth"},
		{"*", "/api/v4/leads*", leadPath + "/notes", "/api/v4/contacts"},
		{"GET", "/api/v4/", "/api/v4/account", "/api/v4"},
		{"GET", "/api/v4/leads/{$}", "/api/v4/leads/", "/api/v4/leads"},
		{"POST", "/api/v4/leads", "", "/api/v4/leads"}, // the miss is a GET
	}
	for _, tc := range cases {
		e.srv.ResetFaults()
		e.srv.FailNext(1, tc.method, tc.pattern, amocrmtest.Fault{Status: http.StatusTeapot})
		assert.NotEqual(t, http.StatusTeapot, e.do(http.MethodGet, tc.miss, nil).StatusCode, "%s must not match %s", tc.pattern, tc.miss)
		if tc.hit != "" {
			assert.Equal(t, http.StatusTeapot, e.do(http.MethodGet, tc.hit, nil).StatusCode, "%s must match %s", tc.pattern, tc.hit)
		}
	}
	assert.Panics(t, func() { e.srv.FailNext(1, "GET", "api/v4", amocrmtest.Fault{Status: 500}) })
	assert.Panics(t, func() { e.srv.FailNext(0, "GET", "/", amocrmtest.Fault{Status: 500}) })
	assert.Panics(t, func() { e.srv.FailNext(1, "GET", "/", amocrmtest.Fault{}) })
}

func TestFaultDrop(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.FailNext(1, "GET", "/api/v4/account", amocrmtest.Fault{Drop: true})
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+"/api/v4/account", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+e.tok.AccessToken)
	_, err = c.Do(req)
	require.Error(t, err, "the connection is closed without a response")
	r, err := c.Do(req)
	require.NoError(t, err)
	r.Body.Close()
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, 1, e.srv.Counters().Dropped)
	reqs := e.srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, 0, reqs[0].Status)
}

func TestFaultDelayAndLatency(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// The default clock inside a bubble: waits cost no real time.
		srv := amocrmtest.NewUnstartedServer(amocrmtest.WithLatency(200 * time.Millisecond))
		defer srv.Close()
		srv.AddAccount("acme")
		srv.FailNext(1, "GET", "/oauth", amocrmtest.Fault{Delay: 5 * time.Second})
		srv.FailNext(1, "GET", "/oauth", amocrmtest.Fault{Delay: time.Second, Status: http.StatusGatewayTimeout})
		h := srv.Handler()
		serve := func() (int, time.Duration) {
			began := time.Now()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/oauth?client_id=x", nil))
			return rec.Code, time.Since(began)
		}
		code, took := serve()
		assert.Equal(t, http.StatusBadRequest, code, "a delay alone lets the request through (unknown client)")
		assert.Equal(t, 5*time.Second+200*time.Millisecond, took)
		code, took = serve()
		assert.Equal(t, http.StatusGatewayTimeout, code)
		assert.Equal(t, time.Second+200*time.Millisecond, took)
		_, took = serve()
		assert.Equal(t, 200*time.Millisecond, took, "only the latency is left")
	})
}

func TestFaultDelayOnFakeClock(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.FailNext(1, "GET", "/api/v4/account", amocrmtest.Fault{Delay: time.Minute, Status: http.StatusServiceUnavailable})
	done := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/v4/account", nil)
		e.srv.Handler().ServeHTTP(rec, req)
		done <- rec.Code
	}()
	e.clock.BlockUntil(1)
	e.clock.Advance(time.Minute - time.Second)
	select {
	case <-done:
		t.Fatal("the delay ended early")
	default:
	}
	e.clock.Advance(time.Second)
	assert.Equal(t, http.StatusServiceUnavailable, <-done)
}
