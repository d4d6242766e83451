package amocrm

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSourcesService(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/sources", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("filter[external_id][]") == "none" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		serveFixture(t, c, w, http.StatusOK, "sources_list.json")
	})
	mux.HandleFunc("GET /amo/api/v4/sources/9619", func(w http.ResponseWriter, r *http.Request) {
		serveFixture(t, c, w, http.StatusForbidden, "error_forbidden.json")
	})
	mux.HandleFunc("POST /amo/api/v4/sources", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"request_id":"0","name":"Сайт","external_id":"site-1","pipeline_id":1300}]`, rawBody(t, r))
		w.Write([]byte(`{"_total_items":1,"_embedded":{"sources":[{"id":4461,"name":"Сайт","external_id":"site-1","request_id":"0"}]}}`))
	})
	mux.HandleFunc("PATCH /amo/api/v4/sources", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"request_id":"0","id":4461,"name":"Сайт 2","default":true}]`, rawBody(t, r))
		w.Write([]byte(`{"_embedded":{"sources":[{"id":4461,"request_id":"0"}]}}`))
	})
	mux.HandleFunc("DELETE /amo/api/v4/sources", func(w http.ResponseWriter, r *http.Request) {
		body := rawBody(t, r)
		if strings.Contains(body, "999") {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"title":"Bad Request","status":400,"detail":"Request validation failed","errors":[{"request_id":"0","errors":{"code":"EntityNotFound","path":"id","detail":"Source not found"}}]}`))
			return
		}
		assert.JSONEq(t, `[{"id":4461},{"id":4460}]`, body)
		w.WriteHeader(http.StatusNoContent)
	})
	srcs, err := c.Sources.List(t.Context())
	require.NoError(t, err)
	require.Len(t, srcs, 2)
	assert.True(t, srcs[0].Default)
	assert.Equal(t, "", srcs[0].OriginCode, "null origin_code")
	require.Len(t, srcs[1].Services, 1)
	assert.Equal(t, "whatsapp", srcs[1].Services[0].Type)
	none, err := c.Sources.List(t.Context(), "none")
	require.NoError(t, err)
	assert.Empty(t, none)
	_, err = c.Sources.Get(t.Context(), 9619)
	assert.ErrorIs(t, err, ErrAdminOnly)

	saved, err := c.Sources.Create(t.Context(), []SourceRequest{{Name: "Сайт", ExternalID: "site-1", PipelineID: 1300}})
	require.NoError(t, err)
	assert.Equal(t, int64(4461), saved[0].ID)
	yes := true
	_, err = c.Sources.Update(t.Context(), []SourceRequest{{ID: 4461, Name: "Сайт 2", Default: &yes}})
	require.NoError(t, err)
	require.NoError(t, c.Sources.Delete(t.Context(), 4461, 4460))
	err = c.Sources.Delete(t.Context(), 999)
	assert.ErrorIs(t, err, ErrValidation)
	assert.Contains(t, err.Error(), "Request validation failed")

	assert.Error(t, c.Sources.Delete(t.Context()))
	_, err = c.Sources.Create(t.Context(), []SourceRequest{{ID: 1, Name: "x", ExternalID: "y"}})
	assert.Error(t, err)
	_, err = c.Sources.Update(t.Context(), []SourceRequest{{Name: "x"}})
	assert.Error(t, err)
	for _, bad := range []SourceRequest{{Name: "x"}, {Name: "x", ExternalID: strings.Repeat("a", 37)}, {Name: "x", ExternalID: "тел"}, {ID: 1, ExternalID: "new"}} {
		_, err := json.Marshal(bad)
		assert.Error(t, err, "%+v", bad)
	}
}
