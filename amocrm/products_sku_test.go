package amocrm

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindBySKUMatchesExactly(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/catalogs/4521/elements", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "GL-4", r.URL.Query().Get("query"))
		assert.Equal(t, "250", r.URL.Query().Get("limit"))
		sku := func(id, v string) string {
			return `{"id":` + id + `,"name":"n","custom_fields_values":[{"field_code":"SKU","values":[{"value":"` + v + `"}]}]}`
		}
		switch r.URL.Query().Get("page") {
		case "":
			// A full-text search: longer articles, other case, and a description mentioning it.
			w.Write([]byte(`{"_page":1,"_links":{"next":{"href":"` + c.BaseURL() + `api/v4/catalogs/4521/elements?query=GL-4&limit=250&page=2"}},"_embedded":{"elements":[` +
				sku("1", "GL-40") + `,` + sku("2", "gl-4") + `,` + sku("3", "GL-4") + `,` +
				`{"id":4,"name":"see GL-4","custom_fields_values":[{"field_code":"DESCRIPTION","values":[{"value":"like GL-4"}]}]}]}}`))
		default:
			w.Write([]byte(`{"_page":2,"_embedded":{"elements":[` + sku("5", "GL-4") + `]}}`))
		}
	})
	mux.HandleFunc("GET /amo/api/v4/catalogs/4522/elements", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	found, err := c.Catalogs.FindBySKU(t.Context(), 4521, "GL-4")
	require.NoError(t, err)
	require.Len(t, found, 2)
	assert.Equal(t, int64(3), found[0].ID)
	assert.Equal(t, int64(5), found[1].ID, "every page is searched")
	none, err := c.Catalogs.FindBySKU(t.Context(), 4522, "GL-4")
	require.NoError(t, err)
	assert.Empty(t, none)
	_, err = c.Catalogs.FindBySKU(t.Context(), 4521, " ")
	assert.Error(t, err)
}
