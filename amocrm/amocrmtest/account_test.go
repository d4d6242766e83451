package amocrmtest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

func TestAccount(t *testing.T) {
	t.Parallel()
	e := setup(t)
	type accountJSON struct {
		ID                 int64  `json:"id"`
		Subdomain          string `json:"subdomain"`
		CurrentUserID      int64  `json:"current_user_id"`
		Currency           string `json:"currency"`
		AmojoID            string `json:"amojo_id"`
		IsAPIFilterEnabled *bool  `json:"is_api_filter_enabled"`
		Embedded           struct {
			DatetimeSettings struct {
				Timezone       string `json:"timezone"`
				TimezoneOffset string `json:"timezone_offset"`
			} `json:"datetime_settings"`
			TaskTypes []struct {
				Code string `json:"code"`
			} `json:"task_types"`
		} `json:"_embedded"`
	}
	plain := decode[accountJSON](t, e.do(http.MethodGet, "/api/v4/account", nil))
	assert.Equal(t, e.acct.ID, plain.ID)
	assert.Equal(t, "acme", plain.Subdomain)
	assert.Equal(t, e.acct.AdminID, plain.CurrentUserID)
	assert.Equal(t, "RUB", plain.Currency)
	assert.Empty(t, plain.AmojoID, "amojo_id only with with=amojo_id")

	full := decode[accountJSON](t, e.do(http.MethodGet, "/api/v4/account?with=amojo_id,datetime_settings,task_types,is_api_filter_enabled", nil))
	assert.NotEmpty(t, full.AmojoID)
	require.NotNil(t, full.IsAPIFilterEnabled)
	assert.True(t, *full.IsAPIFilterEnabled)
	assert.Equal(t, "Europe/Moscow", full.Embedded.DatetimeSettings.Timezone)
	assert.Equal(t, "+03:00", full.Embedded.DatetimeSettings.TimezoneOffset)

	e.acct.SetTimezone("Asia/Vladivostok")
	moved := decode[accountJSON](t, e.do(http.MethodGet, "/api/v4/account?with=datetime_settings", nil))
	assert.Equal(t, "Asia/Vladivostok", moved.Embedded.DatetimeSettings.Timezone)
	assert.Equal(t, "+10:00", moved.Embedded.DatetimeSettings.TimezoneOffset)
	assert.Panics(t, func() { e.acct.SetTimezone("Mars/Olympus") })
	require.Len(t, full.Embedded.TaskTypes, 2)
	assert.Equal(t, "FOLLOW_UP", full.Embedded.TaskTypes[0].Code)
}

func TestUsers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	m := e.acct.AddUser(amocrmtest.User{Name: "Ирина Смирнова"})
	type userJSON struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	list := decode[page[userJSON]](t, e.do(http.MethodGet, "/api/v4/users", nil))
	assert.Equal(t, []int64{e.acct.AdminID, m.ID}, ids(list.Embedded["users"], func(u userJSON) int64 { return u.ID }))
	one := decode[userJSON](t, e.do(http.MethodGet, fmt.Sprintf("/api/v4/users/%d", m.ID), nil))
	assert.Equal(t, "Ирина Смирнова", one.Name)
	assert.NotEmpty(t, one.Email)
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodGet, "/api/v4/users/1", nil).StatusCode)
	assert.Len(t, e.acct.Users(), 2)
}

func TestSeedPanicsOnBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	assert.Panics(t, func() { e.srv.AddAccount("acme") }, "taken")
	assert.Panics(t, func() { e.srv.AddAccount("Bad_Name") })
	assert.Panics(t, func() { e.acct.AddLead(amocrmtest.Lead{ContactIDs: []int64{1}}) })
	assert.Panics(t, func() {
		e.acct.AddLead(amocrmtest.Lead{CustomFields: []amocrmtest.CustomFieldValue{{FieldCode: "NOPE", Values: []amocrmtest.FieldValue{{Value: "x"}}}}})
	})
	assert.Panics(t, func() { e.acct.AddNote(amocrmtest.Note{EntityType: "leads", EntityID: 1, NoteType: "common"}) })
	assert.Panics(t, func() { e.acct.AddElement(1, amocrmtest.Element{Name: "x"}) })
	assert.Panics(t, func() { e.srv.AddIntegration(e.integ) }, "client id taken")
	assert.Empty(t, e.srv.Leads("acme"), "a rejected seed stores nothing")
	a, ok := e.srv.Account("acme")
	require.True(t, ok)
	assert.Equal(t, e.acct.ID, a.ID)
	_, ok = e.srv.Account("nope")
	assert.False(t, ok)
}
