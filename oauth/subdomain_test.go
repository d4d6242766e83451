package oauth_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/oauth"
)

// TestLookupSubdomain asks the fake where an account lives, at the api_domain of its token, with
// that account's refresh token and with another account's: each token names its own account,
// and a token amoCRM no longer knows is refused.
func TestLookupSubdomain(t *testing.T) {
	t.Parallel()
	srv := amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 1))
	t.Cleanup(srv.Close)
	acme := srv.AddAccount("acme")
	other := srv.AddAccount("other")
	integ := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://calc.example.com/oauth/callback"})
	cfg := oauth.Config{ClientID: integ.ClientID, ClientSecret: integ.ClientSecret, RedirectURL: integ.RedirectURI, HTTPClient: srv.Client()}

	for _, a := range []*amocrmtest.Account{acme, other} {
		tok, err := srv.IssueToken(integ.ClientID, a.Subdomain)
		require.NoError(t, err)
		claims, err := oauth.ParseClaims(tok.AccessToken)
		require.NoError(t, err)
		d, err := cfg.LookupSubdomain(t.Context(), claims.APIDomain, tok.RefreshToken)
		require.NoError(t, err)
		assert.Equal(t, oauth.AccountDomain{ID: a.ID, Subdomain: a.Subdomain, Domain: a.Host, TopLevelDomain: "ru"}, *d)
	}

	_, err := cfg.LookupSubdomain(t.Context(), "api-b.amocrm.ru", "def50200unknown")
	var te *oauth.TokenError
	require.True(t, errors.As(err, &te), "%v", err)
	assert.Equal(t, http.StatusUnauthorized, te.StatusCode)

	_, err = cfg.LookupSubdomain(t.Context(), "not a host", "x")
	assert.Error(t, err)
}
