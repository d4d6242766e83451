package amocrmtest_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

// rightsEnv is an account with an administrator (who granted the token), a manager who sees only
// the leads they are responsible for, a colleague in the manager's group, and two leads.
type rightsEnv struct {
	*env
	manager, colleague, outsider amocrmtest.User
	own, other                   amocrmtest.Lead
}

func setupRights(t *testing.T) *rightsEnv {
	e := &rightsEnv{env: setup(t)}
	e.manager = e.acct.AddUser(amocrmtest.User{Name: "Менеджер", GroupID: 7, Leads: amocrmtest.Rights{View: "M", Edit: "M"}})
	e.colleague = e.acct.AddUser(amocrmtest.User{Name: "Коллега", GroupID: 7, Leads: amocrmtest.Rights{View: "G", Edit: "D"}})
	e.outsider = e.acct.AddUser(amocrmtest.User{Name: "Другой отдел", GroupID: 9, Leads: amocrmtest.Rights{View: "G"}})
	e.own = e.acct.AddLead(amocrmtest.Lead{Name: "Своя", ResponsibleUserID: e.manager.ID})
	e.other = e.acct.AddLead(amocrmtest.Lead{Name: "Чужая"})
	return e
}

// as sends a request with the admin's token acting as user (0: no header).
func (e *rightsEnv) as(user int64, method, path, body string) resp {
	e.t.Helper()
	return e.asToken(e.tok.AccessToken, user, method, path, body)
}

func (e *rightsEnv) asToken(token string, user int64, method, path, body string) resp {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+path, strings.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != 0 {
		req.Header.Set("X-Context-User-ID", strconv.FormatInt(user, 10))
	}
	return send(e.t, http.DefaultClient, req)
}

func leadPath(id int64) string { return "/api/v4/leads/" + strconv.FormatInt(id, 10) }

func TestContextUserViewRights(t *testing.T) {
	t.Parallel()
	e := setupRights(t)
	for _, tc := range []struct {
		name   string
		user   int64
		lead   int64
		status int
	}{
		{"the token's admin sees every lead", 0, e.other.ID, http.StatusOK},
		{"M: own lead", e.manager.ID, e.own.ID, http.StatusOK},
		{"M: another's lead", e.manager.ID, e.other.ID, http.StatusNotFound},
		{"G: a lead of someone in the group", e.colleague.ID, e.own.ID, http.StatusOK},
		{"G: a lead of someone in another group", e.outsider.ID, e.own.ID, http.StatusNotFound},
	} {
		r := e.as(tc.user, http.MethodGet, leadPath(tc.lead), "")
		assert.Equal(t, tc.status, r.StatusCode, "%s: %s", tc.name, r.body)
	}

	// A list shows the acting user only what they may see.
	r := e.as(e.manager.ID, http.MethodGet, "/api/v4/leads", "")
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	got := decode[page[struct{ ID int64 }]](t, r)
	require.Len(t, got.Embedded["leads"], 1)
	assert.Equal(t, e.own.ID, got.Embedded["leads"][0].ID)
}

func TestContextUserEditRights(t *testing.T) {
	t.Parallel()
	e := setupRights(t)
	price := `{"price":100}`
	note := `[{"note_type":"common","params":{"text":"x"}}]`

	// The colleague sees the manager's lead but may not change it, nor add notes to it.
	assert.Equal(t, http.StatusForbidden, e.as(e.colleague.ID, http.MethodPatch, leadPath(e.own.ID), price).StatusCode)
	assert.Equal(t, http.StatusForbidden, e.as(e.colleague.ID, http.MethodPatch, "/api/v4/leads",
		`[{"id":`+strconv.FormatInt(e.own.ID, 10)+`,"price":100}]`).StatusCode)
	assert.Equal(t, http.StatusForbidden, e.as(e.colleague.ID, http.MethodPost, leadPath(e.own.ID)+"/notes", note).StatusCode)
	// A lead the manager cannot see does not exist for them.
	assert.Equal(t, http.StatusNotFound, e.as(e.manager.ID, http.MethodPatch, leadPath(e.other.ID), price).StatusCode)

	// The manager edits their own lead, and the note is theirs.
	r := e.as(e.manager.ID, http.MethodPatch, leadPath(e.own.ID), price)
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	r = e.as(e.manager.ID, http.MethodPost, leadPath(e.own.ID)+"/notes", note)
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	notes := e.srv.Notes("leads", e.own.ID)
	require.Len(t, notes, 1)
	assert.Equal(t, e.manager.ID, notes[0].CreatedBy)
}

func TestContextUserRefused(t *testing.T) {
	t.Parallel()
	e := setupRights(t)
	free := e.acct.AddUser(amocrmtest.User{Name: "Бесплатный", IsFree: true})
	gone := e.acct.AddUser(amocrmtest.User{Name: "Уволен", Inactive: true})
	// A user of another account, with that account's valid token.
	tenant := e.srv.AddAccount("tenant")
	stranger := tenant.AddUser(amocrmtest.User{Name: "Чужой"})
	tenantTok, err := e.srv.IssueToken(e.integ.ClientID, "tenant")
	require.NoError(t, err)

	for name, user := range map[string]int64{"free": free.ID, "inactive": gone.ID, "of another account": stranger.ID, "unknown": 999999} {
		r := e.as(user, http.MethodGet, leadPath(e.own.ID), "")
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode, name)
	}
	// Another tenant's valid token, acting as this account's manager, reaches nothing here.
	r := e.asToken(tenantTok.AccessToken, e.manager.ID, http.MethodGet, leadPath(e.own.ID), "")
	assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
	r = e.asToken(tenantTok.AccessToken, 0, http.MethodGet, leadPath(e.own.ID), "")
	assert.Equal(t, http.StatusNotFound, r.StatusCode, "the other account has no such lead")

	// A token that a non-administrator granted may not act as anyone.
	mine, err := e.srv.IssueTokenFor(e.integ.ClientID, "acme", e.manager.ID)
	require.NoError(t, err)
	r = e.asToken(mine.AccessToken, e.manager.ID, http.MethodGet, leadPath(e.own.ID), "")
	assert.Equal(t, http.StatusForbidden, r.StatusCode)
	// Without the header it runs with its own user's rights.
	assert.Equal(t, http.StatusOK, e.asToken(mine.AccessToken, 0, http.MethodGet, leadPath(e.own.ID), "").StatusCode)
	assert.Equal(t, http.StatusNotFound, e.asToken(mine.AccessToken, 0, http.MethodGet, leadPath(e.other.ID), "").StatusCode)
}

func TestUsersAPIIsForAdministrators(t *testing.T) {
	t.Parallel()
	e := setupRights(t)
	r := e.as(0, http.MethodGet, "/api/v4/users/"+strconv.FormatInt(e.manager.ID, 10), "")
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	type userJSON struct {
		Rights struct {
			Leads    map[string]string `json:"leads"`
			GroupID  *int64            `json:"group_id"`
			IsActive bool              `json:"is_active"`
		} `json:"rights"`
	}
	u := decode[userJSON](t, r)
	assert.Equal(t, map[string]string{"view": "M", "edit": "M", "add": "A", "delete": "A", "export": "A"}, u.Rights.Leads)
	require.NotNil(t, u.Rights.GroupID)
	assert.Equal(t, int64(7), *u.Rights.GroupID)
	assert.True(t, u.Rights.IsActive)

	// Acting as the manager, or with the manager's own grant, the users API is closed.
	assert.Equal(t, http.StatusForbidden, e.as(e.manager.ID, http.MethodGet, "/api/v4/users", "").StatusCode)
	mine, err := e.srv.IssueTokenFor(e.integ.ClientID, "acme", e.manager.ID)
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, e.asToken(mine.AccessToken, 0, http.MethodGet, "/api/v4/users", "").StatusCode)
	// Another account's user is not found through this account.
	tenant := e.srv.AddAccount("tenant")
	stranger := tenant.AddUser(amocrmtest.User{Name: "Чужой"})
	assert.Equal(t, http.StatusNotFound, e.as(0, http.MethodGet, "/api/v4/users/"+strconv.FormatInt(stranger.ID, 10), "").StatusCode)
}
