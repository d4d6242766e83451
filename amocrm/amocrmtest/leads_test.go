package amocrmtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

func TestLeadsPagesAnd204(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var want []int64
	for i := range 5 {
		want = append(want, e.acct.AddLead(amocrmtest.Lead{Name: fmt.Sprintf("Сделка %d", i)}).ID)
	}

	var got []int64
	next := "/api/v4/leads?limit=2&filter[id][]=" + fmt.Sprint(want[0]) + "&filter[id][]=" + fmt.Sprint(want[1]) +
		"&filter[id][]=" + fmt.Sprint(want[2]) + "&filter[id][]=" + fmt.Sprint(want[3]) + "&filter[id][]=" + fmt.Sprint(want[4])
	pages := 0
	for next != "" {
		r := e.do(http.MethodGet, next, nil)
		require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
		assert.Equal(t, "application/hal+json", r.Header.Get("Content-Type"))
		p := decode[page[leadJSON]](t, r)
		pages++
		assert.Equal(t, pages, p.Page)
		require.NotNil(t, p.Links.Self)
		got = append(got, ids(p.Embedded["leads"], leadID)...)
		next = ""
		if p.Links.Next != nil {
			assert.True(t, strings.HasPrefix(p.Links.Next.Href, e.srv.URL+"/api/v4/leads?"), p.Links.Next.Href)
			assert.Contains(t, p.Links.Next.Href, "limit=2")
			assert.Contains(t, p.Links.Next.Href, fmt.Sprintf("page=%d", pages+1))
			next = p.Links.Next.Href
		}
	}
	assert.Equal(t, 3, pages)
	assert.Equal(t, want, got)

	past := e.do(http.MethodGet, "/api/v4/leads?limit=2&page=4", nil)
	assert.Equal(t, http.StatusNoContent, past.StatusCode)
	assert.Empty(t, past.body)

	none := e.do(http.MethodGet, "/api/v4/leads?query=nothing-like-this", nil)
	assert.Equal(t, http.StatusNoContent, none.StatusCode)
	assert.Empty(t, none.body)
}

func TestLeadsDefaultPageIs50AndLimitOver250(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for range 51 {
		e.acct.AddLead(amocrmtest.Lead{})
	}
	p := decode[page[leadJSON]](t, e.do(http.MethodGet, "/api/v4/leads", nil))
	assert.Len(t, p.Embedded["leads"], 50)
	require.NotNil(t, p.Links.Next)

	r := e.do(http.MethodGet, "/api/v4/leads?limit=251", nil)
	assert.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
	assert.Equal(t, "Limit 250 per page", decode[problemJSON](t, r).Detail)

	lenient := setup(t, amocrmtest.WithPageLimitFallback(true))
	for range 51 {
		lenient.acct.AddLead(amocrmtest.Lead{})
	}
	p = decode[page[leadJSON]](t, lenient.do(http.MethodGet, "/api/v4/leads?limit=1000", nil))
	assert.Len(t, p.Embedded["leads"], 50)
	require.NotNil(t, p.Links.Next)
	assert.Contains(t, p.Links.Next.Href, "limit=50")
}

func TestLeadsFilters(t *testing.T) {
	t.Parallel()
	e := setup(t)
	day := 24 * time.Hour
	a := e.acct.AddLead(amocrmtest.Lead{Name: "Душевое ограждение", Price: 17204, CreatedAt: start().Add(-3 * day)})
	b := e.acct.AddLead(amocrmtest.Lead{Name: "Зеркало", Price: 5600, CreatedAt: start().Add(-2 * day)})
	c := e.acct.AddLead(amocrmtest.Lead{Name: "Фартук для кухни", Price: 24500, CreatedAt: start().Add(-1 * day)})

	cases := []struct {
		name  string
		query string
		want  []int64
	}{
		{"id brackets", fmt.Sprintf("filter[id][]=%d&filter[id][]=%d", a.ID, c.ID), []int64{a.ID, c.ID}},
		{"id indexed", fmt.Sprintf("filter[id][0]=%d&filter[id][1]=%d", b.ID, c.ID), []int64{b.ID, c.ID}},
		{"id plain", fmt.Sprintf("filter[id]=%d", b.ID), []int64{b.ID}},
		{"query name", "query=" + "зеркало", []int64{b.ID}},
		{"query id", fmt.Sprintf("query=%d", c.ID), []int64{c.ID}},
		{"created from", fmt.Sprintf("filter[created_at][from]=%d", start().Add(-2*day).Unix()), []int64{b.ID, c.ID}},
		{"created to", fmt.Sprintf("filter[created_at][to]=%d", start().Add(-2*day).Unix()), []int64{a.ID, b.ID}},
		{"created range", fmt.Sprintf("filter[created_at][from]=%d&filter[created_at][to]=%d", start().Add(-2*day).Unix(), start().Add(-2*day).Unix()), []int64{b.ID}},
		{"price range", "filter[price][from]=6000", []int64{a.ID, c.ID}},
		{"order created desc", "order[created_at]=desc", []int64{c.ID, b.ID, a.ID}},
		{"order id desc", "order[id]=desc", []int64{c.ID, b.ID, a.ID}},
		{"order updated asc", "order[updated_at]=asc", []int64{a.ID, b.ID, c.ID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(http.MethodGet, "/api/v4/leads?"+tc.query, nil)
			require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
			assert.Equal(t, tc.want, ids(decode[page[leadJSON]](t, r).Embedded["leads"], leadID))
		})
	}

	for _, q := range []string{"order[name]=asc", "order[id]=up", "order[id]=asc&order[created_at]=desc", "filter[id][]=x", "page=0", "limit=abc"} {
		r := e.do(http.MethodGet, "/api/v4/leads?"+q, nil)
		assert.Equal(t, http.StatusBadRequest, r.StatusCode, q)
		assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), q)
	}
}

func TestLeadGet(t *testing.T) {
	t.Parallel()
	e := setup(t)
	contact := e.acct.AddContact(amocrmtest.Contact{FirstName: "Алексей", LastName: "Петров"})
	lead := e.acct.AddLead(amocrmtest.Lead{Name: "Стекло", Price: 1200, ContactIDs: []int64{contact.ID}, Tags: []string{"сайт"}})

	r := e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/%d?with=contacts", lead.ID), nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	got := decode[leadJSON](t, r)
	assert.Equal(t, lead.ID, got.ID)
	assert.Equal(t, int64(1200), got.Price)
	assert.Equal(t, e.acct.ID, got.AccountID)
	assert.Equal(t, e.acct.PipelineID, got.PipelineID)
	assert.Equal(t, "null", string(got.CustomFieldsValues))
	assert.Nil(t, got.ClosedAt)
	require.Len(t, got.Embedded.Contacts, 1)
	assert.Equal(t, contact.ID, got.Embedded.Contacts[0].ID)
	assert.True(t, got.Embedded.Contacts[0].IsMain)
	require.Len(t, got.Embedded.Tags, 1)
	assert.Equal(t, "сайт", got.Embedded.Tags[0].Name)
	assert.Equal(t, fmt.Sprintf("%s/api/v4/leads/%d", e.srv.URL, lead.ID), got.Links.Self.Href)
	assert.Nil(t, got.Embedded.CatalogElements, "catalog_elements only with=catalog_elements")

	missing := e.do(http.MethodGet, "/api/v4/leads/999", nil)
	assert.Equal(t, http.StatusNotFound, missing.StatusCode)
	assert.Equal(t, 404, decode[problemJSON](t, missing).Status)

	other := e.srv.AddAccount("other")
	foreign := other.AddLead(amocrmtest.Lead{Name: "Чужая"})
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/%d", foreign.ID), nil).StatusCode)
}

func TestLeadsCreate(t *testing.T) {
	t.Parallel()
	e := setup(t)
	field := e.acct.AddCustomField("leads", amocrmtest.CustomField{Name: "Площадь", Type: "numeric"})
	contact := e.acct.AddContact(amocrmtest.Contact{Name: "Мария"})
	body := fmt.Sprintf(`[
		{"name":"Фартук","price":24500,"request_id":"ext-1","custom_fields_values":[{"field_id":%d,"values":[{"value":3.5}]}],
		 "_embedded":{"contacts":[{"id":%d,"is_main":true}],"tags":[{"name":"сайт"}]}},
		{"name":"Зеркало"}
	]`, field.ID, contact.ID)
	r := e.do(http.MethodPost, "/api/v4/leads", body)
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	res := decode[writeAnswer](t, r).Embedded["leads"]
	require.Len(t, res, 2)
	assert.JSONEq(t, `"ext-1"`, string(res[0].RequestID))
	assert.JSONEq(t, `"1"`, string(res[1].RequestID))

	lead, ok := e.srv.Lead(res[0].ID)
	require.True(t, ok)
	assert.Equal(t, "Фартук", lead.Name)
	assert.Equal(t, int64(24500), lead.Price)
	assert.Equal(t, []int64{contact.ID}, lead.ContactIDs)
	assert.Equal(t, []string{"сайт"}, lead.Tags)
	assert.Equal(t, e.acct.AdminID, lead.ResponsibleUserID)
	assert.Equal(t, start(), lead.CreatedAt.UTC())

	got := decode[leadJSON](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/leads/%d", res[0].ID), nil))
	cf := decode[[]cfJSON](t, resp{body: got.CustomFieldsValues})
	require.Len(t, cf, 1)
	assert.Equal(t, "3.5", cf[0].Values[0].Value, "numbers in custom fields come back as strings")
}

func TestLeadsValidation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	lead := e.acct.AddLead(amocrmtest.Lead{Name: "Есть"})
	type verr struct{ requestID, code, path string }
	cases := []struct {
		name   string
		method string
		path   string
		body   string
		want   []verr
	}{
		{"price as string", "POST", "/api/v4/leads", `[{"name":"x","price":"100"}]`, []verr{{"0", "InvalidType", "price"}}},
		{"fractional price", "POST", "/api/v4/leads", `[{"price":10.5}]`, []verr{{"0", "InvalidType", "price"}}},
		{"unknown field", "POST", "/api/v4/leads", `[{"name":"ok"},{"name":"x","colour":"red","request_id":"r2"}]`, []verr{{"r2", "FieldNotExpected", "colour"}}},
		{"name not a string", "POST", "/api/v4/leads", `[{"name":5}]`, []verr{{"0", "InvalidType", "name"}}},
		{"id on create", "POST", "/api/v4/leads", `[{"id":1}]`, []verr{{"0", "FieldNotExpected", "id"}}},
		{"unknown custom field", "POST", "/api/v4/leads", `[{"custom_fields_values":[{"field_id":1,"values":[{"value":"x"}]}]}]`, []verr{{"0", "NotSupportedChoice", "custom_fields_values.0.field_id"}}},
		{"unknown status", "POST", "/api/v4/leads", `[{"status_id":1}]`, []verr{{"0", "NotSupportedChoice", "status_id"}}},
		{"update without id", "PATCH", "/api/v4/leads", `[{"name":"x"}]`, []verr{{"0", "FieldMissing", "id"}}},
		{"update unknown id", "PATCH", "/api/v4/leads", fmt.Sprintf(`[{"id":%d,"name":"ok"},{"id":42,"name":"x"}]`, lead.ID), []verr{{"1", "NotSupportedChoice", "id"}}},
		{"update id as string", "PATCH", "/api/v4/leads", `[{"id":"42"}]`, []verr{{"0", "InvalidType", "id"}}},
		{"object instead of array", "POST", "/api/v4/leads", `{"name":"x"}`, []verr{{"0", "InvalidType", ""}}},
		{"patch one wrong type", "PATCH", fmt.Sprintf("/api/v4/leads/%d", lead.ID), `{"price":true}`, []verr{{"0", "InvalidType", "price"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body)
			require.Equal(t, http.StatusBadRequest, r.StatusCode, "%s", r.body)
			assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
			p := decode[problemJSON](t, r)
			var got []verr
			for _, ve := range p.ValidationErrors {
				for _, er := range ve.Errors {
					got = append(got, verr{ve.RequestID, er.Code, er.Path})
				}
			}
			assert.ElementsMatch(t, tc.want, got)
		})
	}
	// Nothing of a rejected batch is written.
	assert.Len(t, e.srv.Leads("acme"), 1)
	got, _ := e.srv.Lead(lead.ID)
	assert.Equal(t, "Есть", got.Name)

	for _, body := range []string{``, `[]`, `not json`} {
		assert.Equal(t, http.StatusBadRequest, e.do(http.MethodPost, "/api/v4/leads", body).StatusCode, body)
	}
	big := "[" + strings.TrimSuffix(strings.Repeat(`{"name":"x"},`, 251), ",") + "]"
	r := e.do(http.MethodPost, "/api/v4/leads", big)
	assert.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
	ok := "[" + strings.TrimSuffix(strings.Repeat(`{"name":"x"},`, 250), ",") + "]"
	assert.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v4/leads", ok).StatusCode)
	assert.Len(t, e.srv.Leads("acme"), 251)
}

func TestLeadsUpdate(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := e.acct.AddLead(amocrmtest.Lead{Name: "A", Tags: []string{"old"}})
	b := e.acct.AddLead(amocrmtest.Lead{Name: "B"})
	e.clock.Advance(time.Minute)

	r := e.do(http.MethodPatch, "/api/v4/leads", fmt.Sprintf(`[
		{"id":%d,"price":100,"tags_to_add":[{"name":"new"}],"tags_to_delete":[{"name":"old"}],"request_id":"x"},
		{"id":%d,"status_id":142}]`, a.ID, b.ID))
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	res := decode[writeAnswer](t, r).Embedded["leads"]
	require.Len(t, res, 2)
	assert.JSONEq(t, `"x"`, string(res[0].RequestID))
	assert.Equal(t, start().Add(time.Minute).Unix(), res[0].UpdatedAt)

	ga, _ := e.srv.Lead(a.ID)
	assert.Equal(t, int64(100), ga.Price)
	assert.Equal(t, "A", ga.Name, "fields not sent are kept")
	assert.Equal(t, []string{"new"}, ga.Tags)
	gb, _ := e.srv.Lead(b.ID)
	assert.Equal(t, int64(142), gb.StatusID)
	assert.Equal(t, start().Add(time.Minute), gb.ClosedAt.UTC(), "won leads are closed")

	one := e.do(http.MethodPatch, fmt.Sprintf("/api/v4/leads/%d", a.ID), `{"name":"A2"}`)
	require.Equal(t, http.StatusOK, one.StatusCode, "%s", one.body)
	assert.Equal(t, a.ID, decode[writeResult](t, one).ID)
	ga, _ = e.srv.Lead(a.ID)
	assert.Equal(t, "A2", ga.Name)
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodPatch, "/api/v4/leads/1", `{"name":"x"}`).StatusCode)
}

func TestLeadsComplex(t *testing.T) {
	t.Parallel()
	e := setup(t)
	body := `[{"name":"Перегородка","price":50000,"request_id":"form-17",
		"_embedded":{
			"contacts":[{"first_name":"Сергей","last_name":"Кузнецов","custom_fields_values":[{"field_code":"PHONE","values":[{"value":"+7 903 555-12-34","enum_code":"MOB"}]}]}],
			"companies":[{"name":"ООО Ремстрой"}],
			"metadata":{"category":"forms","form_id":1,"form_name":"Заявка","form_page":"https://glass.example","form_sent_at":1700000000,"ip":"10.0.0.1","referer":"https://ya.ru"}}},
		{"name":"Без контакта"}]`
	r := e.do(http.MethodPost, "/api/v4/leads/complex", body)
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	type result struct {
		ID        int64    `json:"id"`
		ContactID *int64   `json:"contact_id"`
		CompanyID *int64   `json:"company_id"`
		RequestID []string `json:"request_id"`
		Merged    bool     `json:"merged"`
	}
	res := decode[[]result](t, r)
	require.Len(t, res, 2)
	assert.Equal(t, []string{"form-17"}, res[0].RequestID)
	assert.Equal(t, []string{"1"}, res[1].RequestID)
	require.NotNil(t, res[0].ContactID)
	require.NotNil(t, res[0].CompanyID)
	assert.Nil(t, res[1].ContactID)
	assert.False(t, res[0].Merged)

	lead, _ := e.srv.Lead(res[0].ID)
	assert.Equal(t, []int64{*res[0].ContactID}, lead.ContactIDs)
	assert.Equal(t, *res[0].CompanyID, lead.CompanyID)
	contact, ok := e.srv.Contact(*res[0].ContactID)
	require.True(t, ok)
	assert.Equal(t, "Сергей Кузнецов", contact.Name)
	assert.Equal(t, *res[0].CompanyID, contact.CompanyID)
	require.Len(t, contact.CustomFields, 1)
	assert.Equal(t, "MOB", contact.CustomFields[0].Values[0].EnumCode)

	two := `[{"_embedded":{"contacts":[{"name":"a"},{"name":"b"}]}}]`
	assert.Equal(t, http.StatusBadRequest, e.do(http.MethodPost, "/api/v4/leads/complex", two).StatusCode)
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"name":"x"},`, 51), ",") + "]"
	assert.Equal(t, http.StatusUnprocessableEntity, e.do(http.MethodPost, "/api/v4/leads/complex", many).StatusCode)
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for name, tok := range map[string]string{"missing": "", "garbage": "not-a-token", "forged": e.tok.AccessToken + "x"} {
		r := e.doToken(tok, http.MethodGet, "/api/v4/leads", nil)
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode, name)
		assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), name)
		assert.Equal(t, 401, decode[problemJSON](t, r).Status, name)
	}
	e.clock.Advance(24*time.Hour - time.Second)
	assert.Equal(t, http.StatusNoContent, e.do(http.MethodGet, "/api/v4/leads", nil).StatusCode)
	e.clock.Advance(time.Second)
	assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodGet, "/api/v4/leads", nil).StatusCode, "expired after 24 h")
}

func BenchmarkListLeads(b *testing.B) {
	srv := amocrmtest.NewUnstartedServer(amocrmtest.WithRateLimit(0, 1))
	defer srv.Close()
	acct := srv.AddAccount("acme")
	for i := range 1000 {
		acct.AddLead(amocrmtest.Lead{Name: fmt.Sprintf("Сделка %d", i), Price: int64(i)})
	}
	app := srv.AddIntegration(amocrmtest.Integration{RedirectURI: redirectURI})
	tok, err := srv.IssueToken(app.ClientID, "acme")
	require.NoError(b, err)
	h := srv.Handler()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/v4/leads?limit=250&page=2&order[created_at]=desc", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
