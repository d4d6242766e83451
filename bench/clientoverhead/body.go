package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// pageSize is the page the benchmark reads: amoCRM's largest.
const pageSize = 250

// leadsPage returns a realistic body of GET /api/v4/leads?limit=250&with=contacts as amocrmtest
// renders it: 250 leads of a glass workshop with five custom fields each (numeric, select, date,
// text, checkbox), tags, a contact and, for every third lead, a company.
func leadsPage(ctx context.Context) ([]byte, error) {
	fake := amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 1))
	defer fake.Close()
	acct := fake.AddAccount("bench")
	area := acct.AddCustomField("leads", amocrmtest.CustomField{Name: "Площадь, м²", Type: "numeric"})
	glass := acct.AddCustomField("leads", amocrmtest.CustomField{Name: "Тип стекла", Type: "select",
		Enums: []amocrmtest.Enum{{Value: "Прозрачное"}, {Value: "Осветлённое"}, {Value: "Матовое"}, {Value: "Зеркало"}}})
	measured := acct.AddCustomField("leads", amocrmtest.CustomField{Name: "Дата замера", Type: "date"})
	address := acct.AddCustomField("leads", amocrmtest.CustomField{Name: "Адрес объекта", Type: "text"})
	install := acct.AddCustomField("leads", amocrmtest.CustomField{Name: "Монтаж", Type: "checkbox"})
	company := acct.AddCompany(amocrmtest.Company{Name: "ООО «Ремстрой»"})
	tags := []string{"сайт", "звонок", "повторный", "опт", "срочно"}
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range pageSize {
		contact := acct.AddContact(amocrmtest.Contact{FirstName: "Клиент", LastName: strconv.Itoa(i + 1),
			CustomFields: []amocrmtest.CustomFieldValue{
				{FieldCode: "PHONE", Values: []amocrmtest.FieldValue{{Value: fmt.Sprintf("+7 916 %03d-%02d-%02d", i, i%100, (i*7)%100), EnumCode: "MOB"}}},
			}})
		l := amocrmtest.Lead{
			Name:       fmt.Sprintf("Душевое ограждение %d×2000, заказ №%d", 700+i%5*100, 1000+i),
			Price:      int64(9000 + i*137),
			CreatedAt:  day.Add(time.Duration(i) * time.Hour),
			UpdatedAt:  day.Add(time.Duration(i)*time.Hour + 30*time.Minute),
			Tags:       []string{tags[i%len(tags)], tags[(i+2)%len(tags)]},
			ContactIDs: []int64{contact.ID},
			CustomFields: []amocrmtest.CustomFieldValue{
				{FieldID: area.ID, Values: []amocrmtest.FieldValue{{Value: strconv.FormatFloat(1.2+float64(i%17)/10, 'f', 1, 64)}}},
				{FieldID: glass.ID, Values: []amocrmtest.FieldValue{{EnumID: glass.Enums[i%len(glass.Enums)].ID}}},
				{FieldID: measured.ID, Values: []amocrmtest.FieldValue{{Value: strconv.FormatInt(day.Add(time.Duration(i)*24*time.Hour).Unix(), 10)}}},
				{FieldID: address.ID, Values: []amocrmtest.FieldValue{{Value: fmt.Sprintf("Москва, ул. Стекольная, д. %d, кв. %d", 1+i%40, 1+i)}}},
				{FieldID: install.ID, Values: []amocrmtest.FieldValue{{Value: strconv.FormatBool(i%2 == 0)}}},
			},
		}
		if i%3 == 0 {
			l.CompanyID = company.ID
		}
		acct.AddLead(l)
	}
	integ := fake.AddIntegration(amocrmtest.Integration{Name: "clientoverhead", RedirectURI: "https://bench.example/oauth/callback"})
	tok, err := fake.IssueToken(integ.ClientID, acct.Subdomain)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		"https://"+acct.Host+"/api/v4/leads?limit="+strconv.Itoa(pageSize)+"&with=contacts", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := fake.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the fake answered %s: %.200s", resp.Status, body)
	}
	return body, nil
}
