package amocrm

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAccountGetReadsEveryWithValue(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/account", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "entity_names,invoices_settings,task_types", r.URL.Query().Get("with"))
		serveFixture(t, c, w, http.StatusOK, "account_with.json")
	})
	a, err := c.Account.Get(t.Context(), AccountWithEntityNames, AccountWithInvoicesSettings, AccountWithTaskTypes)
	require.NoError(t, err)
	ru, ok := a.Names(EntityLeads, "ru")
	require.True(t, ok)
	assert.Equal(t, "клиенты", ru.PluralForm["default"])
	assert.Equal(t, "клиента", ru.SingularForm["genitive"])
	assert.Equal(t, "m", ru.Gender)
	en, ok := a.Names(EntityLeads, "en")
	require.True(t, ok)
	assert.Equal(t, "lead", en.SingularForm["default"])
	_, ok = a.Names(EntityContacts, "ru")
	assert.False(t, ok)
	require.NotNil(t, a.InvoicesSettings)
	assert.Equal(t, InvoicesSettings{Lang: "ru", InvoicesCatalogID: 5063}, *a.InvoicesSettings)
	assert.Equal(t, "https://drive-b.amocrm.ru", a.DriveURL)
	assert.Equal(t, 16, a.Version)
	require.Len(t, a.Embedded.TaskTypes, 2)
	assert.Equal(t, "MEETING", a.Embedded.TaskTypes[1].Code)
}

func TestAccountNamesUnderEmbedded(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	mux.HandleFunc("GET /amo/api/v4/account", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":1,"_embedded":{"entity_names":{"companies":{"en":{"gender":"f","singular_form":{"default":"firm"},"plural_form":{"default":"firms"}}}}}}`))
	})
	a, err := c.Account.Get(t.Context(), AccountWithEntityNames)
	require.NoError(t, err)
	n, ok := a.Names(EntityCompanies, "en")
	require.True(t, ok)
	assert.Equal(t, "firms", n.PluralForm["default"])
	assert.Nil(t, a.InvoicesSettings)
}
