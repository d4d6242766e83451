package oauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
)

// Connecting an account: the consent redirect lands on the CallbackHandler, which exchanges the
// code and saves the connection; any replica then gets a ready client from the token source.
// amocrmtest plays amoCRM.
func Example() {
	ctx := context.Background()
	fake := amocrmtest.NewServer()
	defer fake.Close()
	fake.AddAccount("acme")
	integ := fake.AddIntegration(amocrmtest.Integration{RedirectURI: "https://calc.example.com/oauth/callback"})

	cfg := oauth.Config{ClientID: integ.ClientID, ClientSecret: integ.ClientSecret, RedirectURL: integ.RedirectURI,
		BaseURL: fake.URL} // BaseURL: token requests go to the fake instead of https://acme.amocrm.ru
	store := tokenstore.NewMemory()
	states, _ := oauth.NewStates([]byte(strings.Repeat("k", 32)), 0)
	callback := &oauth.CallbackHandler{Config: cfg, States: states, Store: store}

	// amoCRM redirects the person back with a code, the state we sent, and the account host.
	state, _ := states.New(oauth.StateData{Account: "acme.amocrm.ru", Mode: oauth.ModePopup})
	code, _ := fake.AuthorizationCode(integ.ClientID, "acme")
	q := url.Values{"code": {code}, "state": {state}, "referer": {"acme.amocrm.ru"}, "client_id": {integ.ClientID}}
	rec := httptest.NewRecorder()
	callback.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/oauth/callback?"+q.Encode(), nil))
	fmt.Println("callback:", rec.Code)

	ts, _ := cfg.TokenSource(ctx, store, "acme.amocrm.ru")
	c, _ := amocrm.New("acme.amocrm.ru", amocrm.WithBaseURL(fake.URL), amocrm.WithTokenSource(ts))
	acc, err := c.Account.Get(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("connected:", acc.Subdomain)
	// Output:
	// callback: 200
	// connected: acme
}
