package amocrm

import (
	"net/http"
	"testing"
	"time"

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

func TestDatetimeSettingsLocation(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name         string
		settings     *DatetimeSettings
		wantName     string
		wantOffset   int
		wantErrorFor bool
	}{
		{"IANA name", &DatetimeSettings{Timezone: "Asia/Yekaterinburg", TimezoneOffset: "+05:00"}, "Asia/Yekaterinburg", 5 * 3600, false},
		{"name wins over a stale offset", &DatetimeSettings{Timezone: "Europe/Kaliningrad", TimezoneOffset: "+03:00"}, "Europe/Kaliningrad", 2 * 3600, false},
		{"unknown name, offset", &DatetimeSettings{Timezone: "Mars/Olympus", TimezoneOffset: "-03:30"}, "Mars/Olympus", -(3*3600 + 30*60), false},
		{"offset only", &DatetimeSettings{TimezoneOffset: "+04:00"}, "UTC+04:00", 4 * 3600, false},
		{"Local is not the account's", &DatetimeSettings{Timezone: "Local"}, "", 0, true},
		{"nothing", &DatetimeSettings{}, "", 0, true},
		{"bad offset", &DatetimeSettings{TimezoneOffset: "+5"}, "", 0, true},
		{"offset out of range", &DatetimeSettings{TimezoneOffset: "+25:00"}, "", 0, true},
		{"missing", nil, "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc, err := tc.settings.Location()
			if tc.wantErrorFor {
				assert.Error(t, err)
				assert.Nil(t, loc)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantName, loc.String())
			_, offset := at.In(loc).Zone()
			assert.Equal(t, tc.wantOffset, offset)
		})
	}
}
