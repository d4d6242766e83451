package amocrm

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTagsService(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/leads/tags", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, url.Values{"filter[name]": {"окна"}, "limit": {"50"}}, r.URL.Query())
		serveFixture(t, c, w, http.StatusOK, "tags_list.json")
	})
	mux.HandleFunc("GET /amo/api/v4/companies/tags", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("POST /amo/api/v4/leads/tags", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"request_id":"0","name":"срочно","color":"DDEBB5"},{"request_id":"1","name":"окна"}]`, rawBody(t, r))
		w.Write([]byte(`{"_total_items":2,"_embedded":{"tags":[{"id":100671,"name":"срочно","color":"DDEBB5","request_id":"0"},{"id":100667,"name":"окна","request_id":"1"}]}}`))
	})
	p, err := c.Tags.List(t.Context(), EntityLeads, &TagListOptions{Name: "окна", Limit: 50})
	require.NoError(t, err)
	assert.Equal(t, []Tag{{ID: 100667, Name: "окна", Color: "DDEBB5"}, {ID: 100669, Name: "срочно"}}, p.Items)
	n := 0
	for _, err := range c.Tags.All(t.Context(), EntityCompanies, nil) {
		require.NoError(t, err)
		n++
	}
	assert.Zero(t, n, "204 is no tags")
	saved, err := c.Tags.Create(t.Context(), EntityLeads, []NewTag{{Name: "срочно", Color: "#ddebb5"}, {Name: "окна"}})
	require.NoError(t, err)
	assert.Equal(t, int64(100667), saved[1].ID, "an existing name answers with its id")

	_, err = c.Tags.Create(t.Context(), EntityContacts, []NewTag{{Name: "x", Color: "DDEBB5"}})
	assert.Error(t, err, "only lead tags have colours")
	_, err = c.Tags.Create(t.Context(), EntityLeads, []NewTag{{Name: "x", Color: "123456"}})
	assert.Error(t, err)
	_, err = c.Tags.List(t.Context(), EntityCatalogElements, nil)
	assert.Error(t, err)
}
