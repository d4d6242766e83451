package amocrm_test

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// TestLongLivedToken drives the SDK with a long-lived token (docs/amocrm-reference.md#long-lived-tokens):
// it works as a plain bearer token, and once it has expired the answer is ErrUnauthorized, with
// no refresh to try.
func TestLongLivedToken(t *testing.T) {
	t.Parallel()
	clock := amocrmtest.NewFakeClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	srv := amocrmtest.NewServer(amocrmtest.WithClock(clock), amocrmtest.WithRateLimit(0, 1))
	t.Cleanup(srv.Close)
	acme := srv.AddAccount("acme")
	private := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://calc.example/oauth", Owner: "acme"})
	tok, err := srv.IssueLongLivedToken(private.ClientID, "acme", clock.Now().Add(180*24*time.Hour))
	require.NoError(t, err)
	client, err := amocrm.New(acme.Host, amocrm.WithAccessToken(tok), amocrm.WithHTTPClient(srv.Client()),
		amocrm.WithRateLimit(math.Inf(1), 1))
	require.NoError(t, err)

	clock.Advance(90 * 24 * time.Hour)
	a, err := client.Account.Get(t.Context())
	require.NoError(t, err)
	assert.Equal(t, acme.ID, a.ID)

	clock.Advance(91 * 24 * time.Hour)
	_, err = client.Account.Get(t.Context())
	assert.ErrorIs(t, err, amocrm.ErrUnauthorized)
	assert.Zero(t, srv.Counters().Refreshes)
	assert.Equal(t, 1, srv.Counters().ByStatus[http.StatusUnauthorized])
}
