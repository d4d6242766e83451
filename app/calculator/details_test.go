package calculator_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// TestNoteNamesTheManagerInTheAccountsZone: the note's first line names the manager as amoCRM
// knows them, its marker gives the time in the account's own zone, and the history shows both.
func TestNoteNamesTheManagerInTheAccountsZone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.demo.Account.SetTimezone("Asia/Yekaterinburg")
	lead := f.demo.Leads[3]

	a, saved := f.save(lead.ID, fxKey1, fxOrder)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	c := saved.Calculation
	assert.Equal(t, f.demo.Manager.Name, c.UserName)
	assert.Equal(t, "Asia/Yekaterinburg", c.TimeZone)
	assert.True(t, strings.HasSuffix(c.Created, " UTC+05:00"), "%q", c.Created)

	notes := f.fake.Notes("leads", lead.ID)
	require.NotEmpty(t, notes)
	text, _ := notes[len(notes)-1].Params["text"].(string)
	assert.True(t, strings.HasPrefix(text, "Менеджер: Ирина Смирнова\nРасчёт заказа"), "%q", text)
	assert.True(t, strings.HasSuffix(text, "\nРасчёт №1 от "+c.Created+" · "+c.ID[:8]), "%q", text)
	assert.Equal(t, c.noteText(t, quoteOf(t, fxOrder)), text)

	list := f.do(http.MethodGet, "/widget/leads/"+strconv.FormatInt(lead.ID, 10)+"/calculations", "", "Authorization", "Bearer "+f.ticket(lead.ID))
	require.Equal(t, http.StatusOK, list.status)
	var got struct {
		Calculations []savedCalculation `json:"calculations"`
	}
	list.decode(t, &got)
	require.Len(t, got.Calculations, 1)
	assert.Equal(t, "Ирина Смирнова", got.Calculations[0].UserName, "the history says who saved it")
	assert.Equal(t, c.Created, got.Calculations[0].Created)

	// Later saves do not read the name and the zone again.
	f.fake.ResetRequests()
	a, _ = f.save(lead.ID, fxKey2, fxOrder)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	for _, r := range f.fake.Requests() {
		assert.NotEqual(t, "/api/v4/account", r.Path)
		assert.NotContains(t, r.Path, "/api/v4/users/")
	}
}

// TestNoteWhenTheNameCannotBeRead: amoCRM failing to give the manager's name or the account's
// zone fails nothing; the note says whose it is by id, in Moscow time.
func TestNoteWhenTheNameCannotBeRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[3]
	f.fake.FailNext(1, http.MethodGet, "/api/v4/users/"+strconv.FormatInt(f.demo.Manager.ID, 10), amocrmtest.Fault{Status: http.StatusInternalServerError})
	f.fake.FailNext(1, http.MethodGet, "/api/v4/account", amocrmtest.Fault{Status: http.StatusBadGateway})

	a, saved := f.save(lead.ID, fxKey1, fxOrder)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	c := saved.Calculation
	assert.Empty(t, c.UserName)
	assert.Empty(t, c.TimeZone)
	notes := f.fake.Notes("leads", lead.ID)
	require.NotEmpty(t, notes)
	text, _ := notes[len(notes)-1].Params["text"].(string)
	assert.True(t, strings.HasPrefix(text, "Менеджер: пользователь amoCRM №"+strconv.FormatInt(f.demo.Manager.ID, 10)+" (имя из amoCRM не получено)\n"), "%q", text)
	assert.Contains(t, text, " МСК · "+c.ID[:8])
}
