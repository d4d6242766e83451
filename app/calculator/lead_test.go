package calculator_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/demo"
	"github.com/amokit/amokit/widget"
)

type leadAnswer struct {
	Lead calculator.LeadCard `json:"lead"`
}

func TestGetLead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[0]
	a := f.do(http.MethodGet, "/widget/api?action=get_lead", "",
		"Authorization", "Bearer "+f.ticket(lead.ID),
		"X-Lead-Id", strconv.FormatInt(lead.ID, 10), "X-Account-Domain", f.account)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
	var got leadAnswer
	a.decode(t, &got)

	priceField, ok := f.demo.Products.Field("PRICE")
	require.True(t, ok)
	contact := f.demo.Contacts[0]
	assert.Equal(t, calculator.LeadCard{
		ID: lead.ID, Name: "Душевое ограждение 900×2000", Price: 17204,
		Contact: &calculator.ContactCard{Name: contact.Name, Phone: "+7 916 123-45-67", Email: "a.petrov@example.ru"},
		Products: []calculator.LeadProduct{
			{ID: f.demo.ProductElements[0].ID, Name: "Стекло прозрачное М1, 8 мм", SKU: "float-8", Quantity: "1.8", PriceID: priceField.ID},
			{ID: f.demo.ProductElements[4].ID, Name: "Петля стена–стекло", SKU: "hinge_wall_glass", Quantity: "2", PriceID: priceField.ID},
		},
	}, got.Lead)
	assert.NotEmpty(t, contact.Name)
}

func TestGetLeadWithoutContactOrProducts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.demo.Account.AddLead(amocrmtest.Lead{Name: "Пустая сделка"})
	a := f.do(http.MethodGet, "/widget/api?action=get_lead", "", "Authorization", "Bearer "+f.ticket(l.ID))
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.JSONEq(t, `{"lead":{"id":`+strconv.FormatInt(l.ID, 10)+`,"name":"Пустая сделка","price":0,"contact":null,"products":[]}}`, string(a.body))
}

func TestGetLeadRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[0].ID
	auth := "Bearer " + f.ticket(lead)

	for name, tc := range map[string]struct {
		headers []string
		status  int
		code    string
	}{
		"no ticket":             {nil, http.StatusUnauthorized, widget.CodeTicketMissing},
		"forged ticket":         {[]string{"Authorization", "Bearer " + f.ticket(lead) + "x"}, http.StatusUnauthorized, widget.CodeTicketInvalid},
		"admin token as ticket": {[]string{"Authorization", "Bearer " + fxAdminToken}, http.StatusUnauthorized, widget.CodeTicketInvalid},
		"other lead in header":  {[]string{"Authorization", auth, "X-Lead-Id", strconv.FormatInt(lead+1, 10)}, http.StatusForbidden, widget.CodeTicketMismatch},
		"other account header":  {[]string{"Authorization", auth, "X-Account-Domain", "evil.amocrm.ru"}, http.StatusForbidden, widget.CodeTicketMismatch},
	} {
		a := f.do(http.MethodGet, "/widget/api?action=get_lead", "", tc.headers...)
		assert.Equal(t, tc.status, a.status, name)
		assert.Equal(t, tc.code, a.errorCode(t), name)
	}

	// A ticket for a lead amoCRM does not have.
	a := f.do(http.MethodGet, "/widget/api?action=get_lead", "", "Authorization", "Bearer "+f.ticket(999999))
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Equal(t, calculator.CodeLeadNotFound, a.errorCode(t))

	// amoCRM failing is a 502 that says nothing of the cause.
	f.fake.FailNext(1, http.MethodGet, "/api/v4/leads/{id}", amocrmtest.Fault{Status: http.StatusInternalServerError, Body: `{"detail":"boom"}`})
	a = f.do(http.MethodGet, "/widget/api?action=get_lead", "", "Authorization", auth)
	assert.Equal(t, http.StatusBadGateway, a.status)
	assert.Equal(t, calculator.CodeCRMUnavailable, a.errorCode(t))
	assert.NotContains(t, string(a.body), "boom")
}

func TestGetLeadRevokedConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// amoCRM disables the integration: its hook reaches our /oauth/revoke, which deletes the
	// connection; the card then reads "not connected".
	require.NoError(t, f.fake.RevokeIntegration(t.Context(), f.integ.ClientID, demo.Subdomain))
	_, err := f.conns.Load(t.Context(), f.account)
	require.Error(t, err, "the revoke hook deleted the connection")
	a := f.do(http.MethodGet, "/widget/api?action=get_lead", "", "Authorization", "Bearer "+f.ticket(f.demo.Leads[0].ID))
	assert.Equal(t, http.StatusConflict, a.status)
	assert.Equal(t, widget.CodeNotConnected, a.errorCode(t))
}

// TestStart answers the lead's card and its saved calculations, numbered, in one request; a
// ticket for another account's lead reads nothing of this one.
func TestStart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[1]
	for _, key := range []string{fxKey1, fxKey2} {
		a, _ := f.save(lead.ID, key, fxOrder)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	}
	a := f.do(http.MethodGet, "/widget/api?action=start", "", "Authorization", "Bearer "+f.ticket(lead.ID))
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var got struct {
		Lead         calculator.LeadCard `json:"lead"`
		Calculations []savedCalculation  `json:"calculations"`
	}
	a.decode(t, &got)
	assert.Equal(t, lead.ID, got.Lead.ID)
	assert.Equal(t, int64(17204), got.Lead.Price, "the price the saves wrote")
	assert.NotNil(t, got.Lead.Contact)
	require.Len(t, got.Calculations, 2)
	assert.Equal(t, []int{2, 1}, []int{got.Calculations[0].Number, got.Calculations[1].Number}, "newest first, numbered from the first")

	other := f.do(http.MethodGet, "/widget/api?action=start", "", "Authorization", "Bearer "+f.ticket(f.demo.Leads[0].ID))
	require.Equal(t, http.StatusOK, other.status, "%s", other.body)
	assert.NotContains(t, string(other.body), got.Calculations[0].ID, "another lead's calculations stay out")

	foreign := "Bearer " + f.signer.Sign(widget.Ticket{Account: "rival.amocrm.ru", AccountID: 999, UserID: 1, LeadID: lead.ID})
	a = f.do(http.MethodGet, "/widget/api?action=start", "", "Authorization", foreign)
	assert.NotEqual(t, http.StatusOK, a.status, "another account's ticket for a lead with the same id")
	assert.NotContains(t, string(a.body), got.Calculations[0].ID)
	assert.NotContains(t, string(a.body), got.Lead.Name)
}
