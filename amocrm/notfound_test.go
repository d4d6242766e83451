package amocrm_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// TestGetMissingIsNotFound gets ids the account does not have from the fake, which answers 204
// for companies (as amoCRM documents) and 404 for the rest, and then with the answers swapped:
// every one is ErrNotFound and none decodes into a zero-value entity.
func TestGetMissingIsNotFound(t *testing.T) {
	t.Parallel()
	for _, swapped := range []bool{false, true} {
		var opts []amocrmtest.Option
		if swapped {
			opts = []amocrmtest.Option{
				amocrmtest.WithNotFoundStatus("companies", http.StatusNotFound),
				amocrmtest.WithNotFoundStatus("leads", http.StatusNoContent),
				amocrmtest.WithNotFoundStatus("contacts", http.StatusNoContent),
				amocrmtest.WithNotFoundStatus("catalog_elements", http.StatusNoContent),
			}
		}
		client, acme := amocrmtest.NewClient(t, opts...)
		ctx := t.Context()
		const missing = 999999
		company, err := client.Companies.Get(ctx, missing)
		assert.ErrorIs(t, err, amocrm.ErrNotFound, "swapped %v", swapped)
		assert.Nil(t, company)
		lead, err := client.Leads.Get(ctx, missing)
		assert.ErrorIs(t, err, amocrm.ErrNotFound, "swapped %v", swapped)
		assert.Nil(t, lead)
		contact, err := client.Contacts.Get(ctx, missing)
		assert.ErrorIs(t, err, amocrm.ErrNotFound, "swapped %v", swapped)
		assert.Nil(t, contact)
		el, err := client.Catalogs.GetElement(ctx, acme.ProductsCatalog().ID, missing)
		assert.ErrorIs(t, err, amocrm.ErrNotFound, "swapped %v", swapped)
		assert.Nil(t, el)

		statuses := map[int]int{}
		for _, r := range acme.Server().Requests() {
			statuses[r.Status]++
		}
		assert.Equal(t, map[int]int{http.StatusNoContent: 1 + 2*boolInt(swapped), http.StatusNotFound: 3 - 2*boolInt(swapped)}, statuses,
			"the fake answered both ways")
	}
}

// TestGetEmptyAnswerIsNotFound: a 200 with an empty body is no entity either.
func TestGetEmptyAnswerIsNotFound(t *testing.T) {
	t.Parallel()
	client, acme := amocrmtest.NewClient(t)
	company := acme.AddCompany(amocrmtest.Company{Name: "ООО «Ремстрой»"})
	acme.Server().FailNext(1, http.MethodGet, "/api/v4/companies/{id}", amocrmtest.Fault{Status: http.StatusOK, Body: " ", ContentType: "application/hal+json"})
	got, err := client.Companies.Get(t.Context(), company.ID)
	require.ErrorIs(t, err, amocrm.ErrNotFound)
	assert.Nil(t, got)
	got, err = client.Companies.Get(t.Context(), company.ID)
	require.NoError(t, err)
	assert.Equal(t, "ООО «Ремстрой»", got.Name)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
