package amocrm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/amokit/amokit/amocrm"
)

// A Client pointed at a test server with WithBaseURL, reading the account.
func ExampleAccountService_Get() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/hal+json")
		fmt.Fprint(w, `{"id":31415,"name":"Стекольная мастерская","subdomain":"acme","currency":"RUB","_embedded":{"datetime_settings":{"timezone":"Europe/Moscow"}}}`)
	}))
	defer srv.Close()

	c, err := amocrm.New("acme.amocrm.ru", amocrm.WithBaseURL(srv.URL), amocrm.WithAccessToken("token"))
	if err != nil {
		panic(err)
	}
	acc, err := c.Account.Get(context.Background(), amocrm.AccountWithDatetimeSettings)
	if err != nil {
		panic(err)
	}
	fmt.Println(acc.ID, acc.Name, acc.Currency, acc.Embedded.DatetimeSettings.Timezone)
	// Output: 31415 Стекольная мастерская RUB Europe/Moscow
}

// Errors are *amocrm.Error values, compared with the sentinels through errors.Is.
func ExampleClient_errorHandling() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "abc123")
		w.WriteHeader(http.StatusPaymentRequired)
		fmt.Fprint(w, `{"title":"Payment Required","status":402,"detail":"Account is not paid"}`)
	}))
	defer srv.Close()

	c, _ := amocrm.New("acme.amocrm.ru", amocrm.WithBaseURL(srv.URL), amocrm.WithAccessToken("token"))
	_, err := c.Account.Get(context.Background())

	var apiErr *amocrm.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Detail, apiErr.RequestID)
	}
	fmt.Println(errors.Is(err, amocrm.ErrPaymentRequired))
	// Output:
	// 402 Account is not paid abc123
	// true
}

// ParseDomain is the check New applies to the account host.
func ExampleParseDomain() {
	for _, d := range []string{"acme.kommo.com", "acme.amocrm.ru.evil.com", "127.0.0.1"} {
		host, err := amocrm.ParseDomain(d)
		fmt.Println(host, err != nil)
	}
	// Output:
	// acme.kommo.com false
	//  true
	//  true
}
