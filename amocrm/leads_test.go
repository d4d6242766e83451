package amocrm

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureHost is the account host the golden files in testdata/ link to.
const fixtureHost = "https://acme.amocrm.ru/"

// serveFixture answers with testdata/name, its links rewritten to point at c's base URL.
func serveFixture(t *testing.T, c *Client, w http.ResponseWriter, status int, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if !assert.NoError(t, err) {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	b = bytes.ReplaceAll(b, []byte(fixtureHost), []byte(c.BaseURL()))
	if status >= 400 {
		w.Header().Set("Content-Type", "application/problem+json")
	} else {
		w.Header().Set("Content-Type", "application/hal+json")
	}
	w.WriteHeader(status)
	w.Write(b)
}

// rawBody reads a request body as a string.
func rawBody(t *testing.T, r *http.Request) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	assert.NoError(t, err)
	return string(b)
}

func TestLeadListOptionsValues(t *testing.T) {
	t.Parallel()
	from := time.Unix(1700000000, 0)
	to := time.Unix(1700086400, 0)
	opts := &LeadListOptions{
		IDs:                []int64{1, 2},
		Names:              []string{"Mirror", "Window"},
		Price:              IntRange{From: 1000, To: 5000},
		Created:            TimeRange{From: from, To: to},
		Updated:            TimeRange{From: from},
		Closed:             TimeRange{To: to},
		ClosestTask:        TimeRange{From: from, To: to},
		ResponsibleUserIDs: []int64{504141},
		CreatedBy:          []int64{3},
		UpdatedBy:          []int64{4, 5},
		PipelineIDs:        []int64{1300},
		Statuses:           []StatusFilter{{PipelineID: 1300, StatusID: 142}, {PipelineID: 1400, StatusID: 143}},
		CustomFields:       []CustomFieldFilter{{FieldID: 271207, Values: []string{"12"}}, {FieldID: 271211, Range: IntRange{From: 1, To: 2}}},
		Query:              "+7900",
		Order:              Sort{By: SortByCreatedAt, Dir: Desc},
		With:               []LeadWith{LeadWithContacts, LeadWithCatalogElements, LeadWithContacts, LeadWithLossReason},
		Page:               3,
		Limit:              250,
	}
	got, err := opts.values()
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"filter[id][]":                               {"1", "2"},
		"filter[name][]":                             {"Mirror", "Window"},
		"filter[price][from]":                        {"1000"},
		"filter[price][to]":                          {"5000"},
		"filter[created_at][from]":                   {"1700000000"},
		"filter[created_at][to]":                     {"1700086400"},
		"filter[updated_at][from]":                   {"1700000000"},
		"filter[closed_at][to]":                      {"1700086400"},
		"filter[closest_task_at][from]":              {"1700000000"},
		"filter[closest_task_at][to]":                {"1700086400"},
		"filter[responsible_user_id][]":              {"504141"},
		"filter[created_by][]":                       {"3"},
		"filter[updated_by][]":                       {"4", "5"},
		"filter[pipeline_id][]":                      {"1300"},
		"filter[statuses][0][pipeline_id]":           {"1300"},
		"filter[statuses][0][status_id]":             {"142"},
		"filter[statuses][1][pipeline_id]":           {"1400"},
		"filter[statuses][1][status_id]":             {"143"},
		"filter[custom_fields_values][271207][]":     {"12"},
		"filter[custom_fields_values][271211][from]": {"1"},
		"filter[custom_fields_values][271211][to]":   {"2"},
		"query":             {"+7900"},
		"order[created_at]": {"desc"},
		"with":              {"contacts,catalog_elements,loss_reason"},
		"page":              {"3"},
		"limit":             {"250"},
	}, got)

	empty, err := (*LeadListOptions)(nil).values()
	require.NoError(t, err)
	assert.Empty(t, empty)
	empty, err = (&LeadListOptions{}).values()
	require.NoError(t, err)
	assert.Empty(t, empty)

	for name, o := range map[string]*LeadListOptions{
		"limit over 250":     {Limit: 251},
		"negative limit":     {Limit: -1},
		"negative page":      {Page: -1},
		"half a status pair": {Statuses: []StatusFilter{{PipelineID: 1}}},
		"bad field filter":   {CustomFields: []CustomFieldFilter{{FieldID: 1}}},
	} {
		_, err := o.values()
		assert.Error(t, err, name)
	}
}

func TestLeadsListSendsBracketFilters(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		// The raw query carries PHP-style brackets, percent-encoded.
		assert.Contains(t, r.URL.RawQuery, "filter%5Bstatuses%5D%5B0%5D%5Bstatus_id%5D=142")
		assert.Equal(t, []string{"7", "8"}, r.URL.Query()["filter[id][]"])
		assert.Equal(t, "desc", r.URL.Query().Get("order[updated_at]"))
		assert.Equal(t, "2", r.URL.Query().Get("limit"))
		serveFixture(t, c, w, http.StatusOK, "leads_list_page1.json")
	})
	page, err := c.Leads.List(t.Context(), &LeadListOptions{
		IDs: []int64{7, 8}, Statuses: []StatusFilter{{PipelineID: 1300, StatusID: 142}},
		Order: Sort{By: SortByUpdatedAt, Dir: Desc}, Limit: 2,
	})
	require.NoError(t, err)
	assert.Equal(t, 1, page.Number)
	assert.True(t, page.HasNext())
	assert.Equal(t, c.BaseURL()+"api/v4/leads?limit=2&page=2", page.Next)
	require.Len(t, page.Items, 2)

	_, err = c.Leads.List(t.Context(), &LeadListOptions{Limit: 500})
	assert.ErrorContains(t, err, "limit 500")
}

func TestLeadsAllFollowsNextAndDecodesOddShapes(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var pages []string
	mux.HandleFunc("GET /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		pages = append(pages, r.URL.Query().Get("page"))
		if r.URL.Query().Get("page") == "2" {
			serveFixture(t, c, w, http.StatusOK, "leads_list_page2.json")
			return
		}
		assert.Equal(t, "loss_reason", r.URL.Query().Get("with"))
		serveFixture(t, c, w, http.StatusOK, "leads_list_page1.json")
	})
	var leads []Lead
	for l, err := range c.Leads.All(t.Context(), &LeadListOptions{With: []LeadWith{LeadWithLossReason}, Limit: 2}) {
		require.NoError(t, err)
		leads = append(leads, l)
	}
	assert.Equal(t, []string{"", "2"}, pages, "lazy first page, then the next link")
	require.Len(t, leads, 3)

	l := leads[0]
	assert.Equal(t, int64(19619), l.ID)
	assert.Equal(t, int64(46333), l.Price)
	assert.Equal(t, Decimal(""), l.PriceWithMinorUnits)
	assert.True(t, l.IsLost())
	assert.Equal(t, int64(7), l.LossReasonID)
	assert.Equal(t, time.Unix(1590683337, 0).UTC(), l.ClosedAt.Time)
	assert.True(t, l.ClosestTaskAt.IsZero(), "null time")
	require.Len(t, l.CustomFieldsValues, 3)
	area, err := l.CustomFieldsValues[0].First().Int64()
	require.NoError(t, err)
	assert.Equal(t, int64(12), area, `numeric "12"`)
	assert.Equal(t, "", l.CustomFieldsValues[0].FieldCode, "null field_code")
	assert.Equal(t, int64(411), l.CustomFieldsValues[1].First().EnumID)
	measured, err := l.CustomFieldsValues[2].First().Time()
	require.NoError(t, err)
	assert.Equal(t, int64(1585267200), measured.Unix())
	reason, ok := l.Embedded.LossReason.First()
	require.True(t, ok)
	assert.Equal(t, "Too expensive", reason.Name, "loss_reason as an array")
	assert.Equal(t, []Tag{{ID: 100667, Name: "windows"}}, l.Embedded.Tags)

	l = leads[1]
	assert.True(t, l.IsWon())
	assert.Nil(t, l.CustomFieldsValues, "custom_fields_values: null")
	assert.True(t, l.ClosedAt.IsZero())
	assert.Equal(t, int64(1250), l.Price)
	assert.Equal(t, Decimal("1250.50"), l.PriceWithMinorUnits)
	kop, err := l.PriceWithMinorUnits.Kopecks()
	require.NoError(t, err)
	assert.Equal(t, int64(125050), kop)
	reason, ok = l.Embedded.LossReason.First()
	require.True(t, ok)
	assert.Equal(t, LossReason{ID: 8, Name: "Went elsewhere", Sort: 100001, CreatedAt: Unix(1582117280), UpdatedAt: Unix(1582117280)}, reason, "loss_reason as an object")
	assert.Equal(t, []EntityRef{{ID: 10971463}}, l.Embedded.Companies)

	l = leads[2]
	assert.Equal(t, int64(99), l.Price, "a fractional price keeps its whole part in Price")
	assert.Equal(t, Decimal("99.99"), l.PriceWithMinorUnits, "and its exact value in PriceWithMinorUnits")
	assert.Equal(t, int64(1585214900), l.CreatedAt.Unix(), "a time as a string")
	assert.True(t, l.ClosedAt.IsZero(), "closed_at 0")
	_, ok = l.Embedded.LossReason.First()
	assert.False(t, ok)
}

func TestLeadDecodesPriceVariants(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]struct {
		price int64
		exact Decimal
	}{
		`{"price":5}`:    {5, ""},
		`{"price":"5"}`:  {5, ""},
		`{"price":null}`: {0, ""},
		`{}`:             {0, ""},
		`{"price":-2.5}`: {-2, "-2.5"},
		`{"price":10.5,"price_with_minor_units":"10.50"}`: {10, "10.50"},
	} {
		var l Lead
		require.NoError(t, json.Unmarshal([]byte(in), &l), in)
		assert.Equal(t, want.price, l.Price, in)
		assert.Equal(t, want.exact, l.PriceWithMinorUnits, in)
	}
	var l Lead
	assert.Error(t, json.Unmarshal([]byte(`{"id":1,"price":"lots"}`), &l))
	assert.Error(t, json.Unmarshal([]byte(`{"id":1,"price":1e30}`), &l))
}

func TestLeadsListAnd204(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	page, err := c.Leads.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, page.Items)
	assert.False(t, page.HasNext())
	n := 0
	for _, err := range c.Leads.All(t.Context(), nil) {
		require.NoError(t, err)
		n++
	}
	assert.Zero(t, n)

	for l, err := range c.Leads.All(t.Context(), &LeadListOptions{Limit: 999}) {
		assert.ErrorContains(t, err, "limit 999")
		assert.Zero(t, l.ID)
	}
}

func TestLeadsGet(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/leads/{id}", func(w http.ResponseWriter, r *http.Request) {
		switch r.PathValue("id") {
		case "3912171":
			assert.Equal(t, "contacts,catalog_elements,source", r.URL.Query().Get("with"))
			serveFixture(t, c, w, http.StatusOK, "lead_get.json")
		case "1":
			w.WriteHeader(http.StatusNoContent)
		default:
			writeJSON(t, w, http.StatusNotFound, map[string]any{"title": "Not Found", "status": 404})
		}
	})
	l, err := c.Leads.Get(t.Context(), 3912171, LeadWithContacts, LeadWithCatalogElements, LeadWithSource)
	require.NoError(t, err)
	assert.Equal(t, "Glass table top", l.Name)
	assert.Equal(t, int64(27), l.SourceID)
	assert.Equal(t, []LeadContact{{ID: 7143599, IsMain: true}, {ID: 7143600}}, l.Embedded.Contacts)
	assert.Equal(t, []LeadCatalogElement{
		{ID: 425909, Metadata: LinkMetadata{Quantity: "2", CatalogID: 4521, PriceID: 271319}},
		{ID: 425911, Metadata: LinkMetadata{Quantity: "1.5", CatalogID: 4521}},
	}, l.Embedded.CatalogElements)
	assert.Equal(t, Source{ID: 27, Name: "Site form", ExternalID: "form-1", Type: "widget"}, l.Embedded.Source)
	assert.Equal(t, "DDEBB5", l.Embedded.Tags[0].Color)

	cf := l.CustomFieldsValues
	delivery, _ := cf.ByID(3)
	b, err := delivery.First().Bool()
	require.NoError(t, err)
	assert.True(t, b)
	install, _ := cf.ByID(4)
	at, err := install.First().Time()
	require.NoError(t, err)
	assert.Equal(t, time.Date(2024, 5, 1, 7, 0, 0, 0, time.UTC), at.UTC())
	thick, _ := cf.ByID(5)
	d, err := thick.First().Decimal()
	require.NoError(t, err)
	assert.Equal(t, Decimal("4.5"), d)
	addr, _ := cf.ByID(6)
	assert.Equal(t, "address_line_1", addr.First().EnumCode)
	payer, _ := cf.ByID(7)
	assert.Equal(t, FieldLegalEntity, payer.FieldType)
	assert.JSONEq(t, `{"name":"OOO Glass","vat_id":"7701234567"}`, string(payer.First().Raw()))
	comment, _ := cf.ByID(8)
	assert.True(t, comment.First().IsNull())

	_, err = c.Leads.Get(t.Context(), 1)
	assert.ErrorIs(t, err, ErrNotFound, "204 on a get by id")
	_, err = c.Leads.Get(t.Context(), 2)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = c.Leads.Get(t.Context(), 0)
	assert.Error(t, err)
}

func TestLeadsCreateSendsAnArray(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.JSONEq(t, `[
			{"request_id":"0","name":"Glass table top","price":12000,"pipeline_id":1300,"status_id":40021,
			 "responsible_user_id":504141,"created_at":1700000000,
			 "custom_fields_values":[{"field_id":271207,"values":[{"value":"4.5 mm"}]},{"field_code":"UTM_SOURCE","values":[{"value":"ads"}]}],
			 "_embedded":{"tags":[{"name":"web"},{"id":7}],"contacts":[{"id":7143599,"is_main":true}],"companies":[{"id":1}],
			              "source":{"external_id":"form-1","type":"widget"}}},
			{"request_id":"1"},
			{"request_id":"2","name":"Lost one","status_id":143,"loss_reason_id":4241,"closed_at":1700000100}
		]`, rawBody(t, r))
		serveFixture(t, c, w, http.StatusOK, "leads_create.json")
	})
	saved, err := c.Leads.Create(t.Context(), []CreateLeadRequest{
		{
			Name: "Glass table top", Price: 12000, PipelineID: 1300, StatusID: 40021, ResponsibleUserID: 504141,
			CreatedAt: Unix(1700000000),
			CustomFieldsValues: []CustomFieldInput{
				FieldByID(271207, TextValue("4.5 mm")),
				FieldByCode("UTM_SOURCE", TextValue("ads")),
			},
			Tags:      []TagRef{TagNamed("web"), TagWithID(7)},
			Contacts:  []LeadContact{{ID: 7143599, IsMain: true}},
			CompanyID: 1,
			Source:    LeadSource{ExternalID: "form-1"},
		},
		{},
		{Name: "Lost one", StatusID: StatusLost, LossReasonID: 4241, ClosedAt: Unix(1700000100)},
	})
	require.NoError(t, err)
	assert.Equal(t, []Saved{{Index: 0, ID: 10185151}, {Index: 1, ID: 10185153}, {Index: 2, ID: 10185155}}, saved)
}

func TestLeadsUpdateSendsAnArrayWithIDs(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("PATCH /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[
			{"request_id":"0","id":1,"name":"Renamed","price":0},
			{"request_id":"1","id":2,"tags_to_add":[{"name":"vip"}],"tags_to_delete":[{"id":9}],
			 "custom_fields_values":[{"field_id":271207,"values":null}]},
			{"request_id":"2","id":3,"_embedded":{"tags":[{"name":"only"}]}},
			{"request_id":"3","id":4,"_embedded":{"tags":null}},
			{"request_id":"4","id":5,"status_id":142,"pipeline_id":1300,"responsible_user_id":7,"updated_by":8,"closed_at":1700000000}
		]`, rawBody(t, r))
		serveFixture(t, c, w, http.StatusOK, "leads_update.json")
	})
	saved, err := c.Leads.Update(t.Context(), []UpdateLeadRequest{
		{ID: 1, Name: new("Renamed"), Price: new(int64(0))},
		{ID: 2, TagsToAdd: []TagRef{TagNamed("vip")}, TagsToDelete: []TagRef{TagWithID(9)}, CustomFieldsValues: []CustomFieldInput{ClearFieldByID(271207)}},
		{ID: 3, Tags: ReplaceTags(TagNamed("only"))},
		{ID: 4, Tags: ClearTags()},
		{ID: 5, StatusID: StatusWon, PipelineID: 1300, ResponsibleUserID: 7, UpdatedBy: 8, ClosedAt: Unix(1700000000)},
	})
	require.NoError(t, err)
	require.Len(t, saved, 5)
	for i, s := range saved {
		assert.Equal(t, i, s.Index)
		assert.Equal(t, int64(i+1), s.ID)
		assert.Equal(t, Unix(1590756876), s.UpdatedAt)
	}

	_, err = json.Marshal(UpdateLeadRequest{ID: 1, TagsToAdd: []TagRef{{}}})
	assert.Error(t, err)
}

func TestLeadsUpdateOneSendsAnObject(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("PATCH /amo/api/v4/leads/{id}", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "54886", r.PathValue("id"))
		assert.JSONEq(t, `{"id":54886,"price":50000,"_embedded":{"tags":null}}`, rawBody(t, r))
		serveFixture(t, c, w, http.StatusOK, "lead_update_one.json")
	})
	saved, err := c.Leads.UpdateOne(t.Context(), 54886, UpdateLeadRequest{ID: 999, Price: new(int64(50000)), Tags: ClearTags()})
	require.NoError(t, err)
	assert.Equal(t, Saved{ID: 54886, UpdatedAt: Unix(1590756876)}, saved)

	_, err = c.Leads.UpdateOne(t.Context(), 0, UpdateLeadRequest{Name: new("x")})
	assert.ErrorContains(t, err, "without a valid ID")
}

func TestLeadsCreateComplex(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("POST /amo/api/v4/leads/complex", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[
			{"request_id":"0","name":"From the site","price":9900,
			 "_embedded":{
			   "contacts":[{"first_name":"Ivan","custom_fields_values":[{"field_code":"PHONE","values":[{"value":"+79001234567","enum_code":"MOB"}]}]}],
			   "companies":[{"name":"OOO Glass"}],
			   "tags":[{"name":"site"}],
			   "metadata":{"category":"forms","form_id":"calc","form_name":"Calculator","form_page":"https://shop.example/calc","form_sent_at":1700000000,"ip":"10.0.0.1"}}},
			{"request_id":"1","name":"Second","_embedded":{"contacts":[{"name":"Anna"}]}}
		]`, rawBody(t, r))
		serveFixture(t, c, w, http.StatusOK, "leads_complex.json")
	})
	res, err := c.Leads.CreateComplex(t.Context(), []ComplexLeadRequest{
		{
			Lead: CreateLeadRequest{Name: "From the site", Price: 9900, Tags: []TagRef{TagNamed("site")}},
			Contact: &CreateContactRequest{FirstName: "Ivan",
				CustomFieldsValues: []CustomFieldInput{PhoneField(Phone("+79001234567", PhoneMobile))}},
			Company: &ComplexCompany{Name: "OOO Glass"},
			Form: FormMetadata{FormID: "calc", FormName: "Calculator", FormPage: "https://shop.example/calc",
				FormSentAt: Unix(1700000000), IP: "10.0.0.1"},
		},
		{Lead: CreateLeadRequest{Name: "Second"}, Contact: &CreateContactRequest{Name: "Anna"}},
	})
	require.NoError(t, err)
	assert.Equal(t, []ComplexLeadResult{
		{Index: 0, ID: 3284193, ContactID: 11080911, CompanyID: 11080913},
		{Index: 1, ID: 3284195, ContactID: 11080915, Merged: true},
	}, res, "request_id arrives as an array, of strings or numbers")

	_, err = json.Marshal(ComplexLeadRequest{Lead: CreateLeadRequest{CompanyID: 1}})
	assert.Error(t, err, "contacts and companies go in Contact and Company")
}

func TestLeadsCreateComplexSendsAtMost50(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithBatchSize(250))
	var sizes []int
	mux.HandleFunc("POST /amo/api/v4/leads/complex", func(w http.ResponseWriter, r *http.Request) {
		items := testJSONBody[[]batchItem](t, r)
		sizes = append(sizes, len(items))
		answers := make([]map[string]any, len(items))
		for j, it := range items {
			answers[j] = map[string]any{"id": j + 1, "contact_id": nil, "company_id": nil, "request_id": []string{it.RequestID}, "merged": false}
		}
		writeJSON(t, w, http.StatusOK, answers)
	})
	reqs := make([]ComplexLeadRequest, 120)
	for i := range reqs {
		reqs[i].Lead.Name = "x"
	}
	res, err := c.Leads.CreateComplex(t.Context(), reqs)
	require.NoError(t, err)
	assert.Len(t, res, 120)
	assert.Equal(t, []int{50, 50, 20}, sizes)
}

func TestLeadsLinks(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/leads/7593265/links", func(w http.ResponseWriter, r *http.Request) {
		assert.Empty(t, r.URL.RawQuery)
		serveFixture(t, c, w, http.StatusOK, "lead_links.json")
	})
	mux.HandleFunc("GET /amo/api/v4/leads/1/links", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "contacts", r.URL.Query().Get("filter[to_entity_type]"))
		assert.Equal(t, "5", r.URL.Query().Get("filter[to_entity_id]"))
		w.WriteHeader(http.StatusNoContent)
	})
	ls, err := c.Leads.Links(t.Context(), 7593265, nil)
	require.NoError(t, err)
	assert.Equal(t, []Link{
		{EntityID: 7593265, EntityType: EntityLeads, ToEntityID: 9820781, ToEntityType: EntityContacts, Metadata: LinkMetadata{IsMain: true}},
		{EntityID: 7593265, EntityType: EntityLeads, ToEntityID: 9820783, ToEntityType: EntityCompanies},
		{EntityID: 7593265, EntityType: EntityLeads, ToEntityID: 425909, ToEntityType: EntityCatalogElements, Metadata: LinkMetadata{Quantity: "10.22", CatalogID: 4521, PriceID: 271319}},
		{EntityID: 7593265, EntityType: EntityLeads, ToEntityID: 425911, ToEntityType: EntityCatalogElements, Metadata: LinkMetadata{Quantity: "3", CatalogID: 4521}},
	}, ls)

	ls, err = c.Leads.Links(t.Context(), 1, &LinkFilter{ToEntityType: EntityContacts, ToEntityID: 5})
	require.NoError(t, err)
	assert.Empty(t, ls, "204 is no links")
}

func TestLeadsLinkAndUnlink(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	want := `[
		{"to_entity_id":9820781,"to_entity_type":"contacts","metadata":{"is_main":true}},
		{"to_entity_id":9820785,"to_entity_type":"contacts"},
		{"to_entity_id":9820783,"to_entity_type":"companies"},
		{"to_entity_id":425909,"to_entity_type":"catalog_elements","metadata":{"catalog_id":4521,"quantity":10.22,"price_id":271319}}
	]`
	mux.HandleFunc("POST /amo/api/v4/leads/7593265/link", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, want, rawBody(t, r))
		serveFixture(t, c, w, http.StatusOK, "lead_links.json")
	})
	mux.HandleFunc("POST /amo/api/v4/leads/7593265/unlink", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, want, rawBody(t, r))
		w.WriteHeader(http.StatusNoContent)
	})
	links := []Link{
		LinkContact(9820781, true),
		LinkContact(9820785, false),
		LinkCompany(9820783),
		LinkCatalogElement(425909, 4521, "10.22", 271319),
	}
	made, err := c.Leads.Link(t.Context(), 7593265, links)
	require.NoError(t, err)
	assert.Len(t, made, 4)
	require.NoError(t, c.Leads.Unlink(t.Context(), 7593265, links))

	_, err = c.Leads.Link(t.Context(), 7593265, nil)
	assert.Error(t, err)
	_, err = c.Leads.Link(t.Context(), 0, links)
	assert.Error(t, err)
	_, err = c.Leads.Link(t.Context(), 1, []Link{{ToEntityID: 1}})
	assert.Error(t, err, "no target type")
	_, err = c.Leads.Link(t.Context(), 1, []Link{LinkCatalogElement(1, 0, "1", 0)})
	assert.ErrorContains(t, err, "needs Metadata.CatalogID")
	assert.Error(t, c.Leads.Unlink(t.Context(), 1, nil))
}

func TestLeadsProductsAndLinkProducts(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/leads/7593265/links", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, url.Values{"filter[to_entity_type]": {"catalog_elements"}}, r.URL.Query())
		serveFixture(t, c, w, http.StatusOK, "lead_products.json")
	})
	mux.HandleFunc("POST /amo/api/v4/leads/7593265/link", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[
			{"to_entity_id":425909,"to_entity_type":"catalog_elements","metadata":{"catalog_id":4521,"quantity":2,"price_id":271319}},
			{"to_entity_id":425911,"to_entity_type":"catalog_elements","metadata":{"catalog_id":4521}}
		]`, rawBody(t, r))
		serveFixture(t, c, w, http.StatusOK, "lead_products_linked.json")
	})
	mux.HandleFunc("POST /amo/api/v4/leads/7593265/unlink", func(w http.ResponseWriter, r *http.Request) {
		assert.JSONEq(t, `[{"to_entity_id":425911,"to_entity_type":"catalog_elements","metadata":{"catalog_id":4521}}]`, rawBody(t, r))
		w.WriteHeader(http.StatusNoContent)
	})
	products, err := c.Leads.Products(t.Context(), 7593265)
	require.NoError(t, err)
	assert.Equal(t, []ProductLink{
		{ElementID: 425909, CatalogID: 4521, Quantity: "2", PriceID: 271319},
		{ElementID: 425911, CatalogID: 4521, Quantity: "1.5", PriceID: 271319},
	}, products)

	require.NoError(t, c.Leads.LinkProducts(t.Context(), 7593265, []ProductLink{
		{ElementID: 425909, CatalogID: 4521, Quantity: "2", PriceID: 271319},
		{ElementID: 425911, CatalogID: 4521},
	}))
	require.NoError(t, c.Leads.UnlinkProducts(t.Context(), 7593265, []ProductLink{{ElementID: 425911, CatalogID: 4521}}))
	assert.Error(t, c.Leads.LinkProducts(t.Context(), 7593265, []ProductLink{{ElementID: 1, CatalogID: 2, Quantity: "two"}}))
}

func BenchmarkDecodeLeadsPage(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "leads_list_page1.json"))
	require.NoError(b, err)
	var env struct {
		Embedded struct {
			Leads json.RawMessage `json:"leads"`
		} `json:"_embedded"`
	}
	require.NoError(b, json.Unmarshal(raw, &env))
	b.SetBytes(int64(len(env.Embedded.Leads)))
	for b.Loop() {
		var leads []Lead
		if err := json.Unmarshal(env.Embedded.Leads, &leads); err != nil || len(leads) != 2 {
			b.Fatal(err, len(leads))
		}
	}
}

func TestLeadsListReportsABadPrice(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/leads", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"_page":1,"_embedded":{"leads":[{"id":1,"price":"7.5"},{"id":2,"price":"lots"}]}}`))
	})
	mux.HandleFunc("GET /amo/api/v4/leads/2", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":2,"price":"lots"}`))
	})
	_, err := c.Leads.List(t.Context(), nil)
	require.ErrorContains(t, err, "lead 2: price")
	var got []Lead
	var errs int
	for l, err := range c.Leads.All(t.Context(), nil) {
		if err != nil {
			errs++
			continue
		}
		got = append(got, l)
	}
	assert.Equal(t, 1, errs)
	require.Len(t, got, 1)
	assert.Equal(t, int64(7), got[0].Price)
	assert.Equal(t, Decimal("7.5"), got[0].PriceWithMinorUnits)
	_, err = c.Leads.Get(t.Context(), 2)
	assert.ErrorContains(t, err, "lead 2: price")
}
