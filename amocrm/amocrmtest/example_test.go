package amocrmtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// leadNames is "your code": it reads every lead of an account, following
// amoCRM's pages until the server answers 204 or gives no next link.
func leadNames(ctx context.Context, client *http.Client, baseURL, token string) ([]string, error) {
	var names []string
	next := baseURL + "/api/v4/leads?limit=2"
	for next != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			Links struct {
				Next struct {
					Href string `json:"href"`
				} `json:"next"`
			} `json:"_links"`
			Embedded struct {
				Leads []struct {
					Name string `json:"name"`
				} `json:"leads"`
			} `json:"_embedded"`
		}
		switch resp.StatusCode {
		case http.StatusOK:
			err = json.NewDecoder(resp.Body).Decode(&page)
		case http.StatusNoContent:
		default:
			err = fmt.Errorf("GET %s: %s", req.URL.Path, resp.Status)
		}
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		for _, l := range page.Embedded.Leads {
			names = append(names, l.Name)
		}
		next = page.Links.Next.Href
	}
	return names, nil
}

// Example tests a function that pages through leads: seed an account, get
// a token without the OAuth dance, run the code, check what it did.
func Example() {
	srv := amocrmtest.NewServer()
	defer srv.Close()

	acme := srv.AddAccount("acme")
	for _, name := range []string{"Душевое ограждение", "Зеркало", "Кухонный фартук"} {
		acme.AddLead(amocrmtest.Lead{Name: name})
	}
	app := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://app.example/oauth"})
	tok, err := srv.IssueToken(app.ClientID, "acme")
	if err != nil {
		fmt.Println(err)
		return
	}

	names, err := leadNames(context.Background(), http.DefaultClient, srv.URL, tok.AccessToken)
	fmt.Println(names, err)
	fmt.Println("requests:", srv.Counters().Requests)
	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Query.Get("page"), r.Status)
	}
	// Output:
	// [Душевое ограждение Зеркало Кухонный фартук] <nil>
	// requests: 2
	// GET /api/v4/leads  200
	// GET /api/v4/leads 2 200
}

// ExampleServer_FailNext shows a fault: the next request for a lead list
// gets the HTML 502 page amoCRM's gateway sends.
func ExampleServer_FailNext() {
	srv := amocrmtest.NewServer()
	defer srv.Close()
	srv.AddAccount("acme")
	app := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://app.example/oauth"})
	tok, _ := srv.IssueToken(app.ClientID, "acme")

	srv.FailNext(1, "GET", "/api/v4/leads", amocrmtest.Fault{Status: http.StatusBadGateway})

	_, err := leadNames(context.Background(), http.DefaultClient, srv.URL, tok.AccessToken)
	fmt.Println(err)
	names, err := leadNames(context.Background(), http.DefaultClient, srv.URL, tok.AccessToken)
	fmt.Println(len(names), err)
	// Output:
	// GET /api/v4/leads: 502 Bad Gateway
	// 0 <nil>
}

// Example_oauth walks the OAuth flow a user goes through: the consent form
// redirects with a code and the account's host as referer, and the code is
// exchanged for tokens at that host. Client routes the account's real-looking
// https host to the fake.
func Example_oauth() {
	srv := amocrmtest.NewServer()
	defer srv.Close()
	srv.AddAccount("acme")
	app := srv.AddIntegration(amocrmtest.Integration{Name: "Калькулятор", RedirectURI: "https://app.example/oauth"})

	// The user presses «Разрешить» on the consent page.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(srv.URL+"/oauth", url.Values{
		"client_id": {app.ClientID}, "state": {"csrf-42"}, "account": {"acme"}, "decision": {"allow"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	callback, _ := url.Parse(resp.Header.Get("Location"))
	q := callback.Query()
	fmt.Println(resp.StatusCode, callback.Host+callback.Path, q.Get("state"), q.Get("referer"))

	// The integration exchanges the code at https://<referer>/oauth2/access_token.
	body, _ := json.Marshal(map[string]string{
		"client_id": app.ClientID, "client_secret": app.ClientSecret, "grant_type": "authorization_code",
		"code": q.Get("code"), "redirect_uri": app.RedirectURI,
	})
	resp, err = srv.Client().Post("https://"+q.Get("referer")+"/oauth2/access_token", "application/json", strings.NewReader(string(body)))
	if err != nil {
		fmt.Println(err)
		return
	}
	var tok struct {
		TokenType string `json:"token_type"`
		ExpiresIn int    `json:"expires_in"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, tok.TokenType, tok.ExpiresIn, srv.Counters().CodeExchanges)
	// Output:
	// 302 app.example/oauth csrf-42 acme.amocrm.ru
	// 200 Bearer 86400 1
}

// ExampleAccount_NewClient is the start of a test of code written on the
// SDK: seed an account, get a client for it, run the code. In a test,
// amocrmtest.NewClient(t) does the first three lines and closes the server
// at the end.
func ExampleAccount_NewClient() {
	srv := amocrmtest.NewServer()
	defer srv.Close()
	acme := srv.AddAccount("acme")
	acme.AddLead(amocrmtest.Lead{Name: "Зеркало в прихожую", Price: 5600})

	client, err := acme.NewClient()
	if err != nil {
		fmt.Println(err)
		return
	}
	for lead, err := range client.Leads.All(context.Background(), nil) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(lead.Name, lead.Price)
	}
	// Output:
	// Зеркало в прихожую 5600
}
