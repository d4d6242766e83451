package amocrmtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// wireRule is one documented rule of amoCRM's wire behaviour and what the fake does about it.
// name starts with the section of docs/amocrmtest.md that states the rule.
type wireRule struct {
	name string
	opts []amocrmtest.Option
	run  func(t *testing.T, e *env)
}

// TestWire checks the fake against amoCRM's documented behaviour, one rule a row; where a
// Leniency relaxes a rule, the row after it shows the leniency and nothing else changing.
func TestWire(t *testing.T) {
	t.Parallel()
	for _, rule := range wireRules() {
		t.Run(rule.name, func(t *testing.T) {
			t.Parallel()
			rule.run(t, setup(t, rule.opts...))
		})
	}
}

func wireRules() []wireRule {
	var rules []wireRule
	rules = append(rules, hostRules()...)
	rules = append(rules, contentTypeRules()...)
	rules = append(rules, paymentRules()...)
	rules = append(rules, longLivedRules()...)
	rules = append(rules, missingEntityRules()...)
	rules = append(rules, customFieldRules()...)
	rules = append(rules, filterRules()...)
	rules = append(rules, noteRules()...)
	rules = append(rules, companyRules()...)
	return rules
}

// viaHost sends a request with e's token to host (through the server's Transport).
func (e *env) viaHost(host, method, path string, body, contentType string) resp {
	e.t.Helper()
	return e.viaHostAs(e.tok.AccessToken, host, method, path, body, contentType)
}

func (e *env) viaHostAs(token, host, method, path string, body, contentType string) resp {
	e.t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, "https://"+host+path, nil)
	require.NoError(e.t, err)
	if rd != nil {
		req, err = http.NewRequestWithContext(e.t.Context(), method, "https://"+host+path, rd)
		require.NoError(e.t, err)
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return send(e.t, e.srv.Client(), req)
}

// refreshAt posts a refresh_token grant for e's pair to host.
func (e *env) refreshAt(host string) resp {
	e.t.Helper()
	form := url.Values{"client_id": {e.integ.ClientID}, "client_secret": {e.integ.ClientSecret}, "grant_type": {"refresh_token"},
		"refresh_token": {e.tok.RefreshToken}, "redirect_uri": {e.integ.RedirectURI}}
	req, err := http.NewRequestWithContext(e.t.Context(), http.MethodPost, "https://"+host+"/oauth2/access_token", strings.NewReader(form.Encode()))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(e.t, e.srv.Client(), req)
}

func hostRules() []wireRule {
	refused := []string{"www.amocrm.ru", "amocrm.ru", "nobody.amocrm.ru", "api-b.amocrm.ru"}
	return []wireRule{
		{name: "docs/amocrmtest.md#hosts: the account's own host serves the API", run: func(t *testing.T, e *env) {
			assert.Equal(t, http.StatusOK, e.viaHost("acme.amocrm.ru", http.MethodGet, "/api/v4/account", "", "").StatusCode)
		}},
		{name: "docs/amocrmtest.md#hosts: no other host under the base domain serves the API", run: func(t *testing.T, e *env) {
			for _, h := range refused {
				r := e.viaHost(h, http.MethodGet, "/api/v4/account", "", "")
				assert.Equal(t, http.StatusNotFound, r.StatusCode, h)
				assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), h)
			}
		}},
		{name: "docs/amocrmtest.md#hosts: another account's host refuses the token", run: func(t *testing.T, e *env) {
			e.srv.AddAccount("other")
			assert.Equal(t, http.StatusUnauthorized, e.viaHost("other.amocrm.ru", http.MethodGet, "/api/v4/account", "", "").StatusCode)
		}},
		{name: "docs/amocrmtest.md#hosts: no other host under the base domain serves the token endpoint", run: func(t *testing.T, e *env) {
			for _, h := range refused {
				assert.Equal(t, http.StatusNotFound, e.refreshAt(h).StatusCode, h)
			}
			assert.Zero(t, e.srv.Counters().Refreshes)
			assert.Equal(t, http.StatusOK, e.refreshAt("acme.amocrm.ru").StatusCode, "the pair still works at the account's host")
		}},
		{name: "docs/amocrmtest.md#hosts: LenientHost serves any host under the base domain", opts: []amocrmtest.Option{amocrmtest.WithLeniency(amocrmtest.LenientHost)},
			run: func(t *testing.T, e *env) {
				for _, h := range refused {
					assert.Equal(t, http.StatusOK, e.viaHost(h, http.MethodGet, "/api/v4/account", "", "").StatusCode, h)
				}
				e.srv.AddAccount("other")
				assert.Equal(t, http.StatusUnauthorized, e.viaHost("other.amocrm.ru", http.MethodGet, "/api/v4/account", "", "").StatusCode,
					"another account's host still refuses the token")
				assert.Equal(t, http.StatusOK, e.refreshAt("www.amocrm.ru").StatusCode)
			}},
	}
}

func contentTypeRules() []wireRule {
	body := `[{"name":"Зеркало"}]`
	return []wireRule{
		{name: "docs/amocrmtest.md#content-type: an API write declared JSON is taken", run: func(t *testing.T, e *env) {
			for _, ct := range []string{"application/json", "application/json; charset=utf-8"} {
				r := e.viaHost("acme.amocrm.ru", http.MethodPost, "/api/v4/leads", body, ct)
				assert.Equal(t, http.StatusOK, r.StatusCode, "%s: %s", ct, r.body)
			}
		}},
		{name: "docs/amocrmtest.md#content-type: an API write not declared JSON is refused", run: func(t *testing.T, e *env) {
			for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded"} {
				r := e.viaHost("acme.amocrm.ru", http.MethodPost, "/api/v4/leads", body, ct)
				assert.Equal(t, http.StatusBadRequest, r.StatusCode, ct)
				assert.Contains(t, string(r.body), "Content-Type", ct)
			}
			assert.Empty(t, e.srv.Leads("acme"), "nothing was written")
		}},
		{name: "docs/amocrmtest.md#content-type: the token endpoint takes JSON or a form, nothing else", run: func(t *testing.T, e *env) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "https://acme.amocrm.ru/oauth2/access_token",
				strings.NewReader(`{"grant_type":"refresh_token"}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "text/plain")
			r := send(t, e.srv.Client(), req)
			assert.Equal(t, http.StatusBadRequest, r.StatusCode)
		}},
		{name: "docs/amocrmtest.md#content-type: LenientContentType takes any body type", opts: []amocrmtest.Option{amocrmtest.WithLeniency(amocrmtest.LenientContentType)},
			run: func(t *testing.T, e *env) {
				r := e.viaHost("acme.amocrm.ru", http.MethodPost, "/api/v4/leads", body, "text/plain")
				assert.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
			}},
	}
}

func paymentRules() []wireRule {
	return []wireRule{
		{name: "docs/amocrmtest.md#payment-required: an account past its paid period answers 402", run: func(t *testing.T, e *env) {
			e.acct.SetPaymentRequired(true)
			r := e.do(http.MethodGet, "/api/v4/leads", nil)
			assert.Equal(t, http.StatusPaymentRequired, r.StatusCode)
			p := decode[problemJSON](t, r)
			assert.Equal(t, problemJSON{Title: "Payment Required", Type: "https://httpstatus.es/402", Status: 402, Detail: "Payment required"}, p)
			assert.Equal(t, http.StatusPaymentRequired, e.do(http.MethodPost, "/api/v4/leads", []any{map[string]any{"name": "x"}}).StatusCode)
			assert.Empty(t, e.srv.Leads("acme"))
			e.acct.SetPaymentRequired(false)
			assert.Equal(t, http.StatusNoContent, e.do(http.MethodGet, "/api/v4/leads", nil).StatusCode)
			e.acct.SetPaymentRequired(true)
			assert.Equal(t, http.StatusOK, e.refreshAt("acme.amocrm.ru").StatusCode, "OAuth keeps working")
		}},
		{name: "docs/amocrmtest.md#payment-required: only that account", run: func(t *testing.T, e *env) {
			other := e.srv.AddAccount("other")
			other.SetPaymentRequired(true)
			assert.Equal(t, http.StatusNoContent, e.do(http.MethodGet, "/api/v4/leads", nil).StatusCode)
		}},
	}
}

func longLivedRules() []wireRule {
	return []wireRule{
		{name: "docs/amocrm-reference.md#long-lived-tokens: a private integration's token works until it expires and has no refresh", run: func(t *testing.T, e *env) {
			private := e.srv.AddIntegration(amocrmtest.Integration{RedirectURI: redirectURI, Owner: "acme"})
			tok, err := e.srv.IssueLongLivedToken(private.ClientID, "acme", start().Add(365*24*time.Hour))
			require.NoError(t, err)
			e.clock.Advance(200 * 24 * time.Hour)
			assert.Equal(t, http.StatusOK, e.doToken(tok, http.MethodGet, "/api/v4/account", nil).StatusCode, "longer than an OAuth token lives")
			e.clock.Advance(166 * 24 * time.Hour)
			assert.Equal(t, http.StatusUnauthorized, e.doToken(tok, http.MethodGet, "/api/v4/account", nil).StatusCode, "past its expiry")
		}},
		{name: "docs/amocrm-reference.md#long-lived-tokens: revoking the integration ends it", run: func(t *testing.T, e *env) {
			private := e.srv.AddIntegration(amocrmtest.Integration{RedirectURI: redirectURI, Owner: "acme"})
			tok, err := e.srv.IssueLongLivedToken(private.ClientID, "acme", start().Add(24*time.Hour*30))
			require.NoError(t, err)
			require.NoError(t, e.srv.RevokeIntegration(t.Context(), private.ClientID, "acme"))
			assert.Equal(t, http.StatusUnauthorized, e.doToken(tok, http.MethodGet, "/api/v4/account", nil).StatusCode)
		}},
		{name: "docs/amocrm-reference.md#long-lived-tokens: only private integrations have them", run: func(t *testing.T, e *env) {
			_, err := e.srv.IssueLongLivedToken(e.integ.ClientID, "acme", start().Add(time.Hour))
			assert.ErrorContains(t, err, "private")
			e.srv.AddAccount("other")
			private := e.srv.AddIntegration(amocrmtest.Integration{RedirectURI: redirectURI, Owner: "other"})
			tok, err := e.srv.IssueLongLivedToken(private.ClientID, "other", start().Add(time.Hour))
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, e.viaHostAs(tok, "other.amocrm.ru", http.MethodGet, "/api/v4/account", "", "").StatusCode)
			assert.Equal(t, http.StatusUnauthorized, e.viaHostAs(tok, "acme.amocrm.ru", http.MethodGet, "/api/v4/account", "", "").StatusCode,
				"another account's host refuses it")
		}},
	}
}

func missingEntityRules() []wireRule {
	get := func(t *testing.T, e *env, path string) resp {
		t.Helper()
		r := e.do(http.MethodGet, path, nil)
		if r.StatusCode == http.StatusNoContent {
			assert.Empty(t, bytes.TrimSpace(r.body), path)
		}
		return r
	}
	return []wireRule{
		{name: "docs/amocrmtest.md#missing-entities: a company answers 204, as documented", run: func(t *testing.T, e *env) {
			assert.Equal(t, http.StatusNoContent, get(t, e, "/api/v4/companies/999").StatusCode)
			c := e.acct.AddCompany(amocrmtest.Company{Name: "ООО «Ремстрой»"})
			assert.Equal(t, http.StatusOK, get(t, e, "/api/v4/companies/"+itoa(c.ID)).StatusCode)
		}},
		{name: "docs/amocrmtest.md#missing-entities: leads, contacts and catalog elements answer 404", run: func(t *testing.T, e *env) {
			for _, p := range []string{"/api/v4/leads/999", "/api/v4/contacts/999", "/api/v4/catalogs/" + itoa(e.acct.ProductsCatalog().ID) + "/elements/999"} {
				r := get(t, e, p)
				assert.Equal(t, http.StatusNotFound, r.StatusCode, p)
				assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), p)
			}
		}},
		{name: "docs/amocrmtest.md#missing-entities: another account's entity is missing too", run: func(t *testing.T, e *env) {
			other := e.srv.AddAccount("other")
			c := other.AddCompany(amocrmtest.Company{Name: "чужая"})
			l := other.AddLead(amocrmtest.Lead{Name: "чужая"})
			assert.Equal(t, http.StatusNoContent, get(t, e, "/api/v4/companies/"+itoa(c.ID)).StatusCode)
			assert.Equal(t, http.StatusNotFound, get(t, e, "/api/v4/leads/"+itoa(l.ID)).StatusCode)
		}},
		{name: "docs/amocrmtest.md#missing-entities: WithNotFoundStatus swaps the answers", opts: []amocrmtest.Option{
			amocrmtest.WithNotFoundStatus("companies", http.StatusNotFound), amocrmtest.WithNotFoundStatus("leads", http.StatusNoContent)},
			run: func(t *testing.T, e *env) {
				assert.Equal(t, http.StatusNotFound, get(t, e, "/api/v4/companies/999").StatusCode)
				assert.Equal(t, http.StatusNoContent, get(t, e, "/api/v4/leads/999").StatusCode)
				assert.Equal(t, http.StatusNotFound, get(t, e, "/api/v4/contacts/999").StatusCode)
			}},
	}
}

// fieldsEnv adds a date field and a select field to the account's leads.
func (e *env) fieldsEnv() (date, sel amocrmtest.CustomField) {
	date = e.acct.AddCustomField("leads", amocrmtest.CustomField{Name: "Дата замера", Type: "date"})
	sel = e.acct.AddCustomField("leads", amocrmtest.CustomField{Name: "Материал", Type: "select",
		Enums: []amocrmtest.Enum{{Value: "Стекло"}, {Value: "Зеркало"}}})
	return date, sel
}

// writeCF creates a lead with one custom field value and returns the answer.
func (e *env) writeCF(fieldID int64, value map[string]any) resp {
	return e.do(http.MethodPost, "/api/v4/leads", []any{map[string]any{"name": "Замер",
		"custom_fields_values": []any{map[string]any{"field_id": fieldID, "values": []any{value}}}}})
}

// readCF reads back the values of the first lead's field.
func (e *env) readCF(fieldID int64) []map[string]any {
	e.t.Helper()
	leads := e.srv.Leads("acme")
	require.NotEmpty(e.t, leads)
	r := e.do(http.MethodGet, "/api/v4/leads/"+itoa(leads[0].ID), nil)
	require.Equal(e.t, http.StatusOK, r.StatusCode)
	var l struct {
		CF []struct {
			FieldID int64            `json:"field_id"`
			Values  []map[string]any `json:"values"`
		} `json:"custom_fields_values"`
	}
	require.NoError(e.t, json.Unmarshal(r.body, &l))
	for _, f := range l.CF {
		if f.FieldID == fieldID {
			return f.Values
		}
	}
	return nil
}

func customFieldRules() []wireRule {
	const when = "2026-03-14T10:30:00+03:00"
	whenUnix := time.Date(2026, 3, 14, 7, 30, 0, 0, time.UTC).Unix()
	return []wireRule{
		{name: "docs/amocrmtest.md#custom-field-values: a date is RFC 3339 on write and unix seconds on read", run: func(t *testing.T, e *env) {
			date, _ := e.fieldsEnv()
			r := e.writeCF(date.ID, map[string]any{"value": when})
			require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
			assert.Equal(t, []map[string]any{{"value": float64(whenUnix)}}, e.readCF(date.ID))
		}},
		{name: "docs/amocrmtest.md#custom-field-values: a date in any other form is refused", run: func(t *testing.T, e *env) {
			date, _ := e.fieldsEnv()
			for _, v := range []any{whenUnix, itoa(whenUnix), "14.03.2026", "2026-03-14", "tomorrow"} {
				r := e.writeCF(date.ID, map[string]any{"value": v})
				assert.Equal(t, http.StatusBadRequest, r.StatusCode, "%v", v)
				p := decode[problemJSON](t, r)
				require.NotEmpty(t, p.ValidationErrors, "%v", v)
				assert.Equal(t, "custom_fields_values.0.values.0.value", p.ValidationErrors[0].Errors[0].Path)
			}
			assert.Empty(t, e.srv.Leads("acme"))
		}},
		{name: "docs/amocrmtest.md#custom-field-values: LenientDates takes unix seconds", opts: []amocrmtest.Option{amocrmtest.WithLeniency(amocrmtest.LenientDates)},
			run: func(t *testing.T, e *env) {
				date, _ := e.fieldsEnv()
				r := e.writeCF(date.ID, map[string]any{"value": whenUnix})
				require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
				assert.Equal(t, []map[string]any{{"value": float64(whenUnix)}}, e.readCF(date.ID))
			}},
		{name: "docs/amocrmtest.md#custom-field-values: a select option has no enum_code; its text is not one", run: func(t *testing.T, e *env) {
			_, sel := e.fieldsEnv()
			r := e.writeCF(sel.ID, map[string]any{"enum_code": "Зеркало"})
			assert.Equal(t, http.StatusBadRequest, r.StatusCode)
			p := decode[problemJSON](t, r)
			require.NotEmpty(t, p.ValidationErrors)
			assert.Equal(t, "custom_fields_values.0.values.0.enum_code", p.ValidationErrors[0].Errors[0].Path)

			r = e.writeCF(sel.ID, map[string]any{"enum_id": sel.Enums[1].ID})
			require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
			assert.Equal(t, []map[string]any{{"value": "Зеркало", "enum_id": float64(sel.Enums[1].ID), "enum_code": nil}}, e.readCF(sel.ID))
		}},
		{name: "docs/amocrmtest.md#custom-field-values: a multitext enum_code is the code", run: func(t *testing.T, e *env) {
			r := e.do(http.MethodPost, "/api/v4/contacts", []any{map[string]any{"name": "Алексей",
				"custom_fields_values": []any{map[string]any{"field_code": "PHONE", "values": []any{map[string]any{"value": "+7 916 123-45-67", "enum_code": "MOB"}}}}}})
			require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
			r = e.do(http.MethodPost, "/api/v4/contacts", []any{map[string]any{"name": "Мария",
				"custom_fields_values": []any{map[string]any{"field_code": "PHONE", "values": []any{map[string]any{"value": "+7 903", "enum_code": "Мобильный"}}}}}})
			assert.Equal(t, http.StatusBadRequest, r.StatusCode)
		}},
		{name: "docs/amocrmtest.md#custom-field-values: LenientEnumCode takes a select option's text", opts: []amocrmtest.Option{amocrmtest.WithLeniency(amocrmtest.LenientEnumCode)},
			run: func(t *testing.T, e *env) {
				_, sel := e.fieldsEnv()
				r := e.writeCF(sel.ID, map[string]any{"enum_code": "Зеркало"})
				require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
				assert.Equal(t, []map[string]any{{"value": "Зеркало", "enum_id": float64(sel.Enums[1].ID), "enum_code": nil}}, e.readCF(sel.ID),
					"the code still reads back as none")
			}},
	}
}

// listIDs lists path with e's token and returns the ids of the leads, contacts or companies
// (key) it answered; a 204 is none.
func (e *env) listIDs(path, key string) ([]int64, resp) {
	e.t.Helper()
	r := e.do(http.MethodGet, path, nil)
	if r.StatusCode != http.StatusOK {
		return nil, r
	}
	p := decode[page[leadJSON]](e.t, r)
	return ids(p.Embedded[key], leadID), r
}

func filterRules() []wireRule {
	const won = 142
	return []wireRule{
		{name: "docs/amocrmtest.md#list-filters: filter[statuses] keeps the leads in the named stages", run: func(t *testing.T, e *env) {
			open := e.acct.AddLead(amocrmtest.Lead{Name: "открытая"})
			closed := e.acct.AddLead(amocrmtest.Lead{Name: "выиграна", StatusID: won})
			p := itoa(e.acct.PipelineID)
			got, r := e.listIDs("/api/v4/leads?filter[statuses][0][pipeline_id]="+p+"&filter[statuses][0][status_id]=142", "leads")
			assert.Equal(t, []int64{closed.ID}, got, "%s", r.body)
			got, _ = e.listIDs("/api/v4/leads?filter[statuses][0][pipeline_id]="+p+"&filter[statuses][0][status_id]="+itoa(open.StatusID), "leads")
			assert.Equal(t, []int64{open.ID}, got)
		}},
		{name: "docs/amocrmtest.md#list-filters: filter[statuses] takes whole pairs, one per pipeline", run: func(t *testing.T, e *env) {
			e.acct.AddLead(amocrmtest.Lead{})
			p := itoa(e.acct.PipelineID)
			for _, q := range []string{
				"filter[statuses][0][status_id]=142",
				"filter[statuses][0][pipeline_id]=" + p,
				"filter[statuses][0][pipeline_id]=" + p + "&filter[statuses][0][status_id]=142&filter[statuses][1][pipeline_id]=" + p + "&filter[statuses][1][status_id]=143",
				"filter[statuses][]=142",
			} {
				r := e.do(http.MethodGet, "/api/v4/leads?"+q, nil)
				assert.Equal(t, http.StatusBadRequest, r.StatusCode, q)
			}
		}},
		{name: "docs/amocrmtest.md#list-filters: filter[custom_fields_values] matches values, options by id and ranges", run: func(t *testing.T, e *env) {
			_, sel := e.fieldsEnv()
			width := e.acct.AddCustomField("leads", amocrmtest.CustomField{Name: "Ширина", Type: "numeric"})
			mirror := e.acct.AddLead(amocrmtest.Lead{Name: "зеркало", CustomFields: []amocrmtest.CustomFieldValue{
				{FieldID: sel.ID, Values: []amocrmtest.FieldValue{{EnumID: sel.Enums[1].ID}}},
				{FieldID: width.ID, Values: []amocrmtest.FieldValue{{Value: "600"}}}}})
			glass := e.acct.AddLead(amocrmtest.Lead{Name: "стекло", CustomFields: []amocrmtest.CustomFieldValue{
				{FieldID: sel.ID, Values: []amocrmtest.FieldValue{{EnumID: sel.Enums[0].ID}}},
				{FieldID: width.ID, Values: []amocrmtest.FieldValue{{Value: "1200"}}}}})
			e.acct.AddLead(amocrmtest.Lead{Name: "без полей"})
			key := "filter[custom_fields_values][" + itoa(sel.ID) + "][]="
			got, r := e.listIDs("/api/v4/leads?"+key+itoa(sel.Enums[1].ID), "leads")
			assert.Equal(t, []int64{mirror.ID}, got, "%s", r.body)
			rng := "filter[custom_fields_values][" + itoa(width.ID) + "]"
			got, _ = e.listIDs("/api/v4/leads?"+rng+"[from]=1000&"+rng+"[to]=2000", "leads")
			assert.Equal(t, []int64{glass.ID}, got)
			got, _ = e.listIDs("/api/v4/leads?"+rng+"[]=600", "leads")
			assert.Equal(t, []int64{mirror.ID}, got)
		}},
		{name: "docs/amocrmtest.md#list-filters: filter[custom_fields_values] refuses unknown fields and option text", run: func(t *testing.T, e *env) {
			_, sel := e.fieldsEnv()
			for _, q := range []string{
				"filter[custom_fields_values][999][]=1",
				"filter[custom_fields_values][" + itoa(sel.ID) + "][]=Зеркало",
				"filter[custom_fields_values][]=1",
			} {
				assert.Equal(t, http.StatusBadRequest, e.do(http.MethodGet, "/api/v4/leads?"+q, nil).StatusCode, q)
			}
		}},
		{name: "docs/amocrmtest.md#list-filters: filter[closest_task_at] uses the earliest open task", run: func(t *testing.T, e *env) {
			soon := e.acct.AddLead(amocrmtest.Lead{Name: "замер завтра"})
			e.acct.AddLead(amocrmtest.Lead{Name: "без задач"})
			deadline := start().Add(24 * time.Hour).Unix()
			r := e.do(http.MethodPost, "/api/v4/tasks", []any{map[string]any{"text": "Замер", "complete_till": deadline,
				"entity_id": soon.ID, "entity_type": "leads"}})
			require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
			got, r := e.listIDs("/api/v4/leads?filter[closest_task_at][from]="+itoa(deadline-60)+"&filter[closest_task_at][to]="+itoa(deadline+60), "leads")
			assert.Equal(t, []int64{soon.ID}, got, "%s", r.body)
			l := decode[map[string]any](t, e.do(http.MethodGet, "/api/v4/leads/"+itoa(soon.ID), nil))
			assert.Equal(t, float64(deadline), l["closest_task_at"])
		}},
		{name: "docs/amocrmtest.md#list-filters: with=only_deleted lists only deleted entities", run: func(t *testing.T, e *env) {
			e.acct.AddLead(amocrmtest.Lead{})
			e.acct.AddContact(amocrmtest.Contact{Name: "Алексей"})
			assert.Equal(t, http.StatusNoContent, e.do(http.MethodGet, "/api/v4/leads?with=only_deleted", nil).StatusCode)
			assert.Equal(t, http.StatusNoContent, e.do(http.MethodGet, "/api/v4/contacts?with=only_deleted", nil).StatusCode)
			assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v4/leads?with=contacts", nil).StatusCode)
		}},
		{name: "docs/amocrmtest.md#list-filters: filters the server does not implement are refused", run: func(t *testing.T, e *env) {
			e.acct.AddLead(amocrmtest.Lead{})
			e.acct.AddContact(amocrmtest.Contact{Name: "Алексей"})
			for _, path := range []string{
				"/api/v4/leads?filter[status_id]=142",
				"/api/v4/leads?filter[tags][]=1",
				"/api/v4/leads?filter=1",
				"/api/v4/leads?with=everything",
				"/api/v4/contacts?filter[price][from]=1",
				"/api/v4/contacts?filter[statuses][0][pipeline_id]=1&filter[statuses][0][status_id]=142",
				"/api/v4/leads/notes?filter[text]=x",
			} {
				r := e.do(http.MethodGet, path, nil)
				assert.Equal(t, http.StatusBadRequest, r.StatusCode, path)
			}
		}},
		{name: "docs/amocrmtest.md#list-filters: LenientFilters ignores them", opts: []amocrmtest.Option{amocrmtest.WithLeniency(amocrmtest.LenientFilters)},
			run: func(t *testing.T, e *env) {
				l := e.acct.AddLead(amocrmtest.Lead{})
				got, r := e.listIDs("/api/v4/leads?filter[status_id]=142&with=everything", "leads")
				assert.Equal(t, []int64{l.ID}, got, "%s", r.body)
			}},
	}
}

func noteRules() []wireRule {
	note := func(typ string, params any) []any {
		return []any{map[string]any{"note_type": typ, "params": params}}
	}
	return []wireRule{
		{name: "docs/amocrmtest.md#typed-notes: each type takes the params it documents", run: func(t *testing.T, e *env) {
			l := e.acct.AddLead(amocrmtest.Lead{})
			path := "/api/v4/leads/" + itoa(l.ID) + "/notes"
			for _, n := range [][]any{
				note("common", map[string]any{"text": "Замер в субботу"}),
				note("call_in", map[string]any{"uniq": "c-1", "duration": 65, "source": "АТС", "phone": "+79161234567", "call_status": 4, "call_responsible": "Ирина"}),
				note("call_out", map[string]any{"uniq": "c-2", "duration": 0, "source": "АТС", "phone": "+79161234567", "link": "https://pbx.example/rec.mp3", "call_responsible": 5}),
				note("service_message", map[string]any{"service": "Калькулятор", "text": "Расчёт сохранён"}),
				note("sms_out", map[string]any{"text": "Ждём вас", "phone": "+79161234567"}),
				note("geolocation", map[string]any{"text": "Объект", "address": "Ленина, 1", "longitude": "37.6", "latitude": "55.7"}),
				note("message_cashier", map[string]any{"status": "created", "text": "Счёт"}),
				note("attachment", map[string]any{"file_uuid": "f-1", "file_name": "offer.pdf"}),
			} {
				r := e.do(http.MethodPost, path, n)
				assert.Equal(t, http.StatusOK, r.StatusCode, "%v: %s", n, r.body)
			}
		}},
		{name: "docs/amocrmtest.md#typed-notes: wrong, missing or unknown params are refused", run: func(t *testing.T, e *env) {
			l := e.acct.AddLead(amocrmtest.Lead{})
			path := "/api/v4/leads/" + itoa(l.ID) + "/notes"
			for _, n := range [][]any{
				note("call_in", map[string]any{}),
				note("call_in", map[string]any{"uniq": "c-1", "duration": "65", "source": "АТС", "phone": "+7"}),
				note("call_in", map[string]any{"uniq": "c-1", "duration": 65, "source": "АТС", "phone": "+7", "call_status": 9}),
				note("common", map[string]any{"text": "x", "extra": 1}),
				note("common", map[string]any{"text": 5}),
				note("sms_in", map[string]any{"text": "x"}),
				note("message_cashier", map[string]any{"status": "paid", "text": "x"}),
				note("common", nil),
				note("chat", map[string]any{"text": "x"}),
			} {
				r := e.do(http.MethodPost, path, n)
				assert.Equal(t, http.StatusBadRequest, r.StatusCode, "%v", n)
			}
			assert.Empty(t, e.srv.Notes("leads", l.ID), "nothing was written")
		}},
		{name: "docs/amocrmtest.md#typed-notes: LenientNoteParams takes any params", opts: []amocrmtest.Option{amocrmtest.WithLeniency(amocrmtest.LenientNoteParams)},
			run: func(t *testing.T, e *env) {
				l := e.acct.AddLead(amocrmtest.Lead{})
				r := e.do(http.MethodPost, "/api/v4/leads/"+itoa(l.ID)+"/notes", note("call_in", map[string]any{}))
				assert.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
			}},
	}
}

func companyRules() []wireRule {
	link := func(e *env, path string, items ...map[string]any) resp {
		return e.do(http.MethodPost, path, items)
	}
	return []wireRule{
		{name: "docs/amocrmtest.md#one-company: a lead or contact has at most one company, however it is linked", run: func(t *testing.T, e *env) {
			a := e.acct.AddCompany(amocrmtest.Company{Name: "А"})
			b := e.acct.AddCompany(amocrmtest.Company{Name: "Б"})
			l := e.acct.AddLead(amocrmtest.Lead{})
			ct := e.acct.AddContact(amocrmtest.Contact{Name: "Алексей"})
			to := func(typ string, id int64) map[string]any {
				return map[string]any{"to_entity_type": typ, "to_entity_id": id}
			}
			mass := func(from, to int64, typ string) map[string]any {
				return map[string]any{"entity_id": from, "to_entity_type": typ, "to_entity_id": to}
			}
			for name, r := range map[string]resp{
				"two in one request": link(e, "/api/v4/leads/"+itoa(l.ID)+"/link", to("companies", a.ID), to("companies", b.ID)),
				"two in a mass link": link(e, "/api/v4/leads/link", mass(l.ID, a.ID, "companies"), mass(l.ID, b.ID, "companies")),
				"from two companies": link(e, "/api/v4/companies/link", mass(a.ID, ct.ID, "contacts"), mass(b.ID, ct.ID, "contacts")),
				"create with two":    e.do(http.MethodPost, "/api/v4/leads", []any{map[string]any{"_embedded": map[string]any{"companies": []any{map[string]any{"id": a.ID}, map[string]any{"id": b.ID}}}}}),
			} {
				assert.Equal(t, http.StatusBadRequest, r.StatusCode, name)
			}
			assert.Empty(t, e.srv.Links("leads", l.ID))
			assert.Empty(t, e.srv.Links("contacts", ct.ID))

			require.Equal(t, http.StatusOK, link(e, "/api/v4/leads/"+itoa(l.ID)+"/link", to("companies", a.ID)).StatusCode)
			assert.Equal(t, http.StatusOK, link(e, "/api/v4/leads/"+itoa(l.ID)+"/link", to("companies", a.ID)).StatusCode, "the same company again")
			assert.Equal(t, http.StatusBadRequest, link(e, "/api/v4/companies/"+itoa(b.ID)+"/link", to("leads", l.ID)).StatusCode,
				"a second company from the company's side")
			assert.Equal(t, http.StatusNoContent, link(e, "/api/v4/leads/"+itoa(l.ID)+"/unlink", to("companies", a.ID)).StatusCode)
			assert.Equal(t, http.StatusOK, link(e, "/api/v4/companies/"+itoa(b.ID)+"/link", to("leads", l.ID)).StatusCode, "after the unlink")
			got, _ := e.srv.Lead(l.ID)
			assert.Equal(t, b.ID, got.CompanyID)
		}},
	}
}
