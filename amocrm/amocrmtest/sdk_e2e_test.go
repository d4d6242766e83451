package amocrmtest_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
)

// TestSDKEndToEnd drives the SDK through a whole integration against the fake: an OAuth code
// exchange, leads created in batches at amoCRM's pace, products linked to a lead, and everything
// read back through the API and at the fake.
func TestSDKEndToEnd(t *testing.T) {
	t.Parallel()
	srv := amocrmtest.NewServer(amocrmtest.WithAccessTokenTTL(time.Hour))
	t.Cleanup(srv.Close)
	acc := srv.AddAccount("acme")
	integ := srv.AddIntegration(amocrmtest.Integration{RedirectURI: "https://calc.example.com/oauth/callback", Name: "Калькулятор"})
	ctx := t.Context()

	// OAuth: the code amoCRM hands to the redirect URI, exchanged by the oauth package.
	code, err := srv.AuthorizationCode(integ.ClientID, "acme")
	require.NoError(t, err)
	cfg := oauth.Config{ClientID: integ.ClientID, ClientSecret: integ.ClientSecret, RedirectURL: integ.RedirectURI, BaseURL: srv.URL}
	tok, err := cfg.Exchange(ctx, "acme.amocrm.ru", code)
	require.NoError(t, err)
	claims, err := oauth.ParseClaims(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, acc.ID, claims.AccountID)

	store := tokenstore.NewMemory()
	require.NoError(t, store.Save(ctx, &tokenstore.Connection{Account: "acme.amocrm.ru", ClientID: integ.ClientID, ClientSecret: integ.ClientSecret,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}))
	ts, err := cfg.TokenSource(ctx, store, "acme.amocrm.ru")
	require.NoError(t, err)
	c, err := amocrm.New("acme.amocrm.ru", amocrm.WithBaseURL(srv.URL), amocrm.WithTokenSource(ts))
	require.NoError(t, err)

	// 120 leads go out as three requests of at most 50, paced at 7 a second.
	leads := make([]amocrm.CreateLeadRequest, 120)
	for i := range leads {
		leads[i] = amocrm.CreateLeadRequest{Name: fmt.Sprintf("Душевое ограждение №%d", i+1), Price: int64(10000 + i)}
	}
	saved, err := c.Leads.Create(ctx, leads)
	require.NoError(t, err)
	require.Len(t, saved, 120)
	ids := make([]int64, len(saved))
	for i, s := range saved {
		assert.Equal(t, i, s.Index)
		ids[i] = s.ID
		got, ok := srv.Lead(s.ID)
		require.True(t, ok)
		assert.Equal(t, leads[i].Name, got.Name, "result %d maps to its own input", i)
		assert.Equal(t, leads[i].Price, got.Price)
	}

	// Products: the account's products catalog, two new elements, linked with quantities.
	cat, err := c.Catalogs.ProductsCatalog(ctx)
	require.NoError(t, err)
	elems, err := c.Catalogs.CreateElements(ctx, cat.ID, []amocrm.CreateElementRequest{
		{Name: "Стекло закалённое 8 мм", CustomFieldsValues: amocrm.ProductFields{SKU: "float-8", Price: "2300"}.Fields()},
		{Name: "Петля стена-стекло", CustomFieldsValues: amocrm.ProductFields{SKU: "hw-hinge_wall_glass", Price: "2500"}.Fields()},
	})
	require.NoError(t, err)
	require.Len(t, elems, 2)
	lead := ids[0]
	require.NoError(t, c.Leads.LinkProducts(ctx, lead, []amocrm.ProductLink{
		{ElementID: elems[0].ID, CatalogID: cat.ID, Quantity: "1.8"},
		{ElementID: elems[1].ID, CatalogID: cat.ID, Quantity: "2"},
	}))

	// Read back through the API...
	products, err := c.Leads.Products(ctx, lead)
	require.NoError(t, err)
	require.Len(t, products, 2)
	quantities := map[int64]string{}
	for _, p := range products {
		quantities[p.ElementID] = string(p.Quantity)
		assert.Equal(t, cat.ID, p.CatalogID)
	}
	assert.Equal(t, map[int64]string{elems[0].ID: "1.8", elems[1].ID: "2"}, quantities)
	el, err := c.Catalogs.GetElement(ctx, cat.ID, elems[0].ID)
	require.NoError(t, err)
	assert.Equal(t, "float-8", el.SKU())

	var listed []int64
	for l, err := range c.Leads.All(ctx, &amocrm.LeadListOptions{IDs: ids, Limit: 50}) {
		require.NoError(t, err)
		listed = append(listed, l.ID)
	}
	assert.ElementsMatch(t, ids, listed)

	// ...and at the fake.
	links := srv.Links("leads", lead)
	assert.Len(t, links, 2)
	counters := srv.Counters()
	assert.Zero(t, counters.TooManyRequests, "the client kept under the limit")
	assert.Equal(t, 1, counters.CodeExchanges)
	assert.Zero(t, counters.ByStatus[http.StatusUnauthorized])
	creates := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && r.Path == "/api/v4/leads" {
			creates++
		}
	}
	assert.Equal(t, 3, creates)
}
