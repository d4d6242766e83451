package amocrm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// Two Clients of one account share a pacer, so that together they stay under amoCRM's limit as
// the fake counts it most strictly: 7 requests in any sliding second.
func ExampleWithPacer() {
	fake := amocrmtest.NewServer() // counts 7 in any sliding second, refused arrivals included
	defer fake.Close()
	acct := fake.AddAccount("acme")
	integ := fake.AddIntegration(amocrmtest.Integration{Name: "example", RedirectURI: "https://app.example/cb"})
	tok, err := fake.IssueToken(integ.ClientID, acct.Subdomain)
	if err != nil {
		panic(err)
	}

	pacer := amocrm.NewLocalPacer(amocrm.DefaultRate * amocrm.DefaultPace)
	var wg sync.WaitGroup
	for range 2 {
		c, err := amocrm.New(acct.Host, amocrm.WithHTTPClient(fake.Client()), amocrm.WithAccessToken(tok.AccessToken),
			amocrm.WithPacer(pacer))
		if err != nil {
			panic(err)
		}
		for range 3 {
			wg.Go(func() {
				if _, err := c.Account.Get(context.Background()); err != nil {
					panic(err)
				}
			})
		}
	}
	wg.Wait()
	fmt.Println("requests:", fake.Counters().Requests, "429s:", fake.Counters().TooManyRequests)
	// Output: requests: 6 429s: 0
}

// Once amoCRM blocks the client (403 after repeated rate-limit violations), every call fails at
// once with ErrBlocked and nothing more is sent.
func ExampleBlockedError() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "<html><body><h1>403 Forbidden</h1></body></html>")
	}))
	defer srv.Close()
	c, err := amocrm.New("acme.amocrm.ru", amocrm.WithBaseURL(srv.URL), amocrm.WithAccessToken("token"))
	if err != nil {
		panic(err)
	}
	_, err = c.Account.Get(context.Background())
	fmt.Println(errors.Is(err, amocrm.ErrBlocked))
	_, err = c.Account.Get(context.Background())
	var blocked *amocrm.BlockedError
	fmt.Println(errors.As(err, &blocked), errors.Is(err, amocrm.ErrBlocked))
	// Output:
	// true
	// true true
}
