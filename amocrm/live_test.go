//go:build live

// The live test runs the SDK end to end against a real amoCRM account. It is built only with the
// live tag and skips, saying what to set, unless an account and a token are given:
//
//	AMOKIT_LIVE_ACCOUNT=acme.amocrm.ru AMOKIT_LIVE_TOKEN=<long-lived token> \
//		go test -tags live -run TestLive -v ./amocrm
//
// AMOKIT_LIVE_TOKEN is a long-lived token of a private integration (docs/amocrm-reference.md#long-lived-tokens),
// made by an administrator of a test account. AMOKIT_LIVE_BASE_URL, if set, sends the requests
// there instead of to the account's host (a proxy or a staging copy).
//
// The test reads the account, creates a lead, reads it, updates it, adds a note and reads it back.
// amoCRM's API has no way to delete a lead or a note, so the cleanup closes the lead as lost and
// tags it amokit-live-test, for a person to delete in the interface.

package amocrm_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// liveTag marks every lead the live test makes.
const liveTag = "amokit-live-test"

func TestLive(t *testing.T) {
	account, token := os.Getenv("AMOKIT_LIVE_ACCOUNT"), os.Getenv("AMOKIT_LIVE_TOKEN")
	if account == "" || token == "" {
		t.Skip("live test skipped: set AMOKIT_LIVE_ACCOUNT (e.g. acme.amocrm.ru) and AMOKIT_LIVE_TOKEN " +
			"(a long-lived token of a private integration in a test account)")
	}
	opts := []amocrm.Option{amocrm.WithAccessToken(token)}
	if u := os.Getenv("AMOKIT_LIVE_BASE_URL"); u != "" {
		opts = append(opts, amocrm.WithBaseURL(u))
	}
	c, err := amocrm.New(account, opts...)
	require.NoError(t, err)
	host, err := amocrm.ParseDomain(account)
	require.NoError(t, err)
	runLive(t, c, strings.SplitN(host, ".", 2)[0])
}

// TestLiveAgainstTheFake runs the live test's steps against amocrmtest, so that the steps
// themselves are known to work before they meet a real account.
func TestLiveAgainstTheFake(t *testing.T) {
	srv := amocrmtest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddAccount("acme")
	integ := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://app.example/oauth/callback"})
	tok, err := srv.IssueToken(integ.ClientID, "acme")
	require.NoError(t, err)
	c, err := amocrm.New("acme.amocrm.ru", amocrm.WithBaseURL(srv.URL), amocrm.WithAccessToken(tok.AccessToken))
	require.NoError(t, err)
	var id int64
	t.Cleanup(func() { // runs after runLive's cleanup
		lead, ok := srv.Lead(id)
		require.True(t, ok)
		assert.Equal(t, amocrm.StatusLost, lead.StatusID, "the cleanup closed the lead as lost")
	})
	id = runLive(t, c, "acme")

	lead, ok := srv.Lead(id)
	require.True(t, ok)
	assert.True(t, strings.HasSuffix(lead.Name, "(updated)"), lead.Name)
	require.Len(t, srv.Notes("leads", id), 1)
}

// runLive runs the steps on c, an account whose subdomain is subdomain, and returns the id of the
// lead it made. The cleanup it registers closes the lead as lost.
func runLive(t *testing.T, c *amocrm.Client, subdomain string) int64 {
	ctx := t.Context()

	acc, err := c.Account.Get(ctx)
	require.NoError(t, err, "reading the account")
	assert.Positive(t, acc.ID)
	assert.Equal(t, subdomain, acc.Subdomain)
	t.Logf("account %d %q, user %d", acc.ID, acc.Name, acc.CurrentUserID)

	name := "amokit live test " + time.Now().UTC().Format(time.RFC3339)
	saved, err := c.Leads.Create(ctx, []amocrm.CreateLeadRequest{{
		Name: name, Price: 1500, Tags: []amocrm.TagRef{amocrm.TagNamed(liveTag)},
	}})
	require.NoError(t, err, "creating a lead")
	require.Len(t, saved, 1)
	id := saved[0].ID
	require.Positive(t, id)
	t.Logf("lead %d created", id)
	t.Cleanup(func() {
		// t.Context is done by now: the cleanup has its own deadline.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := c.Leads.UpdateOne(ctx, id, amocrm.UpdateLeadRequest{StatusID: amocrm.StatusLost})
		assert.NoError(t, err, "closing lead %d as lost; delete it in amoCRM's interface", id)
	})

	lead, err := c.Leads.Get(ctx, id)
	require.NoError(t, err, "reading the lead")
	assert.Equal(t, name, lead.Name)
	assert.Equal(t, int64(1500), lead.Price)

	newName, newPrice := name+" (updated)", int64(17204)
	_, err = c.Leads.UpdateOne(ctx, id, amocrm.UpdateLeadRequest{Name: &newName, Price: &newPrice})
	require.NoError(t, err, "updating the lead")
	lead, err = c.Leads.Get(ctx, id)
	require.NoError(t, err, "reading the lead again")
	assert.Equal(t, newName, lead.Name)
	assert.Equal(t, newPrice, lead.Price)

	text := fmt.Sprintf("amokit live test note on lead %d", id)
	notes, err := c.Notes.Create(ctx, amocrm.EntityLeads, []amocrm.CreateNoteRequest{{
		EntityID: id, Params: amocrm.CommonNote{Text: text},
	}})
	require.NoError(t, err, "adding a note")
	require.Len(t, notes, 1)
	page, err := c.Notes.List(ctx, amocrm.EntityLeads, &amocrm.NoteListOptions{EntityIDs: []int64{id}})
	require.NoError(t, err, "listing the lead's notes")
	var found bool
	for _, n := range page.Items {
		if n.ID == notes[0].ID {
			found = true
			assert.Equal(t, amocrm.CommonNote{Text: text}, n.Params)
		}
	}
	assert.True(t, found, "note %d among the lead's notes", notes[0].ID)
	return id
}
