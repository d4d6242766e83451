package calculator_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/calculator"
	"github.com/amokit/amokit/app/demo"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

func connectionBody(domain, clientID, secret string) string {
	return `{"action":"save_connection","connection":{"domain":"` + domain + `","client_id":"` + clientID + `","client_secret":"` + secret + `"}}`
}

// consent posts the consent form to the fake and follows its redirect to the callback.
func consent(t *testing.T, consentURL string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, consentURL, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return http.DefaultClient.Do(req)
}

type connectionAnswer struct {
	OK      bool   `json:"ok"`
	Account string `json:"account"`
	AuthURL string `json:"auth_url"`
}

func TestSaveConnectionIsAdminOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{disconnected: true})
	body := connectionBody(f.account, f.integ.ClientID, f.integ.ClientSecret)
	for name, tc := range map[string]struct {
		auth   string
		status int
		code   string
	}{
		"no token":       {"", http.StatusUnauthorized, widget.CodeAdminTokenMissing},
		"session ticket": {"Bearer " + f.ticket(f.demo.Leads[0].ID), http.StatusForbidden, widget.CodeAdminTokenInvalid},
		"wrong token":    {"Bearer " + strings.ToUpper(fxAdminToken), http.StatusForbidden, widget.CodeAdminTokenInvalid},
		"prefix":         {"Bearer " + fxAdminToken[:len(fxAdminToken)-1], http.StatusForbidden, widget.CodeAdminTokenInvalid},
		"basic scheme":   {"Basic " + fxAdminToken, http.StatusUnauthorized, widget.CodeAdminTokenMissing},
	} {
		var headers []string
		if tc.auth != "" {
			headers = []string{"Authorization", tc.auth}
		}
		a := f.do(http.MethodPost, "/widget/api", body, headers...)
		assert.Equal(t, tc.status, a.status, name)
		assert.Equal(t, tc.code, a.errorCode(t), name)
	}
	conns, err := f.conns.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, conns, "nothing was stored")

	// A server without an admin token refuses every save_connection.
	cfg := f.cfg
	cfg.AdminToken = ""
	h, err := calculator.NewHandler(cfg)
	require.NoError(t, err)
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/widget/api", strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+fxAdminToken)
	h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Contains(t, w.Body.String(), widget.CodeAdminDisabled)
}

func TestSaveConnectionValidates(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{disconnected: true})
	for name, tc := range map[string]struct {
		body  string
		paths []string
	}{
		"scheme":        {connectionBody("https://acme.amocrm.ru", f.integ.ClientID, "s3cret"), []string{"connection.domain"}},
		"foreign host":  {connectionBody("acme.example.com", f.integ.ClientID, "s3cret"), []string{"connection.domain"}},
		"look-alike":    {connectionBody("acme.amocrm.ru.evil.com", f.integ.ClientID, "s3cret"), []string{"connection.domain"}},
		"bad client id": {connectionBody(f.account, "id with spaces", "s3cret"), []string{"connection.client_id"}},
		"no secret":     {connectionBody(f.account, f.integ.ClientID, ""), []string{"connection.client_secret"}},
		"nothing":       {`{"action":"save_connection"}`, []string{"connection.domain", "connection.client_id", "connection.client_secret"}},
	} {
		a := f.do(http.MethodPost, "/widget/api", tc.body, "Authorization", "Bearer "+fxAdminToken)
		require.Equal(t, http.StatusUnprocessableEntity, a.status, name)
		var e struct {
			Error struct {
				Code   string `json:"code"`
				Fields []struct {
					Path    string `json:"path"`
					Message string `json:"message"`
				} `json:"fields"`
			} `json:"error"`
		}
		a.decode(t, &e)
		assert.Equal(t, widget.CodeInvalidConnection, e.Error.Code, name)
		var paths []string
		for _, fe := range e.Error.Fields {
			paths = append(paths, fe.Path)
			assert.NotEmpty(t, fe.Message)
		}
		assert.Equal(t, tc.paths, paths, name)
		assert.NotContains(t, string(a.body), "s3cret", name)
	}
}

func TestSaveConnectionThenConsent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{disconnected: true})
	a := f.do(http.MethodPost, "/widget/api", connectionBody("  STEKLO.amocrm.ru ", f.integ.ClientID, f.integ.ClientSecret),
		"Authorization", "Bearer "+fxAdminToken)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var c connectionAnswer
	a.decode(t, &c)
	assert.True(t, c.OK)
	assert.Equal(t, f.account, c.Account)
	u, err := url.Parse(c.AuthURL)
	require.NoError(t, err)
	assert.Equal(t, f.fake.URL+"/oauth", u.Scheme+"://"+u.Host+u.Path)
	q := u.Query()
	assert.Equal(t, f.integ.ClientID, q.Get("client_id"))
	assert.Equal(t, "post_message", q.Get("mode"))
	require.NotEmpty(t, q.Get("state"))

	conn, err := f.conns.Load(t.Context(), f.account)
	require.NoError(t, err)
	assert.Equal(t, f.integ.ClientID, conn.ClientID)
	assert.Equal(t, f.integ.ClientSecret, conn.ClientSecret)
	assert.Empty(t, conn.AccessToken, "no tokens before the consent")

	// The administrator consents at amoCRM, which redirects to our callback with a code.
	form := url.Values{"client_id": {f.integ.ClientID}, "account": {demo.Subdomain}, "decision": {"allow"}, "state": {q.Get("state")}}
	resp, err := consent(t, f.fake.URL+"/oauth", form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, f.srv.URL+"/oauth/callback", resp.Request.URL.Scheme+"://"+resp.Request.URL.Host+resp.Request.URL.Path,
		"the redirect reached the callback mounted by the handler")
	conn, err = f.conns.Load(t.Context(), f.account)
	require.NoError(t, err)
	assert.NotEmpty(t, conn.AccessToken)
	assert.NotEmpty(t, conn.RefreshToken)
	assert.Equal(t, f.demo.Account.ID, conn.AccountID)
	assert.Equal(t, 1, f.fake.Counters().CodeExchanges)

	// The state is single use.
	resp, err = consent(t, f.fake.URL+"/oauth", form)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// Now the calculator works for the account.
	a = f.do(http.MethodGet, "/widget/api?action=get_lead", "", "Authorization", "Bearer "+f.ticket(f.demo.Leads[0].ID))
	assert.Equal(t, http.StatusOK, a.status, "%s", a.body)

	// Saving the same integration again keeps the tokens; another integration drops them.
	a = f.do(http.MethodPost, "/widget/api", connectionBody(f.account, f.integ.ClientID, f.integ.ClientSecret), "Authorization", "Bearer "+fxAdminToken)
	require.Equal(t, http.StatusOK, a.status)
	same, err := f.conns.Load(t.Context(), f.account)
	require.NoError(t, err)
	assert.Equal(t, conn.RefreshToken, same.RefreshToken)

	other := f.fake.AddIntegration(amocrmtest.Integration{RedirectURI: f.integ.RedirectURI})
	f.scan.secret(other.ClientSecret)
	a = f.do(http.MethodPost, "/widget/api", connectionBody(f.account, other.ClientID, other.ClientSecret), "Authorization", "Bearer "+fxAdminToken)
	require.Equal(t, http.StatusOK, a.status)
	var c2 connectionAnswer
	a.decode(t, &c2)
	u2, err := url.Parse(c2.AuthURL)
	require.NoError(t, err)
	assert.Equal(t, other.ClientID, u2.Query().Get("client_id"))
	assert.NotEqual(t, q.Get("state"), u2.Query().Get("state"), "a fresh state every time")
	replaced, err := f.conns.Load(t.Context(), f.account)
	require.NoError(t, err)
	assert.Equal(t, tokenstore.Connection{Account: f.account, AccountID: f.demo.Account.ID, ClientID: other.ClientID, ClientSecret: other.ClientSecret,
		CreatedAt: replaced.CreatedAt, UpdatedAt: replaced.UpdatedAt}, *replaced)
	a = f.do(http.MethodGet, "/widget/api?action=get_lead", "", "Authorization", "Bearer "+f.ticket(f.demo.Leads[0].ID))
	assert.Equal(t, http.StatusConflict, a.status, "not connected until the new consent")
}

// TestInstallHookFromAmoCRM: amoCRM's install hook (the fake sends code, referer and from_widget,
// no client_id) connects an account whose integration was saved; a code of another account sent
// with this account's referer changes nothing.
func TestInstallHookFromAmoCRM(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{disconnected: true})
	require.NoError(t, f.conns.Save(t.Context(), &tokenstore.Connection{
		Account: f.account, ClientID: f.integ.ClientID, ClientSecret: f.integ.ClientSecret,
	}))
	require.NoError(t, f.fake.InstallWidget(t.Context(), f.integ.ClientID, demo.Subdomain))
	conn, err := f.conns.Load(t.Context(), f.account)
	require.NoError(t, err)
	require.NotEmpty(t, conn.RefreshToken, "the hook without client_id connected the account")
	assert.Equal(t, f.demo.Account.ID, conn.AccountID)

	// Another tenant authorises the same integration in its own account and sends its code
	// with the victim's referer.
	f.fake.AddAccount("attacker")
	code, err := f.fake.AuthorizationCode(f.integ.ClientID, "attacker")
	require.NoError(t, err)
	a := f.do(http.MethodGet, widget.CallbackPath+"?"+url.Values{"code": {code}, "referer": {f.account}, "from_widget": {"1"}}.Encode(), "")
	assert.NotEqual(t, http.StatusOK, a.status, "%s", a.body)
	after, err := f.conns.Load(t.Context(), f.account)
	require.NoError(t, err)
	assert.Equal(t, conn.RefreshToken, after.RefreshToken, "the victim's connection is unchanged")
	assert.Equal(t, f.demo.Account.ID, after.AccountID)
}
