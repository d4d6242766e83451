package amocrm

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDoSendsThroughTheClient(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("GET /amo/api/v4/leads/loss_reasons", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // retried like any GET
			return
		}
		assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
		assert.Equal(t, "1", r.URL.Query().Get("filter[id][]"))
		w.Write([]byte(`{"_embedded":{"loss_reasons":[{"id":8,"name":"Went elsewhere"}]}}`))
	})
	mux.HandleFunc("POST /amo/api/v4/leads/loss_reasons", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.JSONEq(t, `[{"name":"Too slow"}]`, rawBody(t, r))
		w.WriteHeader(http.StatusNoContent)
	})
	var out struct {
		Embedded struct {
			LossReasons []LossReason `json:"loss_reasons"`
		} `json:"_embedded"`
	}
	require.NoError(t, c.Do(t.Context(), http.MethodGet, "/api/v4/leads/loss_reasons?filter[id][]=1", nil, &out))
	assert.Equal(t, []LossReason{{ID: 8, Name: "Went elsewhere"}}, out.Embedded.LossReasons)
	assert.Equal(t, int32(2), calls.Load())

	req, err := c.NewRequest(t.Context(), http.MethodPost, "api/v4/leads/loss_reasons", []map[string]string{{"name": "Too slow"}})
	require.NoError(t, err)
	noContent, err := c.DoRequest(req, &out)
	require.NoError(t, err)
	assert.True(t, noContent)
}

func TestDoRefusesOtherHosts(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	var hit atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit.Store(true) }))
	t.Cleanup(other.Close)
	for _, p := range []string{other.URL + "/api/v4/leads", "//evil.example/api/v4/leads", "api/v4/../../x", "api/v4/leads#x"} {
		assert.Error(t, c.Do(t.Context(), http.MethodGet, p, nil, nil), p)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, other.URL+"/api/v4/leads", nil)
	require.NoError(t, err)
	_, err = c.DoRequest(req, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refused")
	_, err = c.DoRequest(nil, nil)
	assert.Error(t, err)
	_, err = c.NewRequest(context.Background(), "GET X", "api/v4/leads", nil)
	assert.Error(t, err)
	assert.False(t, hit.Load(), "the token never left for another host")
}

func TestDoErrors(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/things", func(w http.ResponseWriter, r *http.Request) {
		serveFixture(t, c, w, http.StatusBadRequest, "error_validation.json")
	})
	mux.HandleFunc("PATCH /amo/api/v4/things", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		w.Write([]byte(`{"title":"Unprocessable Entity","status":422,"detail":"Limit 250 per page"}`))
	})
	err := c.Do(t.Context(), http.MethodPost, "api/v4/things", []int{1}, nil)
	assert.ErrorIs(t, err, ErrValidation)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.NotEmpty(t, apiErr.ValidationErrors)
	err = c.Do(t.Context(), http.MethodPatch, "api/v4/things", []int{1}, nil)
	assert.ErrorIs(t, err, ErrValidation)
	assert.NotErrorIs(t, err, ErrNotFound)
	err = c.Do(t.Context(), http.MethodGet, "api/v4/nothing", nil, nil)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.NotErrorIs(t, err, ErrValidation)
}

func TestAdminOnly(t *testing.T) {
	t.Parallel()
	forbidden := &Error{StatusCode: http.StatusForbidden, Detail: "Access denied"}
	err := adminOnly(forbidden)
	assert.ErrorIs(t, err, ErrAdminOnly)
	assert.ErrorIs(t, err, ErrBlocked, "amoCRM's 403 is also its block")
	assert.True(t, strings.Contains(err.Error(), "administrator"), err.Error())
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Access denied", apiErr.Detail)

	notFound := &Error{StatusCode: http.StatusNotFound}
	assert.Same(t, notFound, adminOnly(notFound))
	assert.NotErrorIs(t, adminOnly(notFound), ErrAdminOnly)
	assert.NoError(t, adminOnly(nil))

	be := &BatchError{Total: 2, Failed: []BatchItemError{{Index: 0, Err: forbidden}, {Index: 1, Err: ErrNotConfirmed}}}
	got := adminOnly(be)
	assert.ErrorIs(t, got, ErrAdminOnly)
	assert.ErrorAs(t, got, &be)
	assert.ErrorIs(t, be.Failed[1].Err, ErrNotConfirmed)
	assert.NotErrorIs(t, errors.New("x"), ErrAdminOnly)
}

// assertBodyFixture checks that the request's JSON body is testdata/requests/name: a request shape
// written from amoCRM's documented examples.
func assertBodyFixture(t *testing.T, r *http.Request, name string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("testdata", "requests", name))
	require.NoError(t, err)
	assert.JSONEq(t, string(want), rawBody(t, r), name)
}
