package amocrmtest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/amokit/amokit/amocrm/amocrmtest/internal/backend"
)

// OAuth (docs/amocrm-reference.md#oauth) and the widget's disposable token
// (docs/widget-backend.md#disposable-tokens).
func init() {
	registerRoutes(func(s *Server, m *mux) {
		m.handle("GET /oauth", s.consentPage)
		m.handle("GET /oauth/{$}", s.consentPage)
		m.handle("POST /oauth", s.consentSubmit)
		m.handle("POST /oauth/{$}", s.consentSubmit)
		m.handle("POST /oauth2/access_token", s.tokenEndpoint)
		m.handle("GET /oauth2/account/current/subdomain", s.currentSubdomain)
		m.handle("GET /ajax/v2/integrations/{client_uuid}/disposable_token", s.disposableTokenHTTP)
		m.handle("OPTIONS /ajax/v2/integrations/{client_uuid}/disposable_token", s.disposableTokenPreflight)
	})
}

// Lifetimes of the code and the refresh token (docs/amocrm-reference.md#redirect,
// docs/amocrm-reference.md#token-endpoint) and of a disposable token
// (docs/widget-backend.md#token-format).
const (
	codeTTL       = 20 * time.Minute
	refreshTTL    = 90 * 24 * time.Hour
	disposableTTL = 30 * time.Minute
	hookUserAgent = "amoService-oAuth-Code-Sender/1.0"
)

// Integration is an OAuth integration registered with the server.
type Integration struct {
	// ClientID is the integration id (a UUID); generated when empty.
	ClientID string
	// ClientSecret is generated when empty. It signs disposable widget
	// tokens and revoke-hook signatures.
	ClientSecret string
	// RedirectURI is where the consent page and InstallWidget send codes. The
	// token endpoint compares it byte for byte.
	RedirectURI string
	// RevokeHookURL, if set, is called by RevokeIntegration.
	RevokeHookURL string
	// Name is shown on the consent page.
	Name string
	// Owner, if set, is the subdomain of the only account the integration
	// can be installed in (a private integration).
	Owner string
}

// String prints the integration without its secret.
func (i Integration) String() string {
	return fmt.Sprintf("Integration{ClientID: %s, ClientSecret: REDACTED, RedirectURI: %s, RevokeHookURL: %s, Name: %q, Owner: %q}",
		i.ClientID, i.RedirectURI, i.RevokeHookURL, i.Name, i.Owner)
}

// LogValue logs the integration without its secret.
func (i Integration) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", i.ClientID), slog.String("client_secret", "REDACTED"),
		slog.String("redirect_uri", i.RedirectURI), slog.String("name", i.Name))
}

// Token is a token pair as the token endpoint issues it.
type Token struct {
	AccessToken  string
	RefreshToken string
	// ExpiresAt is when the access token stops working.
	ExpiresAt time.Time
}

// String prints the token without its secrets.
func (t Token) String() string {
	return "Token{AccessToken: REDACTED, RefreshToken: REDACTED, ExpiresAt: " + t.ExpiresAt.Format(time.RFC3339) + "}"
}

// LogValue logs the token without its secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_token", "REDACTED"), slog.String("refresh_token", "REDACTED"),
		slog.Time("expires_at", t.ExpiresAt))
}

// The OAuth records, as the store keeps them.
type (
	integration = backend.Integration
	authCode    = backend.AuthCode
	grant       = backend.Grant
	tokenPair   = backend.TokenPair
)

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// AddIntegration registers an integration and returns it with ClientID and
// ClientSecret filled in. It panics if the client id is taken or Owner is
// not an account.
func (s *Server) AddIntegration(in Integration) Integration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ClientID == "" {
		in.ClientID = fakeUUID('i', s.st.Next("integration"))
	}
	if in.ClientSecret == "" {
		in.ClientSecret = randHex(32)
	}
	if in.Name == "" {
		in.Name = "Интеграция"
	}
	if s.st.Integration(in.ClientID) != nil {
		panic("amocrmtest: AddIntegration: client id " + in.ClientID + " is taken")
	}
	if in.Owner != "" && s.st.AccountBySubdomain(in.Owner) == nil {
		panic("amocrmtest: AddIntegration: no account " + in.Owner)
	}
	s.st.AddIntegration(new(integration(in)))
	return in
}

// lookup finds an integration and an account for the helper methods.
func (s *Server) lookup(clientID, subdomain string) (*integration, *account, error) {
	in := s.st.Integration(clientID)
	if in == nil {
		return nil, nil, fmt.Errorf("amocrmtest: no integration %s", clientID)
	}
	a := s.st.AccountBySubdomain(subdomain)
	if a == nil {
		return nil, nil, fmt.Errorf("amocrmtest: no account %q", subdomain)
	}
	if in.Owner != "" && in.Owner != subdomain {
		return nil, nil, fmt.Errorf("amocrmtest: integration %s is private to %q", clientID, in.Owner)
	}
	return in, a, nil
}

// newCode issues an authorization code. The caller holds s.mu.
func (s *Server) newCode(in *integration, a *account, userID int64) string {
	code := "def50200" + randHex(64)
	s.st.AddCode(code, &authCode{Integration: in, Account: a, UserID: userID, Expires: s.now().Add(codeTTL)})
	return code
}

// AuthorizationCode issues a code for the integration in the account, as the
// "Keys" tab of a private integration shows (docs/widget-backend.md#keys-tab). It is
// single use and expires 20 minutes after issue.
func (s *Server) AuthorizationCode(clientID, subdomain string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, a, err := s.lookup(clientID, subdomain)
	if err != nil {
		return "", err
	}
	return s.newCode(in, a, a.AdminID), nil
}

// IssueToken authorizes the integration in the account without the OAuth
// dance and returns the token pair, as a code exchange would. It is not
// counted in Counters.CodeExchanges.
func (s *Server) IssueToken(clientID, subdomain string) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, a, err := s.lookup(clientID, subdomain)
	if err != nil {
		return Token{}, err
	}
	g := &grant{Integration: in, Account: a, UserID: a.AdminID}
	s.st.AddGrant(g)
	g.Cur = s.issuePair(g)
	return Token{AccessToken: g.Cur.Access, RefreshToken: g.Cur.Refresh, ExpiresAt: g.Cur.AccessExp}, nil
}

// issuePair mints a token pair for g. The caller holds s.mu.
func (s *Server) issuePair(g *grant) *tokenPair {
	return s.mintPair(g, s.now().Add(s.cfg.accessTTL), true)
}

// mintPair mints an access token that expires at exp and, with
// withRefresh, a refresh token. The caller holds s.mu.
func (s *Server) mintPair(g *grant, exp time.Time, withRefresh bool) *tokenPair {
	now := s.now()
	p := &tokenPair{AccessExp: exp}
	if withRefresh {
		p.Refresh, p.RefreshExp = "def50200"+randHex(96), now.Add(refreshTTL)
	}
	claims := jwt.MapClaims{
		"aud": g.Integration.ClientID, "jti": randUUID(), "iat": now.Unix(), "nbf": now.Unix(),
		"exp": p.AccessExp.Unix(), "sub": strconv.FormatInt(g.UserID, 10), "grant_type": "",
		"account_id": g.Account.ID, "base_domain": s.cfg.baseDomain, "version": 2,
		"scopes":    []string{"crm", "files", "files_delete", "notifications", "push_notifications"},
		"hash_uuid": randUUID(), "api_domain": "api-b." + s.cfg.baseDomain,
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.jwtKey)
	if err != nil {
		panic("amocrmtest: signing an access token: " + err.Error())
	}
	p.Access = tok
	s.st.AddPair(g, p)
	return p
}

// hostAccount returns the account a Host header names, if it is the host of
// a known account ("acme.amocrm.ru"); other hosts (127.0.0.1, www, api-b)
// name none.
func (s *Server) hostAccount(host string) *account {
	h := strings.ToLower(host)
	if hp, _, err := net.SplitHostPort(h); err == nil {
		h = hp
	}
	sub, ok := strings.CutSuffix(h, "."+s.cfg.baseDomain)
	if !ok || strings.Contains(sub, ".") {
		return nil
	}
	return s.st.AccountBySubdomain(sub)
}

// authenticate checks an access token. In grace mode the first use of a
// new access token ends the grace of the pair it replaced. The caller holds
// s.mu.
func (s *Server) authenticate(tok, host string, now time.Time) (*account, int64, bool) {
	ref := s.st.ByAccessToken(tok)
	if tok == "" || ref == nil {
		return nil, 0, false
	}
	g, p := ref.Grant, ref.Pair
	if g.Revoked || (p != g.Cur && p != g.Prev && !p.Retired) || !now.Before(p.AccessExp) {
		return nil, 0, false
	}
	if ha := s.hostAccount(host); ha != nil && ha != g.Account {
		return nil, 0, false
	}
	if p == g.Cur && !p.Used {
		p.Used = true
		g.Prev = nil
	}
	return g.Account, g.UserID, true
}

const (
	oauthBadRequest = "Некорректный запрос"
	oauthBadDetail  = "В запросе отсутствует ряд параметров или параметры невалидны"
)

func badGrant(status int, hint string) reply {
	return oauthProblem(status, oauthBadRequest, hint, oauthBadDetail)
}

// tokenParams reads the token request, JSON or form-encoded
// (docs/amocrm-reference.md#token-endpoint).
func tokenParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	if strings.Contains(r.Header.Get("Content-Type"), "json") {
		var m map[string]any
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
		for k, v := range m {
			if v != nil {
				out[k] = fmt.Sprint(v)
			}
		}
		return out, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	for k := range r.PostForm {
		out[k] = r.PostForm.Get(k)
	}
	return out, nil
}

// tokenEndpoint is POST /oauth2/access_token.
func (s *Server) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	refused := s.hostRefusal(r.Host)
	s.mu.Unlock()
	if refused != nil {
		s.writeReply(w, *refused)
		return
	}
	if mt := mediaType(r); mt != "application/json" && mt != "application/x-www-form-urlencoded" && !s.lenient(LenientContentType) {
		s.writeReply(w, badGrant(http.StatusBadRequest, "The request body must be JSON or a form"))
		return
	}
	p, err := tokenParams(r)
	if err != nil {
		s.writeReply(w, badGrant(http.StatusBadRequest, "The request body could not be parsed"))
		return
	}
	s.mu.Lock()
	rep := s.token(p, r.Host)
	s.mu.Unlock()
	s.writeReply(w, rep)
}

func (s *Server) token(p map[string]string, host string) reply {
	in := s.st.Integration(p["client_id"])
	if in == nil || !hmac.Equal([]byte(p["client_secret"]), []byte(in.ClientSecret)) {
		return oauthProblem(http.StatusUnauthorized, "Некорректный клиент", "Client authentication failed", "Клиент не прошёл аутентификацию")
	}
	now := s.now()
	hostAcct := s.hostAccount(host)
	var g *grant
	switch p["grant_type"] {
	case "authorization_code":
		if p["redirect_uri"] != in.RedirectURI {
			return badGrant(http.StatusBadRequest, "Redirect URI does not match the integration's")
		}
		if p["code"] == "" {
			return badGrant(http.StatusBadRequest, "Check the `code` parameter")
		}
		ac := s.st.Code(p["code"])
		switch {
		case ac == nil || ac.Integration != in:
			return badGrant(http.StatusBadRequest, "Cannot decrypt the authorization code")
		case ac.Used:
			return badGrant(http.StatusBadRequest, "Authorization code has been revoked")
		case !now.Before(ac.Expires):
			return badGrant(http.StatusBadRequest, "Authorization code has expired")
		case hostAcct != nil && hostAcct != ac.Account:
			return badGrant(http.StatusBadRequest, "Authorization code was issued for another account")
		}
		ac.Used = true
		g = &grant{Integration: in, Account: ac.Account, UserID: ac.UserID}
		s.st.AddGrant(g)
		g.Cur = s.issuePair(g)
		s.st.counters.CodeExchanges++
	case "refresh_token":
		if s.cfg.refreshRedirect && p["redirect_uri"] == "" {
			return badGrant(http.StatusBadRequest, "Check the `redirect_uri` parameter")
		}
		if p["redirect_uri"] != "" && p["redirect_uri"] != in.RedirectURI {
			return badGrant(http.StatusBadRequest, "Redirect URI does not match the integration's")
		}
		if p["refresh_token"] == "" {
			return badGrant(http.StatusBadRequest, "Check the `refresh_token` parameter")
		}
		ref := s.st.ByRefreshToken(p["refresh_token"])
		if ref == nil || ref.Grant.Integration != in {
			return badGrant(http.StatusUnauthorized, "Cannot decrypt the refresh token")
		}
		g = ref.Grant
		switch {
		case g.Revoked || (ref.Pair != g.Cur && ref.Pair != g.Prev):
			return badGrant(http.StatusUnauthorized, "Token has been revoked")
		case !now.Before(ref.Pair.RefreshExp):
			return badGrant(http.StatusUnauthorized, "Token has expired")
		case hostAcct != nil && hostAcct != g.Account:
			return badGrant(http.StatusUnauthorized, "Token was issued for another account")
		}
		np := s.issuePair(g)
		if ref.Pair == g.Cur {
			g.Prev = nil
			switch {
			case s.cfg.refreshReuse == RefreshKommoGrace:
				g.Prev = g.Cur
			case !s.cfg.revokeOnRefresh:
				g.Cur.Retired = true
			}
		}
		// A retry with the previous token (grace mode) replaces the pair
		// nobody has used yet and keeps the grace.
		g.Cur = np
		s.st.counters.Refreshes++
	default:
		return oauthProblem(http.StatusBadRequest, "Неподдерживаемый тип авторизации",
			"Check that all required parameters have been provided", "The authorization grant type is not supported by the authorization server.")
	}
	return reply{status: http.StatusOK, ctype: ctypeJSON, body: obj{
		"token_type": "Bearer", "expires_in": int64(s.cfg.accessTTL / time.Second), "server_time": now.Unix(),
		"access_token": g.Cur.Access, "refresh_token": g.Cur.Refresh,
	}}
}

// currentSubdomain is GET /oauth2/account/current/subdomain with
// X-Refresh-Token (docs/amocrm-reference.md#subdomain-lookup).
func (s *Server) currentSubdomain(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ref := s.st.ByRefreshToken(r.Header.Get("X-Refresh-Token"))
	var rep reply
	if ref == nil || ref.Grant.Revoked || (ref.Pair != ref.Grant.Cur && ref.Pair != ref.Grant.Prev) {
		rep = problem(http.StatusUnauthorized, "Invalid user name or password")
	} else {
		a := ref.Grant.Account
		parts := strings.Split(s.cfg.baseDomain, ".")
		rep = reply{status: http.StatusOK, ctype: ctypeJSON, body: obj{
			"id": a.ID, "subdomain": a.Subdomain, "domain": s.host(a), "top_level_domain": parts[len(parts)-1],
		}}
	}
	s.mu.Unlock()
	s.writeReply(w, rep)
}

// consentTemplate is the authorize page (docs/amocrm-reference.md#consent-page): the
// integration's name, an account picker when there are several, Allow and Deny.
const consentTemplate = `<!doctype html>
<html lang="ru">
<head><meta charset="utf-8"><title>Предоставить доступ — amoCRM</title></head>
<body>
<main>
<h1>Интеграция «{{.Name}}» запрашивает доступ к вашему аккаунту</h1>
{{if .Error}}<p class="error">{{.Error}}</p>{{else}}
<form method="post">
<input type="hidden" name="client_id" value="{{.ClientID}}">
{{if .HasState}}<input type="hidden" name="state" value="{{.State}}">{{end}}
<input type="hidden" name="mode" value="{{.Mode}}">
{{if eq (len .Accounts) 1}}{{with index .Accounts 0}}<p>Аккаунт: <b>{{.Name}}</b> ({{.Host}})</p>
<input type="hidden" name="account" value="{{.Subdomain}}">{{end}}
{{else}}<label>Аккаунт:
<select name="account">{{range .Accounts}}<option value="{{.Subdomain}}">{{.Name}} ({{.Host}})</option>{{end}}</select>
</label>{{end}}
<p>Интеграция получит доступ к сделкам, контактам, компаниям и спискам.</p>
<button type="submit" name="decision" value="allow">Разрешить</button>
<button type="submit" name="decision" value="deny">Отказать</button>
</form>{{end}}
</main>
</body>
</html>
`

type consentAccount struct{ Subdomain, Name, Host string }

type consentData struct {
	Name, ClientID, State, Mode, Error string
	HasState                           bool
	Accounts                           []consentAccount
}

func (s *Server) consentAccounts(in *integration) []consentAccount {
	var out []consentAccount
	for _, a := range s.st.Accounts() {
		if in.Owner == "" || in.Owner == a.Subdomain {
			out = append(out, consentAccount{a.Subdomain, a.Name, s.host(a)})
		}
	}
	slices.SortFunc(out, func(x, y consentAccount) int { return strings.Compare(x.Subdomain, y.Subdomain) })
	return out
}

// consentPage is GET /oauth?client_id&state&mode.
func (s *Server) consentPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	_, hasState := q["state"]
	d := consentData{ClientID: q.Get("client_id"), State: q.Get("state"), HasState: hasState, Mode: q.Get("mode")}
	status := http.StatusOK
	s.mu.Lock()
	in := s.st.Integration(d.ClientID)
	switch {
	case in == nil:
		d.Name, d.Error, status = "?", "Интеграция не найдена", http.StatusBadRequest
	case in.RedirectURI == "":
		d.Name, d.Error, status = in.Name, "У интеграции не указан Redirect URI", http.StatusBadRequest
	default:
		d.Name, d.Accounts = in.Name, s.consentAccounts(in)
		if len(d.Accounts) == 0 {
			d.Error, status = "Нет аккаунтов, в которые можно установить интеграцию", http.StatusBadRequest
		}
	}
	s.mu.Unlock()
	var b strings.Builder
	if err := s.consent.Execute(&b, d); err != nil {
		writeProblem(w, http.StatusInternalServerError, "consent page: "+err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeHTML(w, status, b.String())
}

// consentSubmit is the form's POST: a 302 to the redirect URI with code, state,
// referer and client_id, or error=access_denied (docs/amocrm-reference.md#redirect).
func (s *Server) consentSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeHTML(w, http.StatusBadRequest, nginxPage(http.StatusBadRequest))
		return
	}
	clientID := r.PostForm.Get("client_id")
	_, hasState := r.PostForm["state"]
	s.mu.Lock()
	in := s.st.Integration(clientID)
	var a *account
	if in != nil {
		a = s.st.AccountBySubdomain(r.PostForm.Get("account"))
		if a != nil && in.Owner != "" && in.Owner != a.Subdomain {
			a = nil
		}
	}
	if in == nil || a == nil || in.RedirectURI == "" {
		s.mu.Unlock()
		writeHTML(w, http.StatusBadRequest, nginxPage(http.StatusBadRequest))
		return
	}
	target, err := url.Parse(in.RedirectURI)
	if err != nil {
		s.mu.Unlock()
		writeHTML(w, http.StatusBadRequest, nginxPage(http.StatusBadRequest))
		return
	}
	q := target.Query()
	if r.PostForm.Get("decision") == "allow" {
		q.Set("code", s.newCode(in, a, a.AdminID))
		q.Set("referer", s.host(a))
	} else {
		q.Set("error", "access_denied")
	}
	q.Set("client_id", in.ClientID)
	if hasState {
		q.Set("state", r.PostForm.Get("state"))
	}
	s.mu.Unlock()
	target.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// callHook sends amoCRM's GET to an integration URL. Errors name the URL
// without its query, which carries the code or the signature.
func (s *Server) callHook(ctx context.Context, what, rawURL string, q url.Values) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("amocrmtest: %s URL: %w", what, err)
	}
	bare := *u
	bare.RawQuery = ""
	merged := u.Query()
	for k, v := range q {
		merged[k] = v
	}
	u.RawQuery = merged.Encode()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("amocrmtest: %s GET %s: %w", what, bare.String(), err)
	}
	req.Header.Set("User-Agent", hookUserAgent)
	resp, err := s.cfg.hookClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("amocrmtest: %s GET %s: %w", what, bare.String(), err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return nil
}

// InstallWidget simulates a user installing the integration's widget in the
// account: amoCRM sends a GET to the redirect URI with a fresh code, referer
// and from_widget=1, and no state (docs/widget-backend.md#install-hook). Like amoCRM it
// ignores the response status; it returns an error only if the request could
// not be made.
func (s *Server) InstallWidget(ctx context.Context, clientID, subdomain string) error {
	s.mu.Lock()
	in, a, err := s.lookup(clientID, subdomain)
	if err == nil && in.RedirectURI == "" {
		err = fmt.Errorf("amocrmtest: integration %s has no redirect URI", clientID)
	}
	var q url.Values
	if err == nil {
		q = url.Values{"code": {s.newCode(in, a, a.AdminID)}, "referer": {s.host(a)}, "from_widget": {"1"}}
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.callHook(ctx, "install hook", in.RedirectURI, q)
}

// RevokeIntegration simulates an admin disabling the integration in the
// account: every token of that authorization stops working at once (401)
// and, if the integration has a RevokeHookURL, amoCRM's GET with
// client_uuid, account_id and signature = hex(HMAC-SHA256(client_secret,
// client_uuid + "|" + account_id)) is sent (docs/widget-backend.md#revoke-hook).
func (s *Server) RevokeIntegration(ctx context.Context, clientID, subdomain string) error {
	s.mu.Lock()
	in, a, err := s.lookup(clientID, subdomain)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	for _, g := range s.st.Grants() {
		if g.Integration == in && g.Account == a {
			g.Revoked = true
		}
	}
	for _, c := range s.st.Codes() {
		if c.Integration == in && c.Account == a {
			c.Used = true
		}
	}
	hook, secret := in.RevokeHookURL, in.ClientSecret
	s.mu.Unlock()
	if hook == "" {
		return nil
	}
	accountID := strconv.FormatInt(a.ID, 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(clientID + "|" + accountID))
	q := url.Values{"client_uuid": {clientID}, "account_id": {accountID}, "signature": {hex.EncodeToString(mac.Sum(nil))}}
	return s.callHook(ctx, "revoke hook", hook, q)
}

// DisposableToken mints the X-Auth-Token a widget's $authorizedAjax sends
// (docs/widget-backend.md#token-format): HS256 signed with the client secret, 30
// minutes, claims iss, aud, jti, iat, nbf, exp, account_id, user_id, subdomain
// and client_uuid. userID 0 means the account's admin; aud "" means the scheme
// and host of the integration's redirect URI.
func (s *Server) DisposableToken(clientID, subdomain string, userID int64, aud string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, a, err := s.lookup(clientID, subdomain)
	if err != nil {
		return "", err
	}
	if userID == 0 {
		userID = a.AdminID
	}
	if u := s.st.User(userID); u == nil || u.AccountID != a.ID {
		return "", fmt.Errorf("amocrmtest: no user %d in account %q", userID, subdomain)
	}
	if aud == "" {
		u, err := url.Parse(in.RedirectURI)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("amocrmtest: integration %s has no usable redirect URI for aud", clientID)
		}
		aud = u.Scheme + "://" + u.Host
	}
	now := s.now()
	claims := jwt.MapClaims{
		"iss": "https://" + s.host(a), "aud": aud, "jti": randUUID(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(disposableTTL).Unix(),
		"account_id": a.ID, "user_id": userID, "subdomain": a.Subdomain, "client_uuid": in.ClientID,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(in.ClientSecret))
}

// disposableTokenHTTP is GET
// /ajax/v2/integrations/{client_uuid}/disposable_token
// ?account=<subdomain>&aud=<url>[&user_id=<id>] → {"token": "…"}: the
// undocumented endpoint behind $authorizedAjax (docs/widget-backend.md#authorizedajax),
// here without a session, for demo pages. It allows any origin.
func (s *Server) disposableTokenHTTP(w http.ResponseWriter, r *http.Request) {
	setCORS(w, r)
	q := r.URL.Query()
	var userID int64
	if v := q.Get("user_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.writeReply(w, problem(http.StatusBadRequest, "user_id must be an integer"))
			return
		}
		userID = n
	}
	tok, err := s.DisposableToken(r.PathValue("client_uuid"), q.Get("account"), userID, q.Get("aud"))
	if err != nil {
		s.writeReply(w, problem(http.StatusNotFound, strings.TrimPrefix(err.Error(), "amocrmtest: ")))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeReply(w, reply{status: http.StatusOK, ctype: ctypeJSON, body: obj{"token": tok}})
}

func (s *Server) disposableTokenPreflight(w http.ResponseWriter, r *http.Request) {
	setCORS(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func setCORS(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = "*"
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	w.Header().Set("Access-Control-Allow-Headers", "X-Requested-With, Content-Type")
	w.Header().Add("Vary", "Origin")
}

func newConsentTemplate() *template.Template {
	return template.Must(template.New("consent").Parse(consentTemplate))
}
