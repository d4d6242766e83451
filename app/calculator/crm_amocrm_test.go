package calculator_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/demo"
	"github.com/amokit/amokit/app/glass"
)

// amoRig is AmoCRM's CRM over the demo account of a fake, without the handler.
type amoRig struct {
	fake *amocrmtest.Server
	demo demo.Demo
	sdk  *amocrm.Client
	crm  calculator.CRM
}

func newAmoRig(t *testing.T) *amoRig {
	t.Helper()
	r := &amoRig{fake: amocrmtest.NewServer(amocrmtest.WithRateLimit(0, 1))}
	t.Cleanup(r.fake.Close)
	r.demo = demo.Seed(r.fake)
	integ := r.fake.AddIntegration(amocrmtest.Integration{Name: "Калькулятор стекла", RedirectURI: "https://calc.example.com/oauth/callback"})
	tok, err := r.fake.IssueToken(integ.ClientID, r.demo.Account.Subdomain)
	require.NoError(t, err)
	r.sdk, err = amocrm.New(r.demo.Account.Host, amocrm.WithHTTPClient(r.fake.Client()),
		amocrm.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok.AccessToken})),
		amocrm.WithRateLimit(1000, 100), amocrm.WithRetry(amocrm.RetryPolicy{Attempts: 1}))
	require.NoError(t, err)
	r.crm = calculator.AmoCRM(r.sdk)
	return r
}

// checker returns the CRM as a SaveChecker, which AmoCRM's is.
func (r *amoRig) checker(t *testing.T) calculator.SaveChecker {
	t.Helper()
	c, ok := r.crm.(calculator.SaveChecker)
	require.True(t, ok, "AmoCRM's CRM checks before a retry writes again")
	return c
}

// requests returns the requests the fake has seen since the last call, as "METHOD path".
func (r *amoRig) requests() []string {
	var out []string
	for _, q := range r.fake.Requests() {
		out = append(out, q.Method+" "+q.Path)
	}
	r.fake.ResetRequests()
	return out
}

func TestAmoCRMLeadPrice(t *testing.T) {
	t.Parallel()
	r := newAmoRig(t)
	chk := r.checker(t)
	lead := r.demo.Leads[1] // 5 600 ₽
	r.fake.ResetRequests()

	price, err := chk.LeadPrice(t.Context(), lead.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(5600), price)
	assert.Equal(t, []string{"GET /api/v4/leads/" + strconv.FormatInt(lead.ID, 10)}, r.requests(), "one read")

	require.NoError(t, r.crm.SetLeadPrice(t.Context(), lead.ID, 17204))
	price, err = chk.LeadPrice(t.Context(), lead.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(17204), price)

	_, err = chk.LeadPrice(t.Context(), lead.ID+1000)
	assert.ErrorIs(t, err, calculator.ErrLeadNotFound)
}

func TestAmoCRMHasNote(t *testing.T) {
	t.Parallel()
	r := newAmoRig(t)
	chk := r.checker(t)
	lead, other := r.demo.Leads[3].ID, r.demo.Leads[2].ID
	const mine, theirs = "Расчёт 0b6e4f1a", "Расчёт 9f8e7d6c"

	has, err := chk.HasNote(t.Context(), lead, mine)
	require.NoError(t, err)
	assert.False(t, has, "a lead without notes")

	require.NoError(t, r.crm.AddNote(t.Context(), other, "Расчёт заказа\n\n"+theirs))
	require.NoError(t, r.crm.AddNote(t.Context(), lead, "См. "+theirs+" в соседней сделке"))
	require.NoError(t, r.crm.AddNote(t.Context(), lead, "Расчёт заказа по прайс-листу\nИтого: 17 204,00 ₽\n\n"+mine+"\r\n"))
	r.fake.ResetRequests()

	has, err = chk.HasNote(t.Context(), lead, mine)
	require.NoError(t, err)
	assert.True(t, has, "the marker is a line of the lead's note")
	assert.Equal(t, []string{"GET /api/v4/leads/notes"}, r.requests(), "one read")

	has, err = chk.HasNote(t.Context(), lead, theirs)
	require.NoError(t, err)
	assert.False(t, has, "another lead's note, and the marker inside a line, do not count")

	// People go on writing notes; the calculation's note, being among the newest, is still found.
	for i := range 30 {
		require.NoError(t, r.crm.AddNote(t.Context(), other, "Звонок "+strconv.Itoa(i)))
		require.NoError(t, r.crm.AddNote(t.Context(), lead, "Звонок "+strconv.Itoa(i)))
	}
	require.NoError(t, r.crm.AddNote(t.Context(), lead, "Расчёт заказа\n\nРасчёт 5a5a5a5a"))
	has, err = chk.HasNote(t.Context(), lead, "Расчёт 5a5a5a5a")
	require.NoError(t, err)
	assert.True(t, has, "the newest notes are read first")

	_, err = chk.HasNote(t.Context(), lead, "  ")
	assert.Error(t, err, "an empty marker would match any blank line")
}

func TestAmoCRMMissingProducts(t *testing.T) {
	t.Parallel()
	r := newAmoRig(t)
	chk := r.checker(t)
	lead := r.demo.Leads[3].ID // no products
	products := quoteOf(t, fxOrder).Products()
	require.Greater(t, len(products), 1)
	skus := func(ps []glass.Product) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.SKU)
		}
		return out
	}

	missing, err := chk.MissingProducts(t.Context(), lead, products)
	require.NoError(t, err)
	assert.Equal(t, skus(products), skus(missing), "nothing linked yet")

	require.NoError(t, r.crm.AttachProducts(t.Context(), lead, products))
	r.fake.ResetRequests()
	missing, err = chk.MissingProducts(t.Context(), lead, products)
	require.NoError(t, err)
	assert.Empty(t, missing, "every product linked with its quantity")
	assert.Equal(t, []string{"GET /api/v4/leads/" + strconv.FormatInt(lead, 10) + "/links"}, r.requests(),
		"one read: the elements are known from linking them")

	// Someone changes one quantity in the card; a fresh client finds the elements by SKU.
	p := products[0]
	var elementID int64
	for _, l := range r.fake.Links("leads", lead) {
		if e, ok := r.fake.Element(l.ToEntityID); ok && fieldOf(e, "SKU") == p.SKU {
			elementID = e.ID
		}
	}
	require.NotZero(t, elementID)
	require.NoError(t, r.sdk.Leads.LinkProducts(t.Context(), lead, []amocrm.ProductLink{
		{ElementID: elementID, CatalogID: r.demo.Products.ID, Quantity: "7"}}))
	fresh, ok := calculator.AmoCRM(r.sdk).(calculator.SaveChecker)
	require.True(t, ok)
	r.fake.ResetRequests()
	missing, err = fresh.MissingProducts(t.Context(), lead, products)
	require.NoError(t, err)
	assert.Equal(t, []string{p.SKU}, skus(missing), "only the product with another quantity")
	for _, q := range r.requests() {
		assert.True(t, strings.HasPrefix(q, http.MethodGet+" "), "a check only reads: %s", q)
	}

	// Another lead's links are not this lead's.
	missing, err = chk.MissingProducts(t.Context(), r.demo.Leads[2].ID, products)
	require.NoError(t, err)
	assert.Len(t, missing, len(products))
}

// TestAmoCRMRemembersTheCatalogInTheIndex: the first save of an account finds the products
// catalog and reads its elements once for every SKU (no search per SKU, no element read for the
// price field); a second client sharing the index (another process on the same store) links at
// once.
func TestAmoCRMRemembersTheCatalogInTheIndex(t *testing.T) {
	t.Parallel()
	r := newAmoRig(t)
	index := calculator.NewMemoryCalculations()
	products := quoteOf(t, fxOrder).Products()
	require.Greater(t, len(products), 2)
	lead := r.demo.Leads[3].ID
	catalog := "/api/v4/catalogs/" + strconv.FormatInt(r.demo.Products.ID, 10)
	linkPath := "/api/v4/leads/" + strconv.FormatInt(lead, 10) + "/link"

	r.fake.ResetRequests()
	require.NoError(t, calculator.AmoCRMIndexed(r.sdk, index).AttachProducts(t.Context(), lead, products))
	got := r.requests()
	assert.Equal(t, "GET /api/v4/catalogs", got[0])
	assert.Equal(t, "GET "+catalog+"/elements", got[1], "one read of the catalog for every SKU")
	assert.Equal(t, "POST "+linkPath, got[len(got)-1])
	for _, q := range got[2 : len(got)-1] {
		assert.Equal(t, "POST "+catalog+"/elements", q, "the missing products, created in one request")
	}
	assert.LessOrEqual(t, len(got), 4, "%v", got)
	for _, q := range r.fake.Requests() {
		assert.NotContains(t, q.Query, "query=", "no search per SKU")
	}

	pc, err := index.LoadCatalog(t.Context(), r.demo.Account.Host)
	require.NoError(t, err)
	assert.Equal(t, r.demo.Products.ID, pc.ID)
	priceField, _ := r.demo.Products.Field("PRICE")
	assert.Equal(t, priceField.ID, pc.PriceFieldID)
	for _, p := range products {
		assert.NotZero(t, pc.Elements[p.SKU], p.SKU)
	}

	other := r.demo.Leads[2].ID
	require.NoError(t, calculator.AmoCRMIndexed(r.sdk, index).AttachProducts(t.Context(), other, products))
	assert.Equal(t, []string{"POST /api/v4/leads/" + strconv.FormatInt(other, 10) + "/link"}, r.requests(),
		"a client sharing the index links at once")
	assert.Len(t, productLinks(r.fake, other), len(products))
	for _, p := range products {
		n := 0
		for _, e := range r.fake.Elements(r.demo.Products.ID) {
			if fieldOf(e, "SKU") == p.SKU {
				n++
			}
		}
		assert.Equal(t, 1, n, "one element of %s", p.SKU)
	}
}

// TestAmoCRMForgetsAGoneElement: when amoCRM refuses a link to an element the index names (a
// person deleted the product), the save fails, the index forgets the element, and the retry
// finds or creates it again.
func TestAmoCRMForgetsAGoneElement(t *testing.T) {
	t.Parallel()
	r := newAmoRig(t)
	index := calculator.NewMemoryCalculations()
	products := quoteOf(t, fxOrder).Products()
	lead := r.demo.Leads[3].ID
	crm := calculator.AmoCRMIndexed(r.sdk, index)
	require.NoError(t, crm.AttachProducts(t.Context(), r.demo.Leads[2].ID, products), "the index knows every SKU")
	const gone = 987654321 // no element of the account has it
	require.NoError(t, index.RememberCatalog(t.Context(), r.demo.Account.Host, calculator.ProductCatalog{
		ID: r.demo.Products.ID, Elements: map[string]int64{products[0].SKU: gone}}))

	err := crm.AttachProducts(t.Context(), lead, products)
	require.Error(t, err)
	pc, err := index.LoadCatalog(t.Context(), r.demo.Account.Host)
	require.NoError(t, err)
	assert.NotEqual(t, int64(gone), pc.Elements[products[0].SKU], "the gone element is forgotten")

	require.NoError(t, crm.AttachProducts(t.Context(), lead, products), "the retry finds the elements again")
	links := productLinks(r.fake, lead)
	assert.Len(t, links, len(products))
	for _, l := range links {
		assert.NotEqual(t, int64(gone), l.ToEntityID)
	}
}

// productLinks returns the catalog elements linked to a lead.
func productLinks(fake *amocrmtest.Server, lead int64) []amocrmtest.Link {
	var out []amocrmtest.Link
	for _, l := range fake.Links("leads", lead) {
		if l.ToEntityType == "catalog_elements" {
			out = append(out, l)
		}
	}
	return out
}
