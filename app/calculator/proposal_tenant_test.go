package calculator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/app/proposal"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

// TestProposal_anotherConnectedAccountSeesNothingOfThis: another account, connected too and
// with a lead of the same id, holds a valid ticket for that lead. It cannot address a proposal
// to this account's calculation, nor read this account's proposal by its number; its own
// proposal for the lead is numbered apart and serves its own PDF.
func TestProposal_anotherConnectedAccountSeesNothingOfThis(t *testing.T) {
	t.Parallel()
	d := &drive{}
	f, settings, _ := proposalFixture(t, d)
	require.NoError(t, settings.SaveSettings(t.Context(), proposal.Settings{Shop: proposal.Shop{Name: "Стекло"}, ValidDays: 7}))
	const rival = "rival.amocrm.ru"
	f.fake.AddAccount("rival")
	tok, err := f.fake.IssueToken(f.integ.ClientID, "rival")
	require.NoError(t, err)
	require.NoError(t, f.conns.Save(t.Context(), &tokenstore.Connection{
		Account: rival, AccountID: 999, ClientID: f.integ.ClientID, ClientSecret: f.integ.ClientSecret,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.ExpiresAt,
	}))

	lead := f.demo.Leads[0].ID
	path := "/widget/leads/" + itoa(lead) + "/proposals"
	auth := "Bearer " + f.ticket(lead)
	foreign := "Bearer " + f.signer.Sign(widget.Ticket{Account: rival, AccountID: 999, UserID: f.demo.Manager.ID, LeadID: lead})

	_, saved := f.save(lead, "4b6e4f1a-3c2d-4e5f-8a9b-0c1d2e3f4a5b", fxOrder)
	require.NotEmpty(t, saved.Calculation.ID)
	ours := `{"calculation_id":"` + saved.Calculation.ID + `","party":"contact:7"}`
	a := f.do(http.MethodPost, path, ours, "Authorization", auth)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var p proposalAnswer
	require.NoError(t, json.Unmarshal(a.body, &p))
	require.Equal(t, itoa(lead)+"-1", p.Proposal.Number)
	ourPDF := f.do(http.MethodGet, p.Proposal.Download, "", "Authorization", auth)
	require.Equal(t, http.StatusOK, ourPDF.status)
	require.Equal(t, 1, d.uploads)

	// A body past the cap is refused as such, though the same request within it succeeds.
	padded := `{"calculation_id":"` + saved.Calculation.ID + `","party":"contact:7","pad":"` + strings.Repeat("x", widget.MaxBodySize) + `"}`
	a = f.do(http.MethodPost, path, padded, "Authorization", auth)
	assert.Equal(t, http.StatusRequestEntityTooLarge, a.status)
	assert.Equal(t, widget.CodeBodyTooLarge, a.errorCode(t))

	// The other account's ticket is valid: it lists its own lead's clients.
	a = f.do(http.MethodGet, "/widget/leads/"+itoa(lead)+"/proposal", "", "Authorization", foreign)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)

	a = f.do(http.MethodPost, path, ours, "Authorization", foreign)
	assert.Equal(t, http.StatusNotFound, a.status, "%s", a.body)
	assert.Equal(t, calculator.CodeCalculationNotFound, a.errorCode(t))
	assert.Equal(t, 1, d.uploads, "no file made for another account's calculation")
	a = f.do(http.MethodGet, p.Proposal.Download, "", "Authorization", foreign)
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.False(t, bytes.Equal(ourPDF.body, a.body))

	// Its own calculation for its lead of the same id makes its own proposal, numbered from 1 in
	// its account.
	var order glass.Order
	require.NoError(t, json.Unmarshal([]byte(fxOrder), &order))
	order.Pieces[0].Quantity = 2 // another order than ours, so its PDF differs from ours
	quote, err := glass.DefaultPriceList().Quote(order)
	require.NoError(t, err)
	theirs, _, err := f.calcs.Claim(t.Context(), calculator.Calculation{ID: "rival-1", Account: rival, AccountID: 999,
		LeadID: lead, UserID: f.demo.Manager.ID, IdempotencyKey: "5b6e4f1a-3c2d-4e5f-8a9b-0c1d2e3f4a5b",
		Order: order, Quote: *quote, Parts: calculator.PendingParts(), CreatedAt: time.Now()}, time.Now(), time.Minute)
	require.NoError(t, err)
	a = f.do(http.MethodPost, path, `{"calculation_id":"`+theirs.ID+`","party":"contact:7"}`, "Authorization", foreign)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var q proposalAnswer
	require.NoError(t, json.Unmarshal(a.body, &q))
	assert.Equal(t, itoa(lead)+"-1", q.Proposal.Number)
	a = f.do(http.MethodGet, q.Proposal.Download, "", "Authorization", auth)
	assert.True(t, bytes.Equal(ourPDF.body, a.body), "this account's number still serves this account's PDF")
	a = f.do(http.MethodGet, q.Proposal.Download, "", "Authorization", foreign)
	require.Equal(t, http.StatusOK, a.status)
	assert.False(t, bytes.Equal(ourPDF.body, a.body), "the other account's number serves its own PDF")
}
