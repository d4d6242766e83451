package calculator_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/demo"
	"github.com/amokit/amokit/widget"
)

// startCard is the lead of a start's answer.
func (f *fixture) startCard(ticket string) (answer, calculator.LeadCard) {
	f.t.Helper()
	a := f.do(http.MethodGet, "/widget/api?action=start", "", "Authorization", "Bearer "+ticket)
	var got struct {
		Lead calculator.LeadCard `json:"lead"`
	}
	if a.status == http.StatusOK {
		a.decode(f.t, &got)
	}
	return a, got.Lead
}

// leadReads counts the fake's reads of one lead since the last reset.
func (f *fixture) leadReads(lead int64) int {
	n := 0
	for _, r := range f.fake.Requests() {
		if r.Method == http.MethodGet && r.Path == "/api/v4/leads/"+strconv.FormatInt(lead, 10) {
			n++
		}
	}
	return n
}

// TestStartTakesTheCardReadAhead: the session's read of the lead (which checks that the manager
// may open it) is the card's first level, the session starts the rest, and start answers with it
// without reading the lead again. Once taken, the page asks for it again.
func TestStartTakesTheCardReadAhead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[0] // a contact and two products
	token, err := f.fake.DisposableToken(f.integ.ClientID, demo.Subdomain, f.demo.Manager.ID, "")
	require.NoError(t, err)

	f.fake.ResetRequests()
	a := f.session(token, lead.ID)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var s sessionAnswer
	a.decode(t, &s)
	a, card := f.startCard(s.Ticket)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, lead.Name, card.Name)
	require.NotNil(t, card.Contact)
	assert.Equal(t, "Алексей Петров", card.Contact.Name)
	require.Len(t, card.Products, 2)
	assert.NotEmpty(t, card.Products[0].Name)
	assert.Equal(t, 1, f.leadReads(lead.ID), "the session's read serves the card")
	for _, r := range f.fake.Requests() {
		if r.Path == "/api/v4/users/"+strconv.FormatInt(f.demo.Manager.ID, 10) {
			continue // the manager's name, which only an administrator may read (TestSessionActsAsTheManager)
		}
		assert.Equal(t, strconv.FormatInt(f.demo.Manager.ID, 10), r.ContextUser, "read ahead as the manager: %s %s", r.Method, r.Path)
	}

	// The page of the same ticket reads ahead again; start takes it.
	f.fake.ResetRequests()
	page := f.do(http.MethodGet, "/widget/page?ticket="+url.QueryEscape(s.Ticket), "")
	require.Equal(t, http.StatusOK, page.status)
	a, card = f.startCard(s.Ticket)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, lead.Name, card.Name)
	assert.Equal(t, 1, f.leadReads(lead.ID), "the page's read ahead, not a second read by start")
}

// TestReadAheadIsTheTicketsOnly: a card read ahead for the victim's ticket never reaches another
// account's valid ticket for a lead with the same id, nor another user's ticket of the same
// account; the victim's own start still gets it.
func TestReadAheadIsTheTicketsOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	victimLead := f.demo.Leads[0]
	token, err := f.fake.DisposableToken(f.integ.ClientID, demo.Subdomain, f.demo.Manager.ID, "")
	require.NoError(t, err)
	a := f.session(token, victimLead.ID)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var s sessionAnswer
	a.decode(t, &s)

	tenant := f.connectTenant("tenant")
	victim, err := f.signer.Verify(s.Ticket)
	require.NoError(t, err)
	// The same lead id, user id and expiry as the victim's ticket: only the account differs.
	foreign := f.signer.Sign(widget.Ticket{Account: tenant.Host, AccountID: tenant.ID, UserID: victim.UserID, LeadID: victimLead.ID})
	colleague := f.demo.Account.AddUser(amocrmtest.User{Name: "Стажёр", Leads: amocrmtest.Rights{View: "A", Edit: "A"}})
	sameAccount := f.signer.Sign(widget.Ticket{Account: f.account, AccountID: f.demo.Account.ID, UserID: colleague.ID, LeadID: victimLead.ID})

	for name, ticket := range map[string]string{"another account": foreign, "another user": sameAccount} {
		page := f.do(http.MethodGet, "/widget/page?ticket="+url.QueryEscape(ticket), "")
		require.Equal(t, http.StatusOK, page.status, name)
		a, _ := f.startCard(ticket)
		if name == "another account" {
			assert.NotEqual(t, http.StatusOK, a.status, "%s: %s", name, a.body)
			assert.NotContains(t, string(a.body), victimLead.Name, name)
			assert.NotContains(t, string(a.body), "Петров", name)
		}
	}

	f.fake.ResetRequests()
	a, card := f.startCard(s.Ticket)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, victimLead.Name, card.Name)
	assert.Zero(t, f.leadReads(victimLead.ID), "the victim's card was read ahead and is still there")
}
