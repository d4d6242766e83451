package amocrm

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCatalogsListGetAndProductsCatalog(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/catalogs", func(w http.ResponseWriter, r *http.Request) {
		// A server that ignores the type parameter still leaves the right catalog to be found.
		serveFixture(t, c, w, http.StatusOK, "catalogs_list.json")
	})
	mux.HandleFunc("GET /amo/api/v4/catalogs/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "4521" {
			writeJSON(t, w, http.StatusNotFound, map[string]any{"title": "Not Found", "status": 404, "detail": "Catalog not found"})
			return
		}
		writeJSON(t, w, http.StatusOK, map[string]any{"id": 4521, "name": "Товары", "type": "products", "can_be_deleted": false})
	})

	page, err := c.Catalogs.List(t.Context(), &CatalogListOptions{Limit: 50})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	assert.Equal(t, Catalog{ID: 4519, Name: "Suppliers list", Type: CatalogRegular, Sort: 10, CreatedBy: 504141, UpdatedBy: 504141,
		CreatedAt: Unix(1590742416), UpdatedAt: Unix(1590742416), CanAddElements: true, CanBeDeleted: true, AccountID: 28805383}, page.Items[0])

	pc, err := c.Catalogs.ProductsCatalog(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int64(4521), pc.ID)
	assert.True(t, pc.CanLinkMultiple)

	got, err := c.Catalogs.Get(t.Context(), 4521)
	require.NoError(t, err)
	assert.Equal(t, CatalogProducts, got.Type)
	_, err = c.Catalogs.Get(t.Context(), 1)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = c.Catalogs.Get(t.Context(), 0)
	assert.Error(t, err)

	var ids []int64
	for cat, err := range c.Catalogs.All(t.Context(), nil) {
		require.NoError(t, err)
		ids = append(ids, cat.ID)
	}
	assert.Equal(t, []int64{4519, 4521}, ids)
}

func TestProductsCatalogMissing(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/catalogs", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "products", r.URL.Query().Get("type"))
		w.WriteHeader(http.StatusNoContent)
	})
	_, err := c.Catalogs.ProductsCatalog(t.Context())
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestCatalogListOptionsValues(t *testing.T) {
	t.Parallel()
	got, err := (&CatalogListOptions{Type: CatalogProducts, Page: 2, Limit: 10}).values()
	require.NoError(t, err)
	assert.Equal(t, url.Values{"type": {"products"}, "page": {"2"}, "limit": {"10"}}, got)
	_, err = (&CatalogListOptions{Limit: 251}).values()
	assert.Error(t, err)

	got, err = (&ElementListOptions{IDs: []int64{1, 2}, Query: "glass", With: []ElementWith{ElementWithInvoiceLink}, Limit: 250}).values()
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"filter[id][]": {"1", "2"}, "id[]": {"1", "2"}, "query": {"glass"}, "with": {"invoice_link"}, "limit": {"250"},
	}, got)
	_, err = (&ElementListOptions{Page: -2}).values()
	assert.Error(t, err)
}

func TestCatalogElementsReadPricesExactly(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/catalogs/4521/elements", func(w http.ResponseWriter, r *http.Request) {
		serveFixture(t, c, w, http.StatusOK, "catalog_elements_list.json")
	})
	var els []CatalogElement
	for e, err := range c.Catalogs.AllElements(t.Context(), 4521, nil) {
		require.NoError(t, err)
		els = append(els, e)
	}
	require.Len(t, els, 4)

	glass := els[0]
	assert.Equal(t, "FG-4", glass.SKU())
	assert.Equal(t, "Clear float glass", glass.Description())
	assert.Equal(t, "", glass.ExternalID())
	assert.False(t, glass.IsDeleted, "is_deleted: null")
	assert.Equal(t, int64(643), glass.CurrencyID)
	group, ok := glass.Group()
	require.True(t, ok)
	assert.Equal(t, ProductGroup{ID: 30, Name: "Glass"}, group)

	for i, want := range []struct {
		price   Decimal
		kopecks int64
	}{{"1250.50", 125050}, {"990", 99000}, {"15.5", 1550}} {
		price, ok, err := els[i].Price()
		require.NoError(t, err, i)
		require.True(t, ok, i)
		assert.Equal(t, want.price, price, "PRICE as a string, a number and a decimal number")
		k, err := price.Kopecks()
		require.NoError(t, err)
		assert.Equal(t, want.kopecks, k)
	}
	_, ok, err := els[3].Price()
	assert.NoError(t, err)
	assert.False(t, ok, "no price")
	_, ok = els[3].Group()
	assert.False(t, ok)
	assert.Equal(t, "", els[3].SKU())

	bad := CatalogElement{ID: 1, CustomFieldsValues: CustomFields{{FieldCode: FieldCodePrice, Values: []CustomFieldValue{TextValue("n/a")}}}}
	_, ok, err = bad.Price()
	assert.True(t, ok)
	assert.ErrorContains(t, err, "PRICE")
}

func TestCatalogElementsListGetAnd204(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/catalogs/4521/elements", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "glass", r.URL.Query().Get("query"))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /amo/api/v4/catalogs/4521/elements/{id}", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "supplier_field_values", r.URL.Query().Get("with"))
		writeJSON(t, w, http.StatusOK, map[string]any{"id": 425909, "name": "Float glass 4 mm", "catalog_id": 4521, "is_deleted": nil,
			"custom_fields_values": []map[string]any{{"field_id": 1, "field_code": "SKU", "field_type": "text", "values": []map[string]any{{"value": "FG-4"}}}}})
	})
	page, err := c.Catalogs.ListElements(t.Context(), 4521, &ElementListOptions{Query: "glass"})
	require.NoError(t, err)
	assert.Empty(t, page.Items)

	e, err := c.Catalogs.GetElement(t.Context(), 4521, 425909, ElementWithSupplierFieldValues)
	require.NoError(t, err)
	assert.Equal(t, "FG-4", e.SKU())

	_, err = c.Catalogs.ListElements(t.Context(), 0, nil)
	assert.Error(t, err)
	_, err = c.Catalogs.GetElement(t.Context(), 4521, 0)
	assert.Error(t, err)
	for _, err := range c.Catalogs.AllElements(t.Context(), -1, nil) {
		assert.Error(t, err)
	}
}

func TestCatalogElementsWrites(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/catalogs/4521/elements", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[
			{"request_id":"0","name":"Float glass 4 mm","custom_fields_values":[
				{"field_code":"SKU","values":[{"value":"FG-4"}]},
				{"field_code":"PRICE","values":[{"value":1250.50}]},
				{"field_code":"DESCRIPTION","values":[{"value":"Clear"}]},
				{"field_code":"GROUP","values":[{"enum_id":30}]},
				{"field_code":"EXTERNAL_ID","values":[{"value":"1c-42"}]},
				{"field_id":271400,"values":[{"value":"mm"}]}]},
			{"request_id":"1","name":"Mirror 6 mm"}
		]`, rawBody(t, r))
		serveFixture(t, c, w, http.StatusOK, "catalog_elements_create.json") // request_id as numbers, out of order
	})
	mux.HandleFunc("PATCH /amo/api/v4/catalogs/4521/elements", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[
			{"request_id":"0","id":526681,"custom_fields_values":[{"field_code":"PRICE","values":[{"value":1300}]}]},
			{"request_id":"1","id":526683,"name":"Mirror 6 mm (silver)"}
		]`, rawBody(t, r))
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"elements": []map[string]any{
			{"id": 526681, "request_id": 0, "updated_at": 1700000000}, {"id": 526683, "request_id": 1, "updated_at": 1700000000}}}})
	})

	fields := ProductFields{SKU: "FG-4", Price: "1250.50", Description: "Clear", GroupID: 30, ExternalID: "1c-42"}.Fields()
	saved, err := c.Catalogs.CreateElements(t.Context(), 4521, []CreateElementRequest{
		{Name: "Float glass 4 mm", CustomFieldsValues: append(fields, FieldByID(271400, TextValue("mm")))},
		{Name: "Mirror 6 mm"},
	})
	require.NoError(t, err)
	assert.Equal(t, []Saved{{Index: 0, ID: 526681, UpdatedAt: Unix(1590745331)}, {Index: 1, ID: 526683, UpdatedAt: Unix(1590745331)}}, saved)

	saved, err = c.Catalogs.UpdateElements(t.Context(), 4521, []UpdateElementRequest{
		{ID: 526681, CustomFieldsValues: ProductFields{Price: DecimalFromInt(1300)}.Fields()},
		{ID: 526683, Name: new("Mirror 6 mm (silver)")},
	})
	require.NoError(t, err)
	assert.Len(t, saved, 2)

	_, err = c.Catalogs.CreateElements(t.Context(), 4521, []CreateElementRequest{{}})
	var be *BatchError
	require.ErrorAs(t, err, &be)
	assert.ErrorContains(t, be.Failed[0].Err, "needs a Name")
	_, err = c.Catalogs.UpdateElements(t.Context(), 4521, []UpdateElementRequest{{Name: new("x")}})
	require.ErrorAs(t, err, &be)
	_, err = c.Catalogs.CreateElements(t.Context(), 0, []CreateElementRequest{{Name: "x"}})
	assert.Error(t, err)
	_, err = c.Catalogs.UpdateElements(t.Context(), 0, nil)
	assert.Error(t, err)
	assert.Empty(t, ProductFields{}.Fields())
}
