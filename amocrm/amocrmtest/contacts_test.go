package amocrmtest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

type contactJSON struct {
	ID                 int64    `json:"id"`
	Name               string   `json:"name"`
	FirstName          string   `json:"first_name"`
	LastName           string   `json:"last_name"`
	CustomFieldsValues []cfJSON `json:"custom_fields_values"`
	Embedded           struct {
		Leads []struct {
			ID int64 `json:"id"`
		} `json:"leads"`
	} `json:"_embedded"`
}

func TestContactsCreateAndSearch(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.do(http.MethodPost, "/api/v4/contacts", `[
		{"first_name":"Алексей","last_name":"Петров","custom_fields_values":[
			{"field_code":"PHONE","values":[{"value":"+7 916 123-45-67","enum_code":"MOB"},{"value":"+7 495 000-00-00"}]},
			{"field_code":"EMAIL","values":[{"value":"a.petrov@example.ru","enum_code":"PRIV"}]}]},
		{"name":"Мария Иванова"}]`)
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	res := decode[writeAnswer](t, r).Embedded["contacts"]
	require.Len(t, res, 2)

	got := decode[contactJSON](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/contacts/%d", res[0].ID), nil))
	assert.Equal(t, "Алексей Петров", got.Name)
	require.Len(t, got.CustomFieldsValues, 2)
	phone := got.CustomFieldsValues[0]
	assert.Equal(t, "PHONE", *phone.FieldCode)
	assert.Equal(t, "multitext", phone.FieldType)
	require.Len(t, phone.Values, 2)
	assert.Equal(t, "MOB", phone.Values[0].EnumCode)
	assert.NotZero(t, phone.Values[0].EnumID)
	assert.Equal(t, "WORK", phone.Values[1].EnumCode, "a phone without an enum gets the first one")

	for _, q := range []string{"79161234567", "916%20123", "%2B7%20(916)%20123-45-67", "петров", "example.ru"} {
		p := decode[page[contactJSON]](t, e.do(http.MethodGet, "/api/v4/contacts?query="+q, nil))
		assert.Equal(t, []int64{res[0].ID}, ids(p.Embedded["contacts"], func(c contactJSON) int64 { return c.ID }), q)
	}

	bad := e.do(http.MethodPost, "/api/v4/contacts", `[{"custom_fields_values":[{"field_code":"PHONE","values":[{"value":"1","enum_code":"PAGER"}]}]}]`)
	assert.Equal(t, http.StatusBadRequest, bad.StatusCode)
	assert.Equal(t, "custom_fields_values.0.values.0.enum_code", decode[problemJSON](t, bad).ValidationErrors[0].Errors[0].Path)

	assert.Equal(t, http.StatusBadRequest, e.do(http.MethodGet, "/api/v4/contacts?order[created_at]=asc", nil).StatusCode,
		"contacts sort by updated_at or id only")
	ordered := decode[page[contactJSON]](t, e.do(http.MethodGet, "/api/v4/contacts?order[id]=desc", nil))
	assert.Equal(t, []int64{res[1].ID, res[0].ID}, ids(ordered.Embedded["contacts"], func(c contactJSON) int64 { return c.ID }))
}

func TestContactsWithLeadsAndUpdate(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.acct.AddContact(amocrmtest.Contact{FirstName: "Сергей"})
	l := e.acct.AddLead(amocrmtest.Lead{ContactIDs: []int64{c.ID}})
	got := decode[contactJSON](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/contacts/%d?with=leads", c.ID), nil))
	require.Len(t, got.Embedded.Leads, 1)
	assert.Equal(t, l.ID, got.Embedded.Leads[0].ID)

	r := e.do(http.MethodPatch, "/api/v4/contacts", fmt.Sprintf(`[{"id":%d,"last_name":"Кузнецов","custom_fields_values":[{"field_code":"EMAIL","values":[{"value":"s@k.example"}]}]}]`, c.ID))
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	back, ok := e.srv.Contact(c.ID)
	require.True(t, ok)
	assert.Equal(t, "Кузнецов", back.LastName)
	require.Len(t, back.CustomFields, 1)
	assert.Equal(t, "s@k.example", back.CustomFields[0].Values[0].Value)
	assert.Equal(t, []int64{l.ID}, back.LeadIDs)

	clear := e.do(http.MethodPatch, fmt.Sprintf("/api/v4/contacts/%d", c.ID), `{"custom_fields_values":[{"field_code":"EMAIL","values":null}]}`)
	require.Equal(t, http.StatusOK, clear.StatusCode, "%s", clear.body)
	back, _ = e.srv.Contact(c.ID)
	assert.Empty(t, back.CustomFields, "values: null clears the field")
}
