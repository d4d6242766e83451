package refreshtest_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/internal/refreshtest"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
)

// ExampleFake refreshes once through the watched fake and reads back the token request.
func ExampleFake() {
	ctx := context.Background()
	const redirect = "https://example.com/oauth/callback"
	fake := refreshtest.NewFake("acme", redirect)
	defer fake.Close()
	store := tokenstore.NewMemory()
	// Stored as expiring within the token source's default skew: the first call refreshes.
	first, err := fake.Connect(ctx, store, time.Now().Add(time.Minute))
	if err != nil {
		panic(err)
	}
	ts, err := oauth.Config{RedirectURL: redirect, BaseURL: fake.URL}.TokenSource(ctx, store, fake.Account.Host)
	if err != nil {
		panic(err)
	}
	client, err := refreshtest.NewClient(fake.URL, fake.Account.Host, ts, 0, &http.Transport{})
	if err != nil {
		panic(err)
	}
	fake.AfterNextGrant(func() { fmt.Println("amoCRM rotated the pair; the answer has not left yet") })
	if _, err := client.Account.Get(ctx); err != nil {
		panic(err)
	}
	g := fake.Grants()[0]
	fmt.Println("status:", g.Status)
	fmt.Println("presented the stored refresh token:", g.Presented == amocrmtest.Fingerprint(first.RefreshToken))
	fmt.Println("pairs issued:", len(fake.Issued()))
	// Output:
	// amoCRM rotated the pair; the answer has not left yet
	// status: 200
	// presented the stored refresh token: true
	// pairs issued: 1
}
