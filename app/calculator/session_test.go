package calculator_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
	"github.com/amokit/amokit/app/demo"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

type sessionAnswer struct {
	Ticket    string `json:"ticket"`
	IframeURL string `json:"iframe_url"`
	ExpiresAt string `json:"expires_at"`
}

const fxOrigin = "https://" + demo.Subdomain + ".amocrm.ru"

func (f *fixture) session(token string, lead int64) answer {
	f.t.Helper()
	return f.do(http.MethodPost, "/widget/session", `{"lead_id":`+strconv.FormatInt(lead, 10)+`}`,
		"X-Auth-Token", token, "Origin", fxOrigin)
}

func TestSessionIssuesTicket(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[0].ID
	token, err := f.fake.DisposableToken(f.integ.ClientID, demo.Subdomain, f.demo.Manager.ID, "")
	require.NoError(t, err)

	before := time.Now()
	a := f.session(token, lead)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, fxOrigin, a.header.Get("Access-Control-Allow-Origin"))
	assert.NotContains(t, string(a.body), token, "the disposable token is not echoed")
	var s sessionAnswer
	a.decode(t, &s)

	tk, err := f.signer.Verify(s.Ticket)
	require.NoError(t, err)
	assert.Equal(t, widget.Ticket{Account: f.account, AccountID: f.demo.Account.ID, UserID: f.demo.Manager.ID, LeadID: lead, Expires: tk.Expires}, tk)
	assert.Equal(t, f.srv.URL+"/widget/page?ticket="+url.QueryEscape(s.Ticket), s.IframeURL)
	exp, err := time.Parse(time.RFC3339, s.ExpiresAt)
	require.NoError(t, err)
	assert.True(t, exp.Equal(tk.Expires))
	assert.WithinDuration(t, before.Add(widget.DefaultTicketTTL), exp, 5*time.Second)

	// The iframe loads its page and reads the lead with that ticket.
	page := f.do(http.MethodGet, s.IframeURL[len(f.srv.URL):], "")
	assert.Equal(t, http.StatusOK, page.status)
	a = f.do(http.MethodGet, "/widget/api?action=get_lead", "", "Authorization", "Bearer "+s.Ticket)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var l leadAnswer
	a.decode(t, &l)
	assert.Equal(t, lead, l.Lead.ID)
}

func TestSessionPreflight(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.do(http.MethodOptions, "/widget/session", "", "Origin", fxOrigin, "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "x-auth-token, content-type")
	assert.Equal(t, http.StatusNoContent, a.status)
	assert.Equal(t, fxOrigin, a.header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, a.header.Get("Access-Control-Allow-Headers"), "X-Auth-Token")

	a = f.do(http.MethodOptions, "/widget/session", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Empty(t, a.header.Get("Access-Control-Allow-Origin"))
}

func TestSessionRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lead := f.demo.Leads[0].ID
	good, err := f.fake.DisposableToken(f.integ.ClientID, demo.Subdomain, 0, "")
	require.NoError(t, err)
	stranger := f.fake.AddIntegration(amocrmtest.Integration{RedirectURI: f.integ.RedirectURI})
	unknown, err := f.fake.DisposableToken(stranger.ClientID, demo.Subdomain, 0, "")
	require.NoError(t, err)
	otherAud, err := f.fake.DisposableToken(f.integ.ClientID, demo.Subdomain, 0, "https://elsewhere.example")
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		token  string
		lead   int64
		status int
		code   string
	}{
		"no token":          {"", lead, http.StatusUnauthorized, widget.CodeTokenMissing},
		"other integration": {unknown, lead, http.StatusUnauthorized, widget.CodeTokenUnknownClient},
		"other audience":    {otherAud, lead, http.StatusUnauthorized, widget.CodeTokenAudience},
		"tampered":          {good[:len(good)-2] + "AA", lead, http.StatusUnauthorized, widget.CodeTokenSignature},
		"no lead":           {good, 0, http.StatusUnprocessableEntity, widget.CodeInvalidRequest},
	} {
		var a answer
		if tc.token == "" {
			a = f.do(http.MethodPost, "/widget/session", `{"lead_id":1}`, "Origin", fxOrigin)
		} else {
			a = f.session(tc.token, tc.lead)
		}
		assert.Equal(t, tc.status, a.status, name)
		assert.Equal(t, tc.code, a.errorCode(t), name)
		assert.NotContains(t, string(a.body), "ticket\"", name)
	}
}

func TestSessionNotConnected(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{disconnected: true})
	token, err := f.fake.DisposableToken(f.integ.ClientID, demo.Subdomain, 0, "")
	require.NoError(t, err)
	a := f.session(token, f.demo.Leads[0].ID)
	assert.Equal(t, http.StatusConflict, a.status)
	assert.Equal(t, widget.CodeNotConnected, a.errorCode(t))
}

func TestSessionIntegrationFromTheStore(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// The account is connected through an integration of its own, not the default one: its
	// secret is found in the connection store.
	own := f.fake.AddIntegration(amocrmtest.Integration{RedirectURI: f.integ.RedirectURI})
	f.scan.secret(own.ClientSecret)
	tok, err := f.fake.IssueToken(own.ClientID, demo.Subdomain)
	require.NoError(t, err)
	require.NoError(t, f.conns.Save(t.Context(), &tokenstore.Connection{
		Account: f.account, ClientID: own.ClientID, ClientSecret: own.ClientSecret,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.ExpiresAt,
	}))
	token, err := f.fake.DisposableToken(own.ClientID, demo.Subdomain, 0, "")
	require.NoError(t, err)
	a := f.session(token, f.demo.Leads[1].ID)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
}

// TestSessionRefusesAnotherTenantsSecret is the cross-tenant attack: the attacker owns account B
// with an integration of its own, saved on this server (its consent never finished, which is
// enough to store the secret), and signs tokens with that valid secret that name the victim's
// account. None of them may yield a ticket.
func TestSessionRefusesAnotherTenantsSecret(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	attacker := f.fake.AddAccount("attacker")
	b := f.fake.AddIntegration(amocrmtest.Integration{RedirectURI: f.integ.RedirectURI})
	f.scan.secret(b.ClientSecret)
	require.NoError(t, f.conns.Save(t.Context(), &tokenstore.Connection{
		Account: attacker.Host, ClientID: b.ClientID, ClientSecret: b.ClientSecret,
	}))
	lead := f.demo.Leads[0].ID
	forge := func(claims jwt.MapClaims) string {
		now := time.Now()
		base := jwt.MapClaims{
			"iss": "https://" + f.account, "aud": f.srv.URL, "jti": "forged",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
			"account_id": f.demo.Account.ID, "user_id": f.demo.Manager.ID, "subdomain": demo.Subdomain,
			"client_uuid": b.ClientID,
		}
		for k, v := range claims {
			base[k] = v
		}
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, base).SignedString([]byte(b.ClientSecret))
		require.NoError(t, err)
		return s
	}
	for name, tc := range map[string]struct {
		token string
		code  string
	}{
		"B's secret and integration, the victim's iss and account_id": {forge(nil), widget.CodeTokenUnknownClient},
		"B's secret, the victim's integration":                        {forge(jwt.MapClaims{"client_uuid": f.integ.ClientID}), widget.CodeTokenSignature},
		"B's secret and B's iss, the victim's account_id":             {forge(jwt.MapClaims{"iss": "https://" + attacker.Host, "subdomain": attacker.Subdomain}), widget.CodeTokenAccount},
	} {
		if name == "B's secret and B's iss, the victim's account_id" {
			// Once B's account id is known (the consent finished), a foreign account_id is refused.
			c, err := f.conns.Load(t.Context(), attacker.Host)
			require.NoError(t, err)
			c.AccountID = attacker.ID
			require.NoError(t, f.conns.Save(t.Context(), c))
		}
		a := f.session(tc.token, lead)
		assert.Equal(t, http.StatusUnauthorized, a.status, name)
		assert.Equal(t, tc.code, a.errorCode(t), name)
		assert.NotContains(t, string(a.body), `"ticket"`, name)
	}

	// B's own valid token opens B's account only, never the victim's lead data.
	own, err := f.fake.DisposableToken(b.ClientID, attacker.Subdomain, 0, "")
	require.NoError(t, err)
	a := f.session(own, lead)
	assert.NotEqual(t, http.StatusOK, a.status, "B's account has no tokens, so no ticket: %s", a.body)
	assert.Equal(t, widget.CodeNotConnected, a.errorCode(t))
}

// TestSessionActsAsTheManager: the ticket is issued only for a lead amoCRM shows to the card's
// user, and every amoCRM request made for the ticket acts as that user.
func TestSessionActsAsTheManager(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	manager := f.demo.Manager
	_, ok := f.demo.Account.SetUserRights(amocrmtest.User{ID: manager.ID, Leads: amocrmtest.Rights{View: "M", Edit: "M"}})
	require.True(t, ok)
	own := f.demo.Leads[0]
	require.Equal(t, manager.ID, own.ResponsibleUserID)
	other := f.demo.Account.AddLead(amocrmtest.Lead{Name: "Сделка директора"}) // the admin's
	token, err := f.fake.DisposableToken(f.integ.ClientID, demo.Subdomain, manager.ID, "")
	require.NoError(t, err)

	a := f.session(token, other.ID)
	assert.Equal(t, http.StatusNotFound, a.status, "%s", a.body)
	assert.Equal(t, widget.CodeLeadNotFound, a.errorCode(t))
	assert.Contains(t, string(a.body), "нет права её видеть")
	assert.NotContains(t, string(a.body), `"ticket"`)

	f.fake.ResetRequests()
	a = f.session(token, own.ID)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var s sessionAnswer
	a.decode(t, &s)
	a = f.do(http.MethodGet, "/widget/api?action=get_lead", "", "Authorization", "Bearer "+s.Ticket)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a, saved := f.save(own.ID, fxKey1, fxOrder)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	require.Nil(t, saved.Error)

	api, names := 0, 0
	for _, r := range f.fake.Requests() {
		if r.Method == http.MethodGet && r.Path == "/api/v4/users/"+strconv.FormatInt(manager.ID, 10) && r.ContextUser == "" {
			// amoCRM lets only administrators read users: the manager's own name is read as the
			// administrator who connected the account, the one request that does not act as the
			// manager.
			names++
			continue
		}
		if strings.HasPrefix(r.Path, "/api/") {
			api++
			assert.Equal(t, strconv.FormatInt(manager.ID, 10), r.ContextUser, "%s %s", r.Method, r.Path)
		}
	}
	assert.Greater(t, api, 4, "the session's read, get_lead and the save's writes")
	assert.Equal(t, 1, names, "the manager's name, read once")
	notes := f.fake.Notes("leads", own.ID)
	require.NotEmpty(t, notes)
	assert.Equal(t, manager.ID, notes[len(notes)-1].CreatedBy, "the note is the manager's")
	text, _ := notes[len(notes)-1].Params["text"].(string)
	assert.True(t, strings.HasPrefix(text, "Менеджер: "+manager.Name+"\n"), "%q", text)

	// A ticket of a user who may see the lead but not edit it writes nothing.
	colleague := f.demo.Account.AddUser(amocrmtest.User{Name: "Стажёр", Leads: amocrmtest.Rights{View: "A", Edit: "D"}})
	before, _ := f.fake.Lead(own.ID)
	ticket := f.signer.Sign(widget.Ticket{Account: f.account, AccountID: f.demo.Account.ID, UserID: colleague.ID, LeadID: own.ID})
	body := `{"action":"save_calculation","idempotency_key":"` + fxKey2 + `","order":` + strings.Replace(fxOrder, `"quantity":1`, `"quantity":2`, 1) + `}`
	a = f.do(http.MethodPost, "/widget/api", body, "Authorization", "Bearer "+ticket)
	assert.NotEqual(t, http.StatusOK, a.status, "%s", a.body)
	after, _ := f.fake.Lead(own.ID)
	assert.Equal(t, before.Price, after.Price)
}

// TestSessionNeedsAnAdministratorsGrant: when the connection's tokens were granted by a user who
// is not an administrator, amoCRM will not act as the card's user, and the card says what to do.
func TestSessionNeedsAnAdministratorsGrant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok, err := f.fake.IssueTokenFor(f.integ.ClientID, demo.Subdomain, f.demo.Manager.ID)
	require.NoError(t, err)
	f.scan.secret(tok.AccessToken)
	f.scan.secret(tok.RefreshToken)
	c, err := f.conns.Load(t.Context(), f.account)
	require.NoError(t, err)
	c.AccessToken, c.RefreshToken, c.Expiry = tok.AccessToken, tok.RefreshToken, tok.ExpiresAt
	require.NoError(t, f.conns.Save(t.Context(), c))

	token, err := f.fake.DisposableToken(f.integ.ClientID, demo.Subdomain, f.demo.Manager.ID, "")
	require.NoError(t, err)
	a := f.session(token, f.demo.Leads[0].ID)
	assert.Equal(t, http.StatusForbidden, a.status, "%s", a.body)
	assert.Equal(t, widget.CodeLeadForbidden, a.errorCode(t))
	assert.Contains(t, string(a.body), "администратор")
}

// TestAnotherTenantsTicket: a valid ticket of another connected account, for the victim's lead
// id, reaches nothing of the victim: not the lead, not its calculations, and a save writes
// nothing to the victim's account.
func TestAnotherTenantsTicket(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	victimLead := f.demo.Leads[0]
	_, saved := f.save(victimLead.ID, fxKey1, fxOrder) // the victim's own calculation
	require.Nil(t, saved.Error)
	before, _ := f.fake.Lead(victimLead.ID)
	notesBefore := len(f.fake.Notes("leads", victimLead.ID))

	tenant := f.connectTenant("tenant")
	ticket := "Bearer " + f.signer.Sign(widget.Ticket{Account: tenant.Host, AccountID: tenant.ID, UserID: tenant.AdminID, LeadID: victimLead.ID})

	a := f.do(http.MethodGet, "/widget/api?action=get_lead", "", "Authorization", ticket)
	assert.Equal(t, http.StatusNotFound, a.status, "%s", a.body)
	assert.NotContains(t, string(a.body), victimLead.Name)

	a = f.do(http.MethodGet, "/widget/leads/"+strconv.FormatInt(victimLead.ID, 10)+"/calculations", "", "Authorization", ticket)
	require.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `{"calculations":[]}`, string(a.body), "the victim's calculation is not the tenant's")

	body := `{"action":"save_calculation","idempotency_key":"` + fxKey2 + `","order":` + fxOrder + `}`
	a = f.do(http.MethodPost, "/widget/api", body, "Authorization", ticket)
	assert.NotEqual(t, http.StatusOK, a.status, "%s", a.body)
	after, _ := f.fake.Lead(victimLead.ID)
	assert.Equal(t, before.Price, after.Price)
	assert.Len(t, f.fake.Notes("leads", victimLead.ID), notesBefore)

	// The ticket is bound to its account: naming the victim's account is refused outright.
	a = f.do(http.MethodGet, "/widget/api?action=get_lead", "", "Authorization", ticket, "X-Account-Domain", f.account)
	assert.Equal(t, http.StatusForbidden, a.status)
}
