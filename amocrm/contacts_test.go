package amocrm

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContactListOptionsValues(t *testing.T) {
	t.Parallel()
	from := time.Unix(1700000000, 0)
	got, err := (&ContactListOptions{
		IDs:                []int64{1},
		Names:              []string{"Ivan"},
		Created:            TimeRange{From: from},
		Updated:            TimeRange{To: from},
		ClosestTask:        TimeRange{From: from},
		ResponsibleUserIDs: []int64{2},
		CreatedBy:          []int64{3},
		UpdatedBy:          []int64{4},
		CustomFields:       []CustomFieldFilter{{FieldID: 9, Values: []string{"x"}}},
		Query:              "+7900",
		Order:              Sort{By: SortByID, Dir: Asc},
		With:               []ContactWith{ContactWithLeads, ContactWithCatalogElements},
		Page:               2,
		Limit:              50,
	}).values()
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"filter[id][]":                      {"1"},
		"filter[name][]":                    {"Ivan"},
		"filter[created_at][from]":          {"1700000000"},
		"filter[updated_at][to]":            {"1700000000"},
		"filter[closest_task_at][from]":     {"1700000000"},
		"filter[responsible_user_id][]":     {"2"},
		"filter[created_by][]":              {"3"},
		"filter[updated_by][]":              {"4"},
		"filter[custom_fields_values][9][]": {"x"},
		"query":                             {"+7900"},
		"order[id]":                         {"asc"},
		"with":                              {"leads,catalog_elements"},
		"page":                              {"2"},
		"limit":                             {"50"},
	}, got)
	for name, o := range map[string]*ContactListOptions{
		"limit":            {Limit: 251},
		"order created_at": {Order: Sort{By: SortByCreatedAt, Dir: Asc}},
		"field filter":     {CustomFields: []CustomFieldFilter{{FieldID: 1}}},
	} {
		_, err := o.values()
		assert.Error(t, err, name)
	}
}

func TestContactsListAndPhones(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "ivan", r.URL.Query().Get("query"))
		serveFixture(t, c, w, http.StatusOK, "contacts_list.json")
	})
	page, err := c.Contacts.List(t.Context(), &ContactListOptions{Query: "ivan"})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	assert.False(t, page.HasNext())

	ivan := page.Items[0]
	assert.Equal(t, "Ivan", ivan.FirstName)
	phones := ivan.Phones()
	require.Len(t, phones, 2)
	assert.Equal(t, "+79001234567", phones[0].String())
	assert.Equal(t, string(PhoneMobile), phones[0].EnumCode)
	assert.Equal(t, string(PhoneWork), phones[1].EnumCode)
	emails := ivan.Emails()
	require.Len(t, emails, 1)
	assert.Equal(t, "ivan@example.com", emails[0].String())
	assert.Equal(t, string(EmailWork), emails[0].EnumCode, `read from "enum"`)
	assert.Equal(t, int64(7), emails[0].EnumID, "enum_id as a string")
	assert.Equal(t, []EntityRef{{ID: 1}}, ivan.Embedded.Companies)

	bare := page.Items[1]
	assert.Nil(t, bare.CustomFieldsValues)
	assert.Empty(t, bare.Phones())
	assert.Empty(t, bare.Emails())
	assert.Equal(t, []EntityRef{{ID: 3912171}}, bare.Embedded.Leads)

	var ids []int64
	for ct, err := range c.Contacts.All(t.Context(), &ContactListOptions{Query: "ivan"}) {
		require.NoError(t, err)
		ids = append(ids, ct.ID)
	}
	assert.Equal(t, []int64{7143599, 7143600}, ids)
	for _, err := range c.Contacts.All(t.Context(), &ContactListOptions{Limit: -1}) {
		assert.Error(t, err)
	}
}

func TestContactsGet(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "7" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		assert.Equal(t, "leads", r.URL.Query().Get("with"))
		writeJSON(t, w, http.StatusOK, map[string]any{"id": 7, "name": "Anna", "custom_fields_values": nil,
			"_embedded": map[string]any{"leads": []map[string]any{{"id": 1}, {"id": 2}}}})
	})
	ct, err := c.Contacts.Get(t.Context(), 7, ContactWithLeads)
	require.NoError(t, err)
	assert.Equal(t, "Anna", ct.Name)
	assert.Equal(t, []EntityRef{{ID: 1}, {ID: 2}}, ct.Embedded.Leads)
	_, err = c.Contacts.Get(t.Context(), 8)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = c.Contacts.Get(t.Context(), -1)
	assert.Error(t, err)
}

func TestContactsWrites(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[
			{"request_id":"0","name":"Ivan Petrov","first_name":"Ivan","last_name":"Petrov","responsible_user_id":5,
			 "custom_fields_values":[
			   {"field_code":"PHONE","values":[{"value":"+79001234567","enum_code":"MOB"},{"value":"+74951234567","enum_code":"WORK"}]},
			   {"field_code":"EMAIL","values":[{"value":"ivan@example.com","enum_code":"WORK"}]}],
			 "_embedded":{"tags":[{"name":"retail"}]}},
			{"request_id":"1","name":"Anna"}
		]`, rawBody(t, r))
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"contacts": []map[string]any{
			{"id": 11, "request_id": "0"}, {"id": 12, "request_id": "1"}}}})
	})
	mux.HandleFunc("PATCH /amo/api/v4/contacts", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[
			{"request_id":"0","id":11,"last_name":"","custom_fields_values":[{"field_code":"EMAIL","values":null}],"tags_to_delete":[{"name":"retail"}]},
			{"request_id":"1","id":12,"_embedded":{"tags":null}}
		]`, rawBody(t, r))
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"contacts": []map[string]any{
			{"id": 11, "updated_at": 1700000001, "request_id": "0"}, {"id": 12, "updated_at": 1700000002, "request_id": "1"}}}})
	})
	mux.HandleFunc("PATCH /amo/api/v4/contacts/11", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `{"id":11,"name":"Ivan P.","custom_fields_values":[{"field_code":"PHONE","values":[{"value":"+79001112233","enum_code":"HOME"}]}]}`, rawBody(t, r))
		writeJSON(t, w, http.StatusOK, map[string]any{"id": 11, "updated_at": 1700000003})
	})

	saved, err := c.Contacts.Create(t.Context(), []CreateContactRequest{
		{
			Name: "Ivan Petrov", FirstName: "Ivan", LastName: "Petrov", ResponsibleUserID: 5,
			CustomFieldsValues: []CustomFieldInput{
				PhoneField(Phone("+79001234567", PhoneMobile), Phone("+74951234567", PhoneWork)),
				EmailField(Email("ivan@example.com", EmailWork)),
			},
			Tags: []TagRef{TagNamed("retail")},
		},
		{Name: "Anna"},
	})
	require.NoError(t, err)
	assert.Equal(t, []Saved{{Index: 0, ID: 11}, {Index: 1, ID: 12}}, saved)

	saved, err = c.Contacts.Update(t.Context(), []UpdateContactRequest{
		{ID: 11, LastName: new(""), CustomFieldsValues: []CustomFieldInput{ClearFieldByCode(FieldCodeEmail)}, TagsToDelete: []TagRef{TagNamed("retail")}},
		{ID: 12, Tags: ClearTags()},
	})
	require.NoError(t, err)
	assert.Equal(t, []Saved{{Index: 0, ID: 11, UpdatedAt: Unix(1700000001)}, {Index: 1, ID: 12, UpdatedAt: Unix(1700000002)}}, saved)

	one, err := c.Contacts.UpdateOne(t.Context(), 11, UpdateContactRequest{Name: new("Ivan P."),
		CustomFieldsValues: []CustomFieldInput{PhoneField(Phone("+79001112233", PhoneHome))}})
	require.NoError(t, err)
	assert.Equal(t, Saved{ID: 11, UpdatedAt: Unix(1700000003)}, one)

	_, err = c.Contacts.Update(t.Context(), []UpdateContactRequest{{Name: new("no id")}})
	var be *BatchError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, []int{0}, be.Indexes())
}

func TestContactsLinks(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/contacts/7/link", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"to_entity_id":3912171,"to_entity_type":"leads"},{"to_entity_id":1,"to_entity_type":"companies"}]`, rawBody(t, r))
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"links": []map[string]any{
			{"entity_id": 7, "entity_type": "contacts", "to_entity_id": 3912171, "to_entity_type": "leads", "metadata": nil},
			{"entity_id": 7, "entity_type": "contacts", "to_entity_id": 1, "to_entity_type": "companies"}}}})
	})
	mux.HandleFunc("POST /amo/api/v4/contacts/7/unlink", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /amo/api/v4/contacts/7/links", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "4521", r.URL.Query().Get("filter[to_catalog_id]"))
		writeJSON(t, w, http.StatusOK, map[string]any{"_embedded": map[string]any{"links": []map[string]any{
			{"entity_id": 7, "entity_type": "contacts", "to_entity_id": 425909, "to_entity_type": "catalog_elements",
				"metadata": map[string]any{"catalog_id": 4521, "quantity": 1}}}}})
	})
	made, err := c.Contacts.Link(t.Context(), 7, []Link{LinkLead(3912171), LinkCompany(1)})
	require.NoError(t, err)
	assert.Equal(t, []Link{
		{EntityID: 7, EntityType: EntityContacts, ToEntityID: 3912171, ToEntityType: EntityLeads},
		{EntityID: 7, EntityType: EntityContacts, ToEntityID: 1, ToEntityType: EntityCompanies},
	}, made)
	require.NoError(t, c.Contacts.Unlink(t.Context(), 7, []Link{LinkLead(3912171)}))
	ls, err := c.Contacts.Links(t.Context(), 7, &LinkFilter{ToCatalogID: 4521})
	require.NoError(t, err)
	require.Len(t, ls, 1)
	assert.Equal(t, LinkMetadata{CatalogID: 4521, Quantity: "1"}, ls[0].Metadata)
}
