package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/amokit/amokit/amocrm/webhook"
)

// A Handler behind an http.ServeMux: amoCRM posts to the destination URL that carries the secret,
// the Handler checks it and the account, decodes the payload and hands it to the function.
func ExampleHandler() {
	const secret = "8c1f0e6a2b9d4f7e3a5c6b8d9e0f1a2b"
	h, err := webhook.New(func(ctx context.Context, d *webhook.Delivery) error {
		for _, ev := range d.Events {
			// A hint, not a record: read the lead through the API before acting on it.
			fmt.Println(ev.Name(), ev.ID, ev.Lead.StatusID)
		}
		return nil
	}, webhook.WithSecret(secret), webhook.WithConnections(webhook.OneAccount(31415, "acme")))
	if err != nil {
		panic(err)
	}
	defer h.Close(context.Background())

	mux := http.NewServeMux()
	mux.Handle("POST /amocrm/hook/{secret}", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// What amoCRM sends when lead 4242 moves to the won stage.
	form := url.Values{
		"leads[status][0][id]":            {"4242"},
		"leads[status][0][status_id]":     {"142"},
		"leads[status][0][old_status_id]": {"7039101"},
		"account[id]":                     {"31415"},
		"account[subdomain]":              {"acme"},
	}
	resp, err := http.Post(srv.URL+"/amocrm/hook/"+secret, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// status_lead 4242 142
	// 200
}

// Parse decodes a payload on its own, here a company added (companies arrive under "contacts").
func ExampleParse() {
	body := "contacts%5Badd%5D%5B0%5D%5Bid%5D=10959143&contacts%5Badd%5D%5B0%5D%5Bname%5D=%D0%A1%D1%82%D0%B5%D0%BA%D0%BB%D0%BE&" +
		"contacts%5Badd%5D%5B0%5D%5Btype%5D=company&account%5Bid%5D=31415"
	d, err := webhook.Parse([]byte(body))
	if err != nil {
		panic(err)
	}
	ev := d.Events[0]
	fmt.Println(ev.Name(), ev.ID, ev.Contact.Name, d.Account.ID)
	// Output: add_company 10959143 Стекло 31415
}
