package amocrmtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/amokit/amokit/amocrm"
)

// NewClient starts a fake amoCRM for tb's test with one account, "acme",
// and returns an *amocrm.Client signed in to it (see Account.NewClient) and
// the account's handle. The server's rate limit is off unless opts turn it
// back on (WithRateLimit), and the server closes when the test ends. The
// account's Server method reaches the server, for Requests and the like.
func NewClient(tb testing.TB, opts ...Option) (*amocrm.Client, *Account) {
	tb.Helper()
	srv := NewServer(append([]Option{WithRateLimit(0, 1)}, opts...)...)
	tb.Cleanup(srv.Close)
	acct := srv.AddAccount("acme")
	c, err := acct.NewClient()
	if err != nil {
		tb.Fatalf("amocrmtest: NewClient: %v", err)
	}
	return c, acct
}

// NewClient returns an *amocrm.Client for the account: authenticated with a
// token of a new integration, its requests to https://<Host> routed to the
// server (see Server.Transport), and the client's own pacing off, so a test
// waits for nothing but the server. opts are applied after these and may
// override them. The server must have been started.
func (a *Account) NewClient(opts ...amocrm.Option) (*amocrm.Client, error) {
	if a.s.URL == "" {
		return nil, fmt.Errorf("amocrmtest: NewClient: the server is not started")
	}
	in := a.s.AddIntegration(Integration{Name: "amocrmtest", RedirectURI: "https://client.example/oauth"})
	tok, err := a.s.IssueToken(in.ClientID, a.Subdomain)
	if err != nil {
		return nil, err
	}
	base := []amocrm.Option{
		amocrm.WithAccessToken(tok.AccessToken),
		amocrm.WithHTTPClient(a.s.Client()),
		amocrm.WithRateLimit(math.Inf(1), 1),
	}
	return amocrm.New(a.Host, append(base, opts...)...)
}

// Server returns the server the account lives on.
func (a *Account) Server() *Server { return a.s }
