package amocrmtest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

type linkJSON struct {
	EntityID     int64          `json:"entity_id"`
	EntityType   string         `json:"entity_type"`
	ToEntityID   int64          `json:"to_entity_id"`
	ToEntityType string         `json:"to_entity_type"`
	Metadata     map[string]any `json:"metadata"`
}

type linksAnswer struct {
	Embedded struct {
		Links []linkJSON `json:"links"`
	} `json:"_embedded"`
}

func TestLinkProducts(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cat := e.acct.ProductsCatalog()
	price, _ := cat.Field("PRICE")
	glass := e.acct.AddElement(cat.ID, product("Стекло", "float-8", "2300"))
	hinge := e.acct.AddElement(cat.ID, product("Петля", "hinge", "2500"))
	contact := e.acct.AddContact(amocrmtest.Contact{Name: "Мария"})
	lead := e.acct.AddLead(amocrmtest.Lead{Name: "Душевая"})
	path := fmt.Sprintf("/api/v4/leads/%d/link", lead.ID)

	r := e.do(http.MethodPost, path, fmt.Sprintf(`[
		{"to_entity_id":%d,"to_entity_type":"catalog_elements","metadata":{"catalog_id":%d,"quantity":1.8,"price_id":%d}},
		{"to_entity_id":%d,"to_entity_type":"catalog_elements","metadata":{"catalog_id":%d,"quantity":2}},
		{"to_entity_id":%d,"to_entity_type":"contacts","metadata":{"is_main":true}}]`,
		glass.ID, cat.ID, price.ID, hinge.ID, cat.ID, contact.ID))
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	res := decode[linksAnswer](t, r).Embedded.Links
	require.Len(t, res, 3)
	assert.Equal(t, linkJSON{EntityID: lead.ID, EntityType: "leads", ToEntityID: glass.ID, ToEntityType: "catalog_elements",
		Metadata: map[string]any{"catalog_id": float64(cat.ID), "quantity": 1.8, "price_id": float64(price.ID)}}, res[0])

	got := decode[leadJSON](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/%d?with=catalog_elements,contacts", lead.ID), nil))
	require.Len(t, got.Embedded.CatalogElements, 2)
	assert.Equal(t, glass.ID, got.Embedded.CatalogElements[0].ID)
	assert.Equal(t, 1.8, got.Embedded.CatalogElements[0].Metadata["quantity"])
	require.Len(t, got.Embedded.Contacts, 1)
	assert.True(t, got.Embedded.Contacts[0].IsMain)

	onlyProducts := decode[linksAnswer](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/%d/links?filter[to_entity_type]=catalog_elements", lead.ID), nil))
	assert.Len(t, onlyProducts.Embedded.Links, 2)
	byCatalog := decode[linksAnswer](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/%d/links?filter[to_catalog_id]=%d&filter[to_entity_type]=catalog_elements&filter[to_entity_id]=%d", lead.ID, cat.ID, hinge.ID), nil))
	require.Len(t, byCatalog.Embedded.Links, 1)
	assert.Equal(t, hinge.ID, byCatalog.Embedded.Links[0].ToEntityID)
	assert.Equal(t, http.StatusBadRequest, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/%d/links?filter[to_entity_id]=%d", lead.ID, hinge.ID), nil).StatusCode,
		"an id is filtered together with its type")

	// Linking again changes the quantity in place.
	again := e.do(http.MethodPost, path, fmt.Sprintf(`[{"to_entity_id":%d,"to_entity_type":"catalog_elements","metadata":{"catalog_id":%d,"quantity":3}}]`, hinge.ID, cat.ID))
	require.Equal(t, http.StatusOK, again.StatusCode)
	links := e.srv.Links("leads", lead.ID)
	require.Len(t, links, 3)
	assert.Equal(t, 3.0, links[1].Metadata["quantity"])
	fromElement := e.srv.Links("catalog_elements", hinge.ID)
	require.Len(t, fromElement, 1)
	assert.Equal(t, lead.ID, fromElement[0].ToEntityID)

	un := e.do(http.MethodPost, fmt.Sprintf("/api/v4/leads/%d/unlink", lead.ID), fmt.Sprintf(`[
		{"to_entity_id":%d,"to_entity_type":"catalog_elements","metadata":{"catalog_id":%d}},
		{"to_entity_id":%d,"to_entity_type":"catalog_elements"},
		{"to_entity_id":%d,"to_entity_type":"contacts"}]`, glass.ID, cat.ID, hinge.ID, contact.ID))
	assert.Equal(t, http.StatusNoContent, un.StatusCode, "%s", un.body)
	assert.Empty(t, un.body)
	assert.Empty(t, e.srv.Links("leads", lead.ID))
	assert.Equal(t, http.StatusNoContent, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/%d/links", lead.ID), nil).StatusCode)
}

func TestLinkValidation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cat := e.acct.ProductsCatalog()
	other := e.acct.AddCatalog(amocrmtest.Catalog{Name: "Другое"})
	el := e.acct.AddElement(cat.ID, product("Стекло", "float-8", "2300"))
	lead := e.acct.AddLead(amocrmtest.Lead{})
	path := fmt.Sprintf("/api/v4/leads/%d/link", lead.ID)
	cases := map[string]struct{ body, code, field string }{
		"no catalog_id":   {fmt.Sprintf(`[{"to_entity_id":%d,"to_entity_type":"catalog_elements","metadata":{"quantity":1}}]`, el.ID), "FieldMissing", "metadata.catalog_id"},
		"wrong catalog":   {fmt.Sprintf(`[{"to_entity_id":%d,"to_entity_type":"catalog_elements","metadata":{"catalog_id":%d}}]`, el.ID, other.ID), "NotSupportedChoice", "metadata.catalog_id"},
		"unknown element": {fmt.Sprintf(`[{"to_entity_id":1,"to_entity_type":"catalog_elements","metadata":{"catalog_id":%d}}]`, cat.ID), "NotSupportedChoice", "to_entity_id"},
		"bad price_id":    {fmt.Sprintf(`[{"to_entity_id":%d,"to_entity_type":"catalog_elements","metadata":{"catalog_id":%d,"price_id":1}}]`, el.ID, cat.ID), "NotSupportedChoice", "metadata.price_id"},
		"quantity string": {fmt.Sprintf(`[{"to_entity_id":%d,"to_entity_type":"catalog_elements","metadata":{"catalog_id":%d,"quantity":"2"}}]`, el.ID, cat.ID), "InvalidType", "metadata.quantity"},
		"bad target type": {`[{"to_entity_id":1,"to_entity_type":"leads"}]`, "NotSupportedChoice", "to_entity_type"},
		"no target":       {`[{"to_entity_type":"contacts"}]`, "FieldMissing", "to_entity_id"},
	}
	for name, tc := range cases {
		r := e.do(http.MethodPost, path, tc.body)
		require.Equal(t, http.StatusBadRequest, r.StatusCode, "%s: %s", name, r.body)
		ve := decode[problemJSON](t, r).ValidationErrors
		require.NotEmpty(t, ve, name)
		assert.Equal(t, tc.code, ve[0].Errors[0].Code, name)
		assert.Equal(t, tc.field, ve[0].Errors[0].Path, name)
	}
	assert.Empty(t, e.srv.Links("leads", lead.ID))
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodPost, "/api/v4/leads/1/link", `[]`).StatusCode)
}

func TestLinkMass(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c1 := e.acct.AddContact(amocrmtest.Contact{Name: "Один"})
	c2 := e.acct.AddContact(amocrmtest.Contact{Name: "Два"})
	l1 := e.acct.AddLead(amocrmtest.Lead{})
	l2 := e.acct.AddLead(amocrmtest.Lead{})
	r := e.do(http.MethodPost, "/api/v4/leads/link", fmt.Sprintf(`[
		{"entity_id":%d,"to_entity_id":%d,"to_entity_type":"contacts"},
		{"entity_id":%d,"entity_type":"leads","to_entity_id":%d,"to_entity_type":"contacts","metadata":{"is_main":true}}]`, l1.ID, c1.ID, l2.ID, c2.ID))
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	assert.Len(t, decode[linksAnswer](t, r).Embedded.Links, 2)

	list := decode[linksAnswer](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/links?filter[entity_id][]=%d&filter[entity_id][]=%d", l1.ID, l2.ID), nil))
	require.Len(t, list.Embedded.Links, 2)
	assert.Equal(t, c2.ID, list.Embedded.Links[1].ToEntityID)
	assert.Equal(t, true, list.Embedded.Links[1].Metadata["is_main"])
	assert.Equal(t, http.StatusBadRequest, e.do(http.MethodGet, "/api/v4/leads/links", nil).StatusCode, "filter[entity_id] is required")
	assert.Equal(t, http.StatusBadRequest, e.do(http.MethodPost, "/api/v4/leads/link", fmt.Sprintf(`[{"to_entity_id":%d,"to_entity_type":"contacts"}]`, c1.ID)).StatusCode)

	un := e.do(http.MethodPost, "/api/v4/leads/unlink", fmt.Sprintf(`[{"entity_id":%d,"to_entity_id":%d,"to_entity_type":"contacts"}]`, l1.ID, c1.ID))
	assert.Equal(t, http.StatusNoContent, un.StatusCode, "%s", un.body)
	assert.Empty(t, e.srv.Links("leads", l1.ID))
	assert.Len(t, e.srv.Links("contacts", c2.ID), 1)
}
