package amocrm

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompaniesList(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/companies", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, url.Values{
			"with": {"contacts,leads"}, "filter[name][]": {"ООО Стекло"}, "filter[responsible_user_id][]": {"504141"},
			"order[id]": {"asc"}, "limit": {"2"},
		}, r.URL.Query())
		serveFixture(t, c, w, http.StatusOK, "companies_list.json")
	})
	p, err := c.Companies.List(t.Context(), &CompanyListOptions{
		Names: []string{"ООО Стекло"}, ResponsibleUserIDs: []int64{504141}, Order: Sort{By: SortByID, Dir: Asc},
		With: []CompanyWith{CompanyWithContacts, CompanyWithLeads}, Limit: 2,
	})
	require.NoError(t, err)
	require.Len(t, p.Items, 2)
	assert.True(t, p.HasNext())
	co := p.Items[0]
	assert.Equal(t, "ООО Стекло", co.Name)
	require.Len(t, co.Phones(), 1)
	assert.Equal(t, "WORK", co.Phones()[0].EnumCode, `"enum" read as the code`)
	assert.Equal(t, []EntityRef{{ID: 7143599}}, co.Embedded.Contacts)
	assert.Equal(t, []EntityRef{{ID: 1}, {ID: 2}}, co.Embedded.Leads)
	assert.Equal(t, Decimal("1.5"), co.Embedded.CatalogElements[0].Metadata.Quantity)
	assert.Equal(t, []Tag{{ID: 100667, Name: "опт"}}, co.Embedded.Tags)
	assert.Nil(t, p.Items[1].CustomFieldsValues)
	assert.Equal(t, int64(1586360000), p.Items[1].ClosestTaskAt.Unix())

	_, err = c.Companies.List(t.Context(), &CompanyListOptions{Order: Sort{By: SortByCreatedAt, Dir: Asc}})
	assert.Error(t, err, "companies are not ordered by created_at")
}

func TestCompaniesGetAnswers204ForUnknown(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/companies/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "404" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		assert.Equal(t, "leads", r.URL.Query().Get("with"))
		w.Write([]byte(`{"id":7767065,"name":"ООО Стекло","_embedded":{"leads":[{"id":9}]}}`))
	})
	co, err := c.Companies.Get(t.Context(), 7767065, CompanyWithLeads)
	require.NoError(t, err)
	assert.Equal(t, []EntityRef{{ID: 9}}, co.Embedded.Leads)
	_, err = c.Companies.Get(t.Context(), 404)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = c.Companies.Get(t.Context(), 0)
	assert.Error(t, err)
}

func TestCompaniesWrites(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/companies", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"request_id":"0","name":"ООО Стекло","responsible_user_id":504141,
			"custom_fields_values":[{"field_code":"PHONE","values":[{"value":"+79001234567","enum_code":"WORK"}]}],
			"_embedded":{"tags":[{"name":"опт"}]}},{"request_id":"1","name":"ИП Рамы"}]`, rawBody(t, r))
		w.Write([]byte(`{"_embedded":{"companies":[{"id":11,"request_id":"0"},{"id":12,"request_id":"1"}]}}`))
	})
	mux.HandleFunc("PATCH /amo/api/v4/companies", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"request_id":"0","id":11,"name":"ООО Стекло и Ко","tags_to_add":[{"name":"vip"}],"_embedded":{"tags":null}}]`, rawBody(t, r))
		w.Write([]byte(`{"_embedded":{"companies":[{"id":11,"name":"ООО Стекло и Ко","updated_at":1700000000,"request_id":"0"}]}}`))
	})
	mux.HandleFunc("PATCH /amo/api/v4/companies/12", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `{"id":12,"responsible_user_id":7}`, rawBody(t, r))
		w.Write([]byte(`{"id":12,"updated_at":1700000001}`))
	})
	mux.HandleFunc("POST /amo/api/v4/companies/11/link", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"to_entity_id":5,"to_entity_type":"contacts"},{"to_entity_id":9,"to_entity_type":"leads"}]`, rawBody(t, r))
		w.Write([]byte(`{"_embedded":{"links":[{"entity_id":11,"entity_type":"companies","to_entity_id":5,"to_entity_type":"contacts"},{"entity_id":11,"entity_type":"companies","to_entity_id":9,"to_entity_type":"leads"}]}}`))
	})
	mux.HandleFunc("POST /amo/api/v4/companies/11/unlink", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /amo/api/v4/companies/11/links", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "leads", r.URL.Query().Get("filter[to_entity_type]"))
		w.Write([]byte(`{"_embedded":{"links":[{"entity_id":11,"entity_type":"companies","to_entity_id":9,"to_entity_type":"leads"}]}}`))
	})

	saved, err := c.Companies.Create(t.Context(), []CreateCompanyRequest{
		{Name: "ООО Стекло", ResponsibleUserID: 504141, CustomFieldsValues: []CustomFieldInput{PhoneField(Phone("+79001234567", PhoneWork))}, Tags: []TagRef{TagNamed("опт")}},
		{Name: "ИП Рамы"},
	})
	require.NoError(t, err)
	assert.Equal(t, []Saved{{Index: 0, ID: 11}, {Index: 1, ID: 12}}, saved)

	name := "ООО Стекло и Ко"
	saved, err = c.Companies.Update(t.Context(), []UpdateCompanyRequest{{ID: 11, Name: &name, TagsToAdd: []TagRef{TagNamed("vip")}, Tags: ClearTags()}})
	require.NoError(t, err)
	assert.Equal(t, Unix(1700000000), saved[0].UpdatedAt)
	one, err := c.Companies.UpdateOne(t.Context(), 12, UpdateCompanyRequest{ResponsibleUserID: 7})
	require.NoError(t, err)
	assert.Equal(t, int64(12), one.ID)
	_, err = c.Companies.Update(t.Context(), []UpdateCompanyRequest{{Name: &name}})
	var be *BatchError
	require.ErrorAs(t, err, &be, "an update without an ID is refused before sending")
	assert.Empty(t, be.Resendable())

	ls, err := c.Companies.Link(t.Context(), 11, []Link{LinkContact(5, false), LinkLead(9)})
	require.NoError(t, err)
	assert.Len(t, ls, 2)
	require.NoError(t, c.Companies.Unlink(t.Context(), 11, []Link{LinkLead(9)}))
	ls, err = c.Companies.Links(t.Context(), 11, &LinkFilter{ToEntityType: EntityLeads})
	require.NoError(t, err)
	assert.Equal(t, int64(9), ls[0].ToEntityID)
}
