package amocrmtest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm/amocrmtest"
)

type tokenJSON struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	ServerTime   int64  `json:"server_time"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// omit as a parameter value leaves the parameter out.
const omit = "\x00omit"

// exchange posts to the token endpoint as JSON, with the integration's
// credentials and redirect URI unless params override them.
func (e *env) exchange(params map[string]string) resp {
	e.t.Helper()
	p := map[string]string{"client_id": e.integ.ClientID, "client_secret": e.integ.ClientSecret, "redirect_uri": redirectURI}
	for k, v := range params {
		p[k] = v
		if v == omit {
			delete(p, k)
		}
	}
	return e.doToken("", http.MethodPost, "/oauth2/access_token", p)
}

func (e *env) code() string {
	e.t.Helper()
	c, err := e.srv.AuthorizationCode(e.integ.ClientID, "acme")
	require.NoError(e.t, err)
	return c
}

func TestConsentAllow(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.AddAccount("beta")
	page, err := http.Get(e.srv.URL + "/oauth?client_id=" + e.integ.ClientID + "&state=xyz&mode=popup")
	require.NoError(t, err)
	body := readAll(t, page)
	assert.Equal(t, http.StatusOK, page.StatusCode)
	assert.Contains(t, page.Header.Get("Content-Type"), "text/html")
	for _, s := range []string{"Разрешить", "Отказать", "Калькулятор", `<select name="account">`, "acme.amocrm.ru", "beta.amocrm.ru", `name="state" value="xyz"`} {
		assert.Contains(t, body, s)
	}
	assert.NotContains(t, body, e.integ.ClientSecret)

	r := postForm(t, e.srv.URL+"/oauth", url.Values{
		"client_id": {e.integ.ClientID}, "state": {"xyz"}, "mode": {"popup"}, "account": {"acme"}, "decision": {"allow"},
	})
	require.Equal(t, http.StatusFound, r.StatusCode)
	loc, err := url.Parse(r.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "https://app.example/oauth/callback", loc.Scheme+"://"+loc.Host+loc.Path)
	q := loc.Query()
	assert.Equal(t, "xyz", q.Get("state"))
	assert.Equal(t, "acme.amocrm.ru", q.Get("referer"))
	assert.Equal(t, e.integ.ClientID, q.Get("client_id"))
	require.NotEmpty(t, q.Get("code"))

	tr := e.exchange(map[string]string{"grant_type": "authorization_code", "code": q.Get("code")})
	require.Equal(t, http.StatusOK, tr.StatusCode, "%s", tr.body)
	tok := decode[tokenJSON](t, tr)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, int64(86400), tok.ExpiresIn)
	assert.Equal(t, start().Unix(), tok.ServerTime)
	acc := e.doToken(tok.AccessToken, http.MethodGet, "/api/v4/account", nil)
	require.Equal(t, http.StatusOK, acc.StatusCode)
	assert.Equal(t, "acme", decode[struct {
		Subdomain string `json:"subdomain"`
	}](t, acc).Subdomain)
	assert.Equal(t, 1, e.srv.Counters().CodeExchanges)
}

func TestConsentSingleAccountAndNoState(t *testing.T) {
	t.Parallel()
	e := setup(t)
	page, err := http.Get(e.srv.URL + "/oauth/?client_id=" + e.integ.ClientID)
	require.NoError(t, err)
	body := readAll(t, page)
	assert.NotContains(t, body, "<select")
	assert.Contains(t, body, `name="account" value="acme"`)
	assert.NotContains(t, body, `name="state"`)

	r := postForm(t, e.srv.URL+"/oauth", url.Values{"client_id": {e.integ.ClientID}, "account": {"acme"}, "decision": {"allow"}})
	require.Equal(t, http.StatusFound, r.StatusCode)
	loc, _ := url.Parse(r.Header.Get("Location"))
	assert.False(t, loc.Query().Has("state"), "state is echoed only if it was sent")

	bad, err := http.Get(e.srv.URL + "/oauth?client_id=unknown")
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, bad.StatusCode)
	assert.Contains(t, readAll(t, bad), "Интеграция не найдена")
}

func TestConsentDeny(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := postForm(t, e.srv.URL+"/oauth", url.Values{"client_id": {e.integ.ClientID}, "state": {"s1"}, "account": {"acme"}, "decision": {"deny"}})
	require.Equal(t, http.StatusFound, r.StatusCode)
	loc, _ := url.Parse(r.Header.Get("Location"))
	q := loc.Query()
	assert.Equal(t, "access_denied", q.Get("error"))
	assert.Equal(t, "s1", q.Get("state"))
	assert.Equal(t, e.integ.ClientID, q.Get("client_id"))
	assert.False(t, q.Has("code"))
}

func readAll(t *testing.T, r *http.Response) string {
	t.Helper()
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	return string(b)
}

func TestCodeSingleUseAndExpiry(t *testing.T) {
	t.Parallel()
	e := setup(t)
	code := e.code()
	first := e.exchange(map[string]string{"grant_type": "authorization_code", "code": code})
	require.Equal(t, http.StatusOK, first.StatusCode, "%s", first.body)
	again := e.exchange(map[string]string{"grant_type": "authorization_code", "code": code})
	assert.Equal(t, http.StatusBadRequest, again.StatusCode)
	p := decode[problemJSON](t, again)
	assert.Equal(t, "https://developers.amocrm.ru/v3/errors/OAuthProblemJson", p.Type)
	assert.Equal(t, "Authorization code has been revoked", p.Hint)

	late := e.code()
	e.clock.Advance(20*time.Minute - time.Second)
	fresh := e.code()
	e.clock.Advance(time.Second)
	expired := e.exchange(map[string]string{"grant_type": "authorization_code", "code": late})
	assert.Equal(t, http.StatusBadRequest, expired.StatusCode)
	assert.Equal(t, "Authorization code has expired", decode[problemJSON](t, expired).Hint)
	assert.Equal(t, http.StatusOK, e.exchange(map[string]string{"grant_type": "authorization_code", "code": fresh}).StatusCode)
	assert.Equal(t, 2, e.srv.Counters().CodeExchanges)
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cases := []struct {
		name   string
		params map[string]string
		status int
		title  string
	}{
		{"wrong secret", map[string]string{"client_secret": "nope", "grant_type": "authorization_code", "code": e.code()}, 401, "Некорректный клиент"},
		{"unknown client", map[string]string{"client_id": "00000000-0000-0000-0000-000000000000", "grant_type": "authorization_code", "code": e.code()}, 401, "Некорректный клиент"},
		{"redirect with trailing slash", map[string]string{"redirect_uri": redirectURI + "/", "grant_type": "authorization_code", "code": e.code()}, 400, "Некорректный запрос"},
		{"unknown code", map[string]string{"grant_type": "authorization_code", "code": "def50200nope"}, 400, "Некорректный запрос"},
		{"no code", map[string]string{"grant_type": "authorization_code"}, 400, "Некорректный запрос"},
		{"bad grant type", map[string]string{"grant_type": "password"}, 400, "Неподдерживаемый тип авторизации"},
		{"unknown refresh token", map[string]string{"grant_type": "refresh_token", "refresh_token": "def50200nope"}, 401, "Некорректный запрос"},
		{"refresh without redirect_uri", map[string]string{"grant_type": "refresh_token", "refresh_token": e.tok.RefreshToken, "redirect_uri": omit}, 400, "Некорректный запрос"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.exchange(tc.params)
			assert.Equal(t, tc.status, r.StatusCode, "%s", r.body)
			p := decode[problemJSON](t, r)
			assert.Equal(t, tc.title, p.Title)
			assert.Equal(t, tc.status, p.Status)
			assert.NotEmpty(t, p.Hint)
			assert.NotContains(t, string(r.body), e.integ.ClientSecret)
		})
	}
}

func TestTokenEndpointForm(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := postForm(t, e.srv.URL+"/oauth2/access_token", url.Values{
		"client_id": {e.integ.ClientID}, "client_secret": {e.integ.ClientSecret}, "grant_type": {"authorization_code"},
		"code": {e.code()}, "redirect_uri": {redirectURI},
	})
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	assert.NotEmpty(t, decode[tokenJSON](t, r).AccessToken)
}

func (e *env) refresh(rt string) resp {
	e.t.Helper()
	return e.exchange(map[string]string{"grant_type": "refresh_token", "refresh_token": rt})
}

func TestRefreshStrict(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.refresh(e.tok.RefreshToken)
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	next := decode[tokenJSON](t, r)
	assert.NotEqual(t, e.tok.RefreshToken, next.RefreshToken, "refresh tokens rotate")

	reuse := e.refresh(e.tok.RefreshToken)
	assert.Equal(t, http.StatusUnauthorized, reuse.StatusCode)
	p := decode[problemJSON](t, reuse)
	assert.Equal(t, "Token has been revoked", p.Hint)
	assert.Equal(t, "https://developers.amocrm.ru/v3/errors/OAuthProblemJson", p.Type)
	assert.Equal(t, 401, p.Status)

	assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode, "the replaced access token is dead")
	assert.Equal(t, http.StatusOK, e.doToken(next.AccessToken, http.MethodGet, "/api/v4/account", nil).StatusCode)
	assert.Equal(t, http.StatusOK, e.refresh(next.RefreshToken).StatusCode)
	assert.Equal(t, 2, e.srv.Counters().Refreshes)
}

func TestRefreshKommoGrace(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithRefreshReuse(amocrmtest.RefreshKommoGrace))
	rt1 := e.tok.RefreshToken
	second := decode[tokenJSON](t, e.refresh(rt1))
	// The response was "lost": the client retries with the old token.
	r := e.refresh(rt1)
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	third := decode[tokenJSON](t, r)
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode, "the old access token works during the grace")
	assert.Equal(t, http.StatusUnauthorized, e.doToken(second.AccessToken, http.MethodGet, "/api/v4/account", nil).StatusCode, "the pair the retry replaced is dead")

	// First use of the new access token ends the grace.
	assert.Equal(t, http.StatusOK, e.doToken(third.AccessToken, http.MethodGet, "/api/v4/account", nil).StatusCode)
	assert.Equal(t, http.StatusUnauthorized, e.refresh(rt1).StatusCode)
	assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode)
	assert.Equal(t, http.StatusOK, e.refresh(third.RefreshToken).StatusCode)
}

func TestRefreshKeepingTheOldAccessToken(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithRevokeOnRefresh(false))
	next := decode[tokenJSON](t, e.refresh(e.tok.RefreshToken))
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode, "the old access token lives on")
	assert.Equal(t, http.StatusUnauthorized, e.refresh(e.tok.RefreshToken).StatusCode, "its refresh token does not")
	assert.Equal(t, http.StatusOK, e.doToken(next.AccessToken, http.MethodGet, "/api/v4/account", nil).StatusCode)
	e.clock.Advance(24 * time.Hour)
	assert.Equal(t, http.StatusUnauthorized, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode, "until it expires")
}

func TestRefreshRedirectURIOptional(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithRefreshRedirectURI(false))
	r := e.doToken("", http.MethodPost, "/oauth2/access_token", map[string]string{
		"client_id": e.integ.ClientID, "client_secret": e.integ.ClientSecret,
		"grant_type": "refresh_token", "refresh_token": e.tok.RefreshToken,
	})
	assert.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
}

func TestAccessTokenClaims(t *testing.T) {
	t.Parallel()
	e := setup(t, amocrmtest.WithAccessTokenTTL(time.Hour), amocrmtest.WithBaseDomain("kommo.com"))
	tok, err := e.srv.IssueToken(e.integ.ClientID, "acme")
	require.NoError(t, err)
	assert.Equal(t, start().Add(time.Hour), tok.ExpiresAt.UTC())
	claims := jwt.MapClaims{}
	_, _, err = jwt.NewParser().ParseUnverified(tok.AccessToken, claims)
	require.NoError(t, err)
	assert.Equal(t, e.integ.ClientID, claims["aud"])
	assert.EqualValues(t, e.acct.ID, claims["account_id"])
	assert.Equal(t, strconv.FormatInt(e.acct.AdminID, 10), claims["sub"], "sub is a string")
	assert.Equal(t, "kommo.com", claims["base_domain"])
	assert.Equal(t, "api-b.kommo.com", claims["api_domain"])
	assert.EqualValues(t, start().Add(time.Hour).Unix(), claims["exp"])
	assert.EqualValues(t, start().Unix(), claims["iat"])
	assert.EqualValues(t, 2, claims["version"])
	assert.Contains(t, claims["scopes"], "crm")
	assert.NotEmpty(t, claims["jti"])
	assert.Equal(t, "acme.kommo.com", e.acct.Host)
	assert.NotContains(t, tok.String(), tok.AccessToken)
	assert.NotContains(t, e.integ.String(), e.integ.ClientSecret)

	e.clock.Advance(time.Hour)
	assert.Equal(t, http.StatusUnauthorized, e.doToken(tok.AccessToken, http.MethodGet, "/api/v4/account", nil).StatusCode)
}

func TestTransportRoutesAccountHosts(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.AddAccount("other")
	e.acct.AddLead(amocrmtest.Lead{})
	e.acct.AddLead(amocrmtest.Lead{})
	c := e.srv.Client()
	get := func(u string) resp {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+e.tok.AccessToken)
		return send(t, c, req)
	}
	r := get("https://acme.amocrm.ru/api/v4/leads?limit=1")
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	p := decode[page[leadJSON]](t, r)
	require.NotNil(t, p.Links.Next)
	assert.True(t, strings.HasPrefix(p.Links.Next.Href, "https://acme.amocrm.ru/api/v4/leads?"), p.Links.Next.Href)
	assert.Equal(t, http.StatusOK, get(p.Links.Next.Href).StatusCode)
	assert.Equal(t, http.StatusNotFound, get("https://api-b.amocrm.ru/api/v4/account").StatusCode, "only the account's own host serves the API")
	assert.Equal(t, http.StatusUnauthorized, get("https://other.amocrm.ru/api/v4/leads").StatusCode, "a token works only on its account's host")
}

func TestInstallWidget(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got url.Values
	var ua string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got, ua = r.URL.Query(), r.UserAgent()
		w.WriteHeader(http.StatusTeapot) // ignored, as amoCRM ignores it
	}))
	t.Cleanup(hook.Close)
	e := setup(t)
	integ := e.srv.AddIntegration(amocrmtest.Integration{RedirectURI: hook.URL + "/install?app=calc"})
	require.NoError(t, e.srv.InstallWidget(t.Context(), integ.ClientID, "acme"))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "1", got.Get("from_widget"))
	assert.Equal(t, "acme.amocrm.ru", got.Get("referer"))
	assert.Equal(t, "calc", got.Get("app"), "the redirect URI's own query is kept")
	assert.False(t, got.Has("state"))
	assert.Equal(t, "amoService-oAuth-Code-Sender/1.0", ua)
	r := e.doToken("", http.MethodPost, "/oauth2/access_token", map[string]string{
		"client_id": integ.ClientID, "client_secret": integ.ClientSecret, "grant_type": "authorization_code",
		"code": got.Get("code"), "redirect_uri": integ.RedirectURI,
	})
	assert.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)

	err := e.srv.InstallWidget(t.Context(), integ.ClientID, "nope")
	assert.Error(t, err)
	down := e.srv.AddIntegration(amocrmtest.Integration{RedirectURI: "http://127.0.0.1:1/cb"})
	err = e.srv.InstallWidget(t.Context(), down.ClientID, "acme")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "code=")
}

func TestRevokeIntegration(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var mu sync.Mutex
	var got url.Values
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got = r.URL.Query()
	}))
	t.Cleanup(hook.Close)
	integ := e.srv.AddIntegration(amocrmtest.Integration{RedirectURI: redirectURI, RevokeHookURL: hook.URL + "/revoke"})
	tok, err := e.srv.IssueToken(integ.ClientID, "acme")
	require.NoError(t, err)
	require.NoError(t, e.srv.RevokeIntegration(t.Context(), integ.ClientID, "acme"))

	mu.Lock()
	assert.Equal(t, integ.ClientID, got.Get("client_uuid"))
	assert.Equal(t, strconv.FormatInt(e.acct.ID, 10), got.Get("account_id"))
	mac := hmac.New(sha256.New, []byte(integ.ClientSecret))
	mac.Write([]byte(integ.ClientID + "|" + strconv.FormatInt(e.acct.ID, 10)))
	assert.Equal(t, hex.EncodeToString(mac.Sum(nil)), got.Get("signature"))
	mu.Unlock()

	assert.Equal(t, http.StatusUnauthorized, e.doToken(tok.AccessToken, http.MethodGet, "/api/v4/account", nil).StatusCode)
	r := e.doToken("", http.MethodPost, "/oauth2/access_token", map[string]string{
		"client_id": integ.ClientID, "client_secret": integ.ClientSecret, "grant_type": "refresh_token",
		"refresh_token": tok.RefreshToken, "redirect_uri": redirectURI,
	})
	assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v4/account", nil).StatusCode, "other integrations keep working")
}

func TestDisposableToken(t *testing.T) {
	t.Parallel()
	e := setup(t)
	manager := e.acct.AddUser(amocrmtest.User{Name: "Ирина"})
	raw, err := e.srv.DisposableToken(e.integ.ClientID, "acme", manager.ID, "")
	require.NoError(t, err)
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return []byte(e.integ.ClientSecret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(e.clock.Now))
	require.NoError(t, err, "signed HS256 with the client secret")
	assert.Equal(t, "https://acme.amocrm.ru", claims["iss"])
	assert.Equal(t, "https://app.example", claims["aud"], "aud defaults to the redirect URI's scheme and host")
	assert.EqualValues(t, e.acct.ID, claims["account_id"])
	assert.EqualValues(t, manager.ID, claims["user_id"])
	assert.Equal(t, "acme", claims["subdomain"])
	assert.Equal(t, e.integ.ClientID, claims["client_uuid"])
	assert.EqualValues(t, 1800, claims["exp"].(float64)-claims["iat"].(float64))
	assert.Equal(t, claims["iat"], claims["nbf"])
	assert.NotEmpty(t, claims["jti"])

	_, err = e.srv.DisposableToken(e.integ.ClientID, "acme", 1, "")
	assert.Error(t, err, "unknown user")

	r := e.doToken("", http.MethodGet, "/ajax/v2/integrations/"+e.integ.ClientID+"/disposable_token?account=acme&aud="+url.QueryEscape("https://calc.example"), nil)
	require.Equal(t, http.StatusOK, r.StatusCode, "%s", r.body)
	assert.NotEmpty(t, r.Header.Get("Access-Control-Allow-Origin"))
	tok := decode[struct {
		Token string `json:"token"`
	}](t, r).Token
	claims = jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte(e.integ.ClientSecret), nil },
		jwt.WithTimeFunc(e.clock.Now))
	require.NoError(t, err)
	assert.Equal(t, "https://calc.example", claims["aud"])
	assert.EqualValues(t, e.acct.AdminID, claims["user_id"])
	assert.Equal(t, http.StatusNotFound, e.doToken("", http.MethodGet, "/ajax/v2/integrations/"+e.integ.ClientID+"/disposable_token?account=nope", nil).StatusCode)
}

func TestCurrentSubdomain(t *testing.T) {
	t.Parallel()
	e := setup(t)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+"/oauth2/account/current/subdomain", nil)
	require.NoError(t, err)
	req.Header.Set("X-Refresh-Token", e.tok.RefreshToken)
	r := send(t, http.DefaultClient, req)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.JSONEq(t, fmt.Sprintf(`{"id":%d,"subdomain":"acme","domain":"acme.amocrm.ru","top_level_domain":"ru"}`, e.acct.ID), string(r.body))
	req.Header.Set("X-Refresh-Token", "nope")
	assert.Equal(t, http.StatusUnauthorized, send(t, http.DefaultClient, req).StatusCode)
}
