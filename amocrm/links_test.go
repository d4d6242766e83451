package amocrm

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLinkMetadataDecodes(t *testing.T) {
	t.Parallel()
	cases := map[string]LinkMetadata{
		`null`:                   {},
		`{}`:                     {},
		`{"is_main":true}`:       {IsMain: true},
		`{"main_contact":true}`:  {IsMain: true},
		`{"main_contact":false}`: {},
		`{"quantity":"2.500","catalog_id":4521,"price_id":null,"updated_by":3}`: {Quantity: "2.500", CatalogID: 4521, UpdatedBy: 3},
		`{"quantity":10.22,"catalog_id":4521,"price_id":271319}`:                {Quantity: "10.22", CatalogID: 4521, PriceID: 271319},
	}
	for in, want := range cases {
		var m LinkMetadata
		require.NoError(t, json.Unmarshal([]byte(in), &m), in)
		assert.Equal(t, want, m, in)
	}
	var m LinkMetadata
	assert.Error(t, json.Unmarshal([]byte(`{"catalog_id":"x"}`), &m))
}

func TestLinkBuildersAndFilter(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal([]Link{LinkContact(1, true), LinkLead(2), LinkCompany(3), LinkCatalogElement(4, 5, "", 0)})
	require.NoError(t, err)
	assert.JSONEq(t, `[
		{"to_entity_id":1,"to_entity_type":"contacts","metadata":{"is_main":true}},
		{"to_entity_id":2,"to_entity_type":"leads"},
		{"to_entity_id":3,"to_entity_type":"companies"},
		{"to_entity_id":4,"to_entity_type":"catalog_elements","metadata":{"catalog_id":5}}
	]`, string(b), "an empty quantity is left to amoCRM's default")

	q, err := (*LinkFilter)(nil).values()
	require.NoError(t, err)
	assert.Equal(t, url.Values{}, q.values())
	q, err = (&LinkFilter{ToEntityType: EntityCatalogElements, ToEntityID: 4, ToCatalogID: 5}).values()
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"filter[to_entity_type]": {"catalog_elements"},
		"filter[to_entity_id]":   {"4"},
		"filter[to_catalog_id]":  {"5"},
	}, q.values())
	_, err = (&LinkFilter{ToEntityID: 4}).values()
	assert.Error(t, err, "an id alone could be of any type")

	// Only the target and metadata of a Link go into a link request.
	body, err := linkBodies([]Link{{EntityID: 9, EntityType: EntityLeads, ToEntityID: 1, ToEntityType: EntityContacts}})
	require.NoError(t, err)
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	assert.JSONEq(t, `[{"to_entity_id":1,"to_entity_type":"contacts"}]`, string(raw))
}
