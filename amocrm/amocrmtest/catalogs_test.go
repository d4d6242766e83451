package amocrmtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

type catalogJSON struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	CanBeDeleted bool   `json:"can_be_deleted"`
}

type elementJSON struct {
	ID                 int64           `json:"id"`
	Name               string          `json:"name"`
	CatalogID          int64           `json:"catalog_id"`
	IsDeleted          *bool           `json:"is_deleted"`
	RequestID          json.RawMessage `json:"request_id"`
	CustomFieldsValues []cfJSON        `json:"custom_fields_values"`
}

func elementID(e elementJSON) int64 { return e.ID }

func product(name, sku, price string) amocrmtest.Element {
	return amocrmtest.Element{Name: name, CustomFields: []amocrmtest.CustomFieldValue{
		{FieldCode: "SKU", Values: []amocrmtest.FieldValue{{Value: sku}}},
		{FieldCode: "PRICE", Values: []amocrmtest.FieldValue{{Value: price}}},
	}}
}

func TestCatalogs(t *testing.T) {
	t.Parallel()
	e := setup(t)
	products := e.acct.ProductsCatalog()
	assert.Equal(t, "products", products.Type)
	for _, code := range []string{"SKU", "PRICE", "DESCRIPTION", "GROUP"} {
		f, ok := products.Field(code)
		assert.True(t, ok, code)
		assert.NotZero(t, f.ID, code)
	}
	regular := e.acct.AddCatalog(amocrmtest.Catalog{Name: "Услуги", Fields: []amocrmtest.CustomField{{Name: "Цена", Type: "numeric"}}})

	all := decode[page[catalogJSON]](t, e.do(http.MethodGet, "/api/v4/catalogs", nil))
	require.Len(t, all.Embedded["catalogs"], 2)
	assert.False(t, all.Embedded["catalogs"][0].CanBeDeleted)
	onlyRegular := decode[page[catalogJSON]](t, e.do(http.MethodGet, "/api/v4/catalogs?type=regular", nil))
	assert.Equal(t, []int64{regular.ID}, ids(onlyRegular.Embedded["catalogs"], func(c catalogJSON) int64 { return c.ID }))

	one := decode[catalogJSON](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/catalogs/%d", products.ID), nil))
	assert.Equal(t, "Товары", one.Name)
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodGet, "/api/v4/catalogs/1", nil).StatusCode)

	type fieldJSON struct {
		ID   int64  `json:"id"`
		Code string `json:"code"`
		Type string `json:"type"`
	}
	fields := decode[page[fieldJSON]](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/catalogs/%d/custom_fields", products.ID), nil))
	price, _ := products.Field("PRICE")
	assert.Contains(t, fields.Embedded["custom_fields"], fieldJSON{ID: price.ID, Code: "PRICE", Type: "price"})
	contactFields := decode[page[fieldJSON]](t, e.do(http.MethodGet, "/api/v4/contacts/custom_fields", nil))
	var codes []string
	for _, f := range contactFields.Embedded["custom_fields"] {
		codes = append(codes, f.Code)
	}
	assert.Contains(t, codes, "PHONE")
	assert.Contains(t, codes, "EMAIL")
}

func TestElements(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cat := e.acct.ProductsCatalog()
	float := e.acct.AddElement(cat.ID, product("Стекло прозрачное М1, 8 мм", "float-8", "2300"))
	mirror := e.acct.AddElement(cat.ID, product("Зеркало серебро, 4 мм", "mirror-4", "1500"))
	base := fmt.Sprintf("/api/v4/catalogs/%d/elements", cat.ID)

	list := decode[page[elementJSON]](t, e.do(http.MethodGet, base, nil))
	assert.Equal(t, []int64{float.ID, mirror.ID}, ids(list.Embedded["elements"], elementID))
	first := list.Embedded["elements"][0]
	assert.Nil(t, first.IsDeleted, "is_deleted is null")
	require.Len(t, first.CustomFieldsValues, 2)
	assert.Equal(t, "2300", first.CustomFieldsValues[1].Values[0].Value, "PRICE comes back as a string")

	for _, q := range []string{"query=зеркало", "query=mirror-4", fmt.Sprintf("filter[id][0]=%d", mirror.ID), fmt.Sprintf("id[]=%d", mirror.ID)} {
		got := decode[page[elementJSON]](t, e.do(http.MethodGet, base+"?"+q, nil))
		assert.Equal(t, []int64{mirror.ID}, ids(got.Embedded["elements"], elementID), q)
	}
	assert.Equal(t, http.StatusNoContent, e.do(http.MethodGet, base+"?query=дерево", nil).StatusCode)

	r := e.do(http.MethodPost, base, `[{"name":"Петля стена–стекло","request_id":7,"custom_fields_values":[
		{"field_code":"SKU","values":[{"value":"hinge_wall_glass"}]},{"field_code":"PRICE","values":[{"value":2500}]}]}]`)
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	created := decode[page[elementJSON]](t, r).Embedded["elements"]
	require.Len(t, created, 1)
	assert.JSONEq(t, `7`, string(created[0].RequestID), "request_id is echoed as given, a number here")
	hinge, ok := e.srv.Element(created[0].ID)
	require.True(t, ok)
	assert.Equal(t, "2500", hinge.CustomFields[1].Values[0].Value)

	bad := e.do(http.MethodPost, base, `[{"name":"x","custom_fields_values":[{"field_code":"PRICE","values":[{"value":"дорого"}]}]}]`)
	assert.Equal(t, http.StatusBadRequest, bad.StatusCode)
	assert.Equal(t, http.StatusBadRequest, e.do(http.MethodPost, base, `[{"custom_fields_values":[]}]`).StatusCode, "name is required")

	up := e.do(http.MethodPatch, base, fmt.Sprintf(`[{"id":%d,"custom_fields_values":[{"field_code":"PRICE","values":[{"value":"1600"}]}]}]`, mirror.ID))
	require.Equal(t, http.StatusOK, up.StatusCode, "%s", up.body)
	one := e.do(http.MethodPatch, fmt.Sprintf("%s/%d", base, float.ID), `{"name":"Стекло М1, 8 мм"}`)
	require.Equal(t, http.StatusOK, one.StatusCode, "%s", one.body)
	els := e.srv.Elements(cat.ID)
	require.Len(t, els, 3)
	assert.Equal(t, "Стекло М1, 8 мм", els[0].Name)
	assert.Equal(t, "1600", els[1].CustomFields[1].Values[0].Value)
	assert.Equal(t, "mirror-4", els[1].CustomFields[0].Values[0].Value, "fields not sent are kept")

	got := decode[elementJSON](t, e.do(http.MethodGet, fmt.Sprintf("%s/%d", base, mirror.ID), nil))
	assert.Equal(t, cat.ID, got.CatalogID)
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodGet, fmt.Sprintf("%s/%d", base, 1), nil).StatusCode)
	assert.Equal(t, http.StatusBadRequest, e.do(http.MethodPatch, base, `[{"id":1}]`).StatusCode)
}
