package amocrm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

func TestAsUserActsWithTheUsersRights(t *testing.T) {
	t.Parallel()
	srv := amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 1))
	t.Cleanup(srv.Close)
	acct := srv.AddAccount("acme")
	manager := acct.AddUser(amocrmtest.User{Name: "Менеджер", Leads: amocrmtest.Rights{View: "M", Edit: "M"}})
	own := acct.AddLead(amocrmtest.Lead{Name: "Своя", ResponsibleUserID: manager.ID})
	other := acct.AddLead(amocrmtest.Lead{Name: "Чужая"})
	integ := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://app.example/oauth/callback"})
	tok, err := srv.IssueToken(integ.ClientID, "acme")
	require.NoError(t, err)
	c, err := amocrm.New("acme.amocrm.ru", amocrm.WithBaseURL(srv.URL), amocrm.WithAccessToken(tok.AccessToken),
		amocrm.WithRetry(amocrm.RetryPolicy{Attempts: 3, MinWait: 1, MaxWait: 1}))
	require.NoError(t, err)

	ctx := amocrm.AsUser(t.Context(), manager.ID)
	_, err = c.Leads.Get(ctx, other.ID)
	require.ErrorIs(t, err, amocrm.ErrNotFound, "the manager may not see another's lead")
	_, err = c.Leads.Get(t.Context(), other.ID)
	require.NoError(t, err, "the administrator's token alone sees it")

	// A read that fails once is retried, and the retry acts as the manager too.
	srv.FailNext(1, http.MethodGet, "/api/v4/leads/"+strconv.FormatInt(own.ID, 10), amocrmtest.Fault{Status: http.StatusServiceUnavailable})
	srv.ResetRequests()
	_, err = c.Leads.Get(ctx, own.ID)
	require.NoError(t, err)
	_, err = c.Notes.Create(ctx, amocrm.EntityLeads, []amocrm.CreateNoteRequest{{EntityID: own.ID, Params: amocrm.CommonNote{Text: "расчёт"}}})
	require.NoError(t, err)
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		assert.Equal(t, strconv.FormatInt(manager.ID, 10), r.ContextUser, "%s %s", r.Method, r.Path)
	}
	notes := srv.Notes("leads", own.ID)
	require.Len(t, notes, 1)
	assert.Equal(t, manager.ID, notes[0].CreatedBy, "the note is the manager's")

	// A context without a user sends no header, even under a context that had one.
	srv.ResetRequests()
	_, err = c.Leads.Get(amocrm.AsUser(ctx, 0), own.ID)
	require.NoError(t, err)
	assert.Empty(t, srv.Requests()[0].ContextUser)
}

func ExampleAsUser() {
	srv := amocrmtest.NewServer()
	defer srv.Close()
	acct := srv.AddAccount("acme")
	manager := acct.AddUser(amocrmtest.User{Name: "Менеджер", Leads: amocrmtest.Rights{View: "M"}})
	lead := acct.AddLead(amocrmtest.Lead{Name: "Чужая сделка"})
	integ := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://app.example/oauth/callback"})
	tok, _ := srv.IssueToken(integ.ClientID, "acme") // granted by the account's administrator
	c, _ := amocrm.New("acme.amocrm.ru", amocrm.WithBaseURL(srv.URL), amocrm.WithAccessToken(tok.AccessToken))

	// Every request under this context runs with the manager's rights.
	ctx := amocrm.AsUser(context.Background(), manager.ID)
	_, err := c.Leads.Get(ctx, lead.ID)
	fmt.Println(errors.Is(err, amocrm.ErrNotFound))
	// Output: true
}
