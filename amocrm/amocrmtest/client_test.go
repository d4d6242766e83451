package amocrmtest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// TestNewClient is the whole start of a user's test: one call, then the
// SDK against the fake account, unpaced and without 429s.
func TestNewClient(t *testing.T) {
	t.Parallel()
	client, acme := amocrmtest.NewClient(t)
	for range 20 {
		acme.AddLead(amocrmtest.Lead{Name: "Кухонный фартук"})
	}
	n := 0
	for _, err := range client.Leads.All(t.Context(), &amocrm.LeadListOptions{Limit: 1}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 20, n)
	srv := acme.Server()
	assert.Zero(t, srv.Counters().TooManyRequests)
	for _, r := range srv.Requests() {
		assert.Equal(t, acme.Host, r.Host, "the client talks to the account's own host")
	}
	assert.Equal(t, 20, srv.Counters().ByStatus[http.StatusOK])
}

func TestAccountNewClientNeedsAStartedServer(t *testing.T) {
	t.Parallel()
	srv := amocrmtest.NewUnstartedServer()
	_, err := srv.AddAccount("acme").NewClient()
	assert.ErrorContains(t, err, "not started")
}
