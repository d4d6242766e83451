package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/tokenstore"
)

// tokenServer is a strict amoCRM token endpoint: codes and refresh tokens are single use.
type tokenServer struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	codes    map[string]bool // unused codes
	refresh  map[string]bool // live refresh tokens
	bodies   []map[string]string
	ttl      time.Duration
	failNext int // answer the next n grants with 502
	// accountID and subdomain are the account of the tokens it mints (31415 "acme" unless set),
	// which GET /api/v4/account with such a token answers.
	accountID int64
	subdomain string
	// revoked makes it refuse every token and refresh, as amoCRM does once the integration is
	// disconnected.
	revoked   atomic.Bool
	grants    atomic.Int32
	refreshes atomic.Int32
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{t: t, codes: map[string]bool{}, refresh: map[string]bool{}, ttl: 24 * time.Hour}
	ts.srv = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.srv.Close)
	return ts
}

func fakeJWT(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	p, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(p) + ".c2ln"
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/v4/account" {
		ts.account(w, r)
		return
	}
	ts.grants.Add(1)
	assert.Equal(ts.t, "/oauth2/access_token", r.URL.Path)
	var body map[string]string
	require.NoError(ts.t, json.NewDecoder(r.Body).Decode(&body))
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.bodies = append(ts.bodies, body)
	if ts.failNext > 0 {
		ts.failNext--
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	fail := func(status int, hint string) {
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"hint":%q,"title":"Некорректный запрос","status":%d}`, hint, status)
	}
	if body["client_id"] != "client-1" || body["client_secret"] != "secret-1" {
		fail(401, "client authentication failed")
		return
	}
	if body["redirect_uri"] != "https://calc.example.com/oauth/callback" {
		fail(400, "redirect_uri mismatch")
		return
	}
	switch body["grant_type"] {
	case "authorization_code":
		if !ts.codes[body["code"]] {
			fail(400, "Authorization code has been revoked")
			return
		}
		delete(ts.codes, body["code"])
	case "refresh_token":
		if !ts.refresh[body["refresh_token"]] || ts.revoked.Load() {
			fail(401, "Token has been revoked")
			return
		}
		delete(ts.refresh, body["refresh_token"])
		ts.refreshes.Add(1)
	default:
		fail(400, "unsupported grant")
		return
	}
	n := ts.grants.Load()
	acct, sub := ts.accountID, ts.subdomain
	if acct == 0 {
		acct, sub = 31415, "acme"
	}
	rt := fmt.Sprintf("refresh-%d", n)
	ts.refresh[rt] = true
	json.NewEncoder(w).Encode(map[string]any{
		"token_type": "Bearer", "expires_in": int(ts.ttl / time.Second),
		"access_token":  fakeJWT(map[string]any{"account_id": acct, "exp": time.Now().Add(ts.ttl).Unix(), "n": n, "base_domain": "amocrm.ru", "test_subdomain": sub}),
		"refresh_token": rt,
	})
}

// account serves GET /api/v4/account for a token it minted: the account in the token.
func (ts *tokenServer) account(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || ts.revoked.Load() {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var claims struct {
		AccountID int64  `json:"account_id"`
		Subdomain string `json:"test_subdomain"`
	}
	p, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if json.Unmarshal(p, &claims) != nil || claims.AccountID == 0 {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/hal+json")
	json.NewEncoder(w).Encode(map[string]any{"id": claims.AccountID, "subdomain": claims.Subdomain, "name": "Test"})
}

func (ts *tokenServer) config() Config {
	return Config{ClientID: "client-1", ClientSecret: "secret-1", RedirectURL: "https://calc.example.com/oauth/callback", BaseURL: ts.srv.URL}
}

func (ts *tokenServer) addCode(code string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.codes[code] = true
}

func TestConfigValidateAndAuthCodeURL(t *testing.T) {
	t.Parallel()
	assert.Error(t, Config{}.Validate())
	assert.Error(t, Config{ClientID: "a", ClientSecret: "b", RedirectURL: "/relative"}.Validate())
	c := Config{ClientID: "client-1", ClientSecret: "secret-1", RedirectURL: "https://calc.example.com/oauth/callback"}
	require.NoError(t, c.Validate())
	assert.Equal(t, "https://www.amocrm.ru/oauth?client_id=client-1&mode=post_message&state=s1", c.AuthCodeURL("s1", ModePostMessage))
	c.AuthURL = AuthURLFor("acme.kommo.com")
	assert.Equal(t, "https://www.kommo.com/oauth?client_id=client-1&mode=popup&state=s2", c.AuthCodeURL("s2", ModePopup))
	assert.Equal(t, "https://calc.example.com", c.RedirectOrigin())
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%+v", c)} {
		assert.NotContains(t, s, "secret-1")
	}
}

func TestExchangeSendsJSONWithRedirectURI(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t)
	ts.addCode("code-1")
	tok, err := ts.config().Exchange(t.Context(), "acme.amocrm.ru", "code-1")
	require.NoError(t, err)
	assert.Equal(t, "refresh-1", tok.RefreshToken)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), tok.Expiry, 5*time.Second)
	assert.Equal(t, "https://calc.example.com/oauth/callback", ts.bodies[0]["redirect_uri"])
	assert.Equal(t, "authorization_code", ts.bodies[0]["grant_type"])

	_, err = ts.config().Exchange(t.Context(), "acme.amocrm.ru", "code-1")
	var te *TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 400, te.StatusCode)
	assert.NotContains(t, err.Error(), "secret-1")

	_, err = ts.config().Exchange(t.Context(), "evil.example.com", "code-2")
	assert.Error(t, err)
	assert.Equal(t, int32(2), ts.grants.Load(), "an invalid account host never gets a request")
}

func TestStatesAreSignedExpiringAndSingleUse(t *testing.T) {
	t.Parallel()
	// In the bubble the clock starts on a whole second and moves only with time.Sleep.
	synctest.Test(t, func(t *testing.T) {
		s, err := NewStates([]byte(strings.Repeat("k", 32)), time.Minute)
		require.NoError(t, err)
		_, err = NewStates([]byte("short"), 0)
		assert.Error(t, err)

		st, err := s.New(StateData{Account: "acme.amocrm.ru", Mode: ModePostMessage})
		require.NoError(t, err)
		d, err := s.Verify(st)
		require.NoError(t, err)
		assert.Equal(t, StateData{Account: "acme.amocrm.ru", Mode: ModePostMessage}, d)
		_, err = s.Verify(st)
		assert.ErrorIs(t, err, ErrInvalidState, "replay")

		st2, _ := s.New(StateData{})
		time.Sleep(time.Minute)
		_, err = s.Verify(st2)
		assert.ErrorIs(t, err, ErrInvalidState, "expired")

		other, _ := NewStates([]byte(strings.Repeat("o", 32)), time.Minute)
		st3, _ := other.New(StateData{})
		_, err = s.Verify(st3)
		assert.ErrorIs(t, err, ErrInvalidState, "another key")
		body, sig, _ := strings.Cut(st3, ".")
		for _, forged := range []string{"", "x", body, body + ".", "." + sig, strings.Repeat("a", 2000)} {
			_, err = s.Verify(forged)
			assert.ErrorIs(t, err, ErrInvalidState, forged)
		}
	})
}

func TestParseClaimsAndLongLivedTokens(t *testing.T) {
	t.Parallel()
	exp := time.Unix(1_800_000_000, 0)
	tok := fakeJWT(map[string]any{"account_id": 31415, "sub": "987", "aud": "client-1", "base_domain": "kommo.com", "api_domain": "api-c.kommo.com", "exp": exp.Unix(), "iat": 1_700_000_000})
	c, err := ParseClaims(tok)
	require.NoError(t, err)
	assert.Equal(t, Claims{AccountID: 31415, UserID: "987", ClientID: "client-1", BaseDomain: "kommo.com", APIDomain: "api-c.kommo.com", IssuedAt: time.Unix(1_700_000_000, 0), Expiry: exp}, *c)
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a." + base64.RawURLEncoding.EncodeToString([]byte("[1]")) + ".c"} {
		_, err := ParseClaims(bad)
		assert.Error(t, err, bad)
	}

	synctest.Test(t, func(t *testing.T) {
		time.Sleep(time.Until(exp.Add(-time.Hour)))
		src, err := LongLivedTokenSource(tok)
		require.NoError(t, err)
		got, err := src.Token()
		require.NoError(t, err)
		assert.Equal(t, tok, got.AccessToken)
		time.Sleep(time.Hour)
		require.True(t, time.Now().Equal(exp))
		_, err = src.Token()
		assert.ErrorIs(t, err, ErrTokenExpired)
	})
}

// storeWith returns a memory store holding a connection for acme.amocrm.ru.
func storeWith(t *testing.T, access, refresh string, expiry time.Time) *tokenstore.Memory {
	m := tokenstore.NewMemory()
	require.NoError(t, m.Save(t.Context(), &tokenstore.Connection{
		Account: "acme.amocrm.ru", ClientID: "client-1", ClientSecret: "secret-1",
		AccessToken: access, RefreshToken: refresh, Expiry: expiry,
	}))
	return m
}

func TestTokenSourceSharesOneRefreshBetweenGoroutines(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t)
	ts.refresh["refresh-0"] = true
	store := storeWith(t, "old-access", "refresh-0", time.Now().Add(time.Minute)) // inside the 5 minute skew
	src, err := ts.config().TokenSource(t.Context(), store, "acme.amocrm.ru")
	require.NoError(t, err)
	var wg sync.WaitGroup
	tokens := make([]string, 64)
	for i := range 64 {
		wg.Go(func() {
			tok, err := src.Token()
			assert.NoError(t, err)
			if tok != nil {
				tokens[i] = tok.AccessToken
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), ts.refreshes.Load())
	for _, tok := range tokens {
		assert.Equal(t, tokens[0], tok)
	}
	conn, err := store.Load(t.Context(), "acme.amocrm.ru")
	require.NoError(t, err)
	assert.Equal(t, tokens[0], conn.AccessToken, "the handed-out token is the saved one")
	assert.NotEqual(t, "refresh-0", conn.RefreshToken)
	assert.Equal(t, "https://calc.example.com/oauth/callback", ts.bodies[0]["redirect_uri"])
	assert.Equal(t, int64(31415), mustClaims(t, conn.AccessToken).AccountID)
}

func mustClaims(t *testing.T, tok string) *Claims {
	c, err := ParseClaims(tok)
	require.NoError(t, err)
	return c
}

func TestTokenSourceReadsWhatAnotherProcessSaved(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t)
	store := storeWith(t, "old-access", "refresh-0", time.Now().Add(-time.Minute))
	src, err := ts.config().TokenSource(t.Context(), store, "acme.amocrm.ru")
	require.NoError(t, err)
	// Another replica refreshed: the store already holds a fresh pair.
	require.NoError(t, store.Save(t.Context(), &tokenstore.Connection{Account: "acme.amocrm.ru", ClientID: "client-1", ClientSecret: "secret-1",
		AccessToken: "new-access", RefreshToken: "refresh-9", Expiry: time.Now().Add(time.Hour)}))
	tok, err := src.Token()
	require.NoError(t, err)
	assert.Equal(t, "new-access", tok.AccessToken)
	assert.Zero(t, ts.grants.Load())
}

func TestTokenSourceMarksARefusedRefreshToken(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t)
	store := storeWith(t, "old-access", "refresh-dead", time.Now().Add(-time.Minute))
	src, err := ts.config().TokenSource(t.Context(), store, "acme.amocrm.ru")
	require.NoError(t, err)
	_, err = src.Token()
	require.ErrorIs(t, err, ErrReauthorizationRequired)
	assert.Contains(t, err.Error(), "Token has been revoked")
	conn, err := store.Load(t.Context(), "acme.amocrm.ru")
	require.NoError(t, err)
	assert.True(t, conn.ReauthRequired)
	assert.Equal(t, "refresh-dead", conn.RefreshToken, "the connection is kept")
	_, err = src.Token()
	assert.ErrorIs(t, err, ErrReauthorizationRequired)
	assert.Equal(t, int32(1), ts.grants.Load(), "a marked connection is not refreshed again")
}

func TestTokenSourceRetriesNetworkFailures(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t)
	ts.refresh["refresh-0"] = true
	ts.failNext = 2
	store := storeWith(t, "old-access", "refresh-0", time.Now().Add(-time.Minute))
	src, err := ts.config().TokenSource(t.Context(), store, "acme.amocrm.ru")
	require.NoError(t, err)
	src.wait = func(context.Context, time.Duration) error { return nil }
	tok, err := src.Token()
	require.NoError(t, err)
	assert.NotEqual(t, "old-access", tok.AccessToken)
	assert.Equal(t, int32(3), ts.grants.Load())

	ts.failNext = 5
	store2 := storeWith(t, "old-access", "refresh-1", time.Now().Add(-time.Minute))
	src2, _ := ts.config().TokenSource(t.Context(), store2, "acme.amocrm.ru")
	src2.wait = src.wait
	_, err = src2.Token()
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrReauthorizationRequired)
	conn, _ := store2.Load(t.Context(), "acme.amocrm.ru")
	assert.Equal(t, "refresh-1", conn.RefreshToken, "the stored token is untouched")
	assert.False(t, conn.ReauthRequired)
}

// flakyStore fails Save while failing is set.
type flakyStore struct {
	*tokenstore.Memory
	failing atomic.Bool
}

func (f *flakyStore) Save(ctx context.Context, c *tokenstore.Connection) error {
	if f.failing.Load() {
		return errors.New("database is down")
	}
	return f.Memory.Save(ctx, c)
}

func TestTokenSourceNeverUsesAnUnsavedToken(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t)
	ts.refresh["refresh-0"] = true
	store := &flakyStore{Memory: storeWith(t, "old-access", "refresh-0", time.Now().Add(-time.Minute))}
	src, err := ts.config().TokenSource(t.Context(), store, "acme.amocrm.ru")
	require.NoError(t, err)
	src.wait = func(context.Context, time.Duration) error { return nil }
	store.failing.Store(true)
	tok, err := src.Token()
	require.Error(t, err)
	assert.Nil(t, tok)
	assert.Contains(t, err.Error(), "database is down")
	_, err = src.Token()
	require.Error(t, err, "still unsaved: still not handed out")
	assert.Equal(t, int32(1), ts.refreshes.Load(), "the new pair is kept, not refreshed again")

	store.failing.Store(false)
	tok, err = src.Token()
	require.NoError(t, err)
	conn, _ := store.Load(t.Context(), "acme.amocrm.ru")
	assert.Equal(t, conn.AccessToken, tok.AccessToken)
	assert.Equal(t, "refresh-1", conn.RefreshToken)
	assert.Equal(t, int32(1), ts.refreshes.Load())
}

func TestRefreshAfterA401(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t)
	ts.refresh["refresh-0"] = true
	store := storeWith(t, "revoked-access", "refresh-0", time.Now().Add(time.Hour))
	src, err := ts.config().TokenSource(t.Context(), store, "acme.amocrm.ru")
	require.NoError(t, err)
	tok, err := src.Token()
	require.NoError(t, err)
	assert.Equal(t, "revoked-access", tok.AccessToken)
	fresh, err := src.Refresh(t.Context(), tok)
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, fresh.AccessToken)
	again, err := src.Refresh(t.Context(), tok)
	require.NoError(t, err)
	assert.Equal(t, fresh.AccessToken, again.AccessToken, "a second 401 on the old token does not refresh twice")
	assert.Equal(t, int32(1), ts.refreshes.Load())
}

func signature(secret, clientID, accountID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(clientID + "|" + accountID))
	return hex.EncodeToString(m.Sum(nil))
}

func TestRevokeHandlerChecksTheSignature(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t)
	ts.refresh["refresh-0"] = true
	live := fakeJWT(map[string]any{"account_id": 31415, "exp": time.Now().Add(time.Hour).Unix(), "test_subdomain": "acme"})
	store := storeWith(t, live, "refresh-0", time.Now().Add(time.Hour))
	conn, _ := store.Load(t.Context(), "acme.amocrm.ru")
	conn.AccountID = 31415
	require.NoError(t, store.Save(t.Context(), conn))
	// Another tenant, connected with its own integration, and its valid signature.
	require.NoError(t, store.Save(t.Context(), &tokenstore.Connection{Account: "other.amocrm.ru", AccountID: 27182,
		ClientID: "client-2", ClientSecret: "secret-2", AccessToken: live, RefreshToken: "refresh-x", Expiry: time.Now().Add(time.Hour)}))
	var revoked []string
	h := &RevokeHandler{Config: ts.config(), Store: store, OnRevoke: func(_ context.Context, a string) { revoked = append(revoked, a) }}
	call := func(q string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/oauth/revoke?"+q, nil))
		return rec.Code, rec.Body.String()
	}
	valid := "client_uuid=client-1&account_id=31415&signature=" + signature("secret-1", "client-1", "31415")
	refusedCode, refusedBody := call("client_uuid=client-1&account_id=999&signature=" + signature("secret-1", "client-1", "999"))
	assert.Equal(t, http.StatusForbidden, refusedCode, "an unknown account")
	for name, q := range map[string]string{
		"wrong secret":    "client_uuid=client-1&account_id=31415&signature=" + signature("wrong-secret", "client-1", "31415"),
		"signed other id": "client_uuid=client-1&account_id=31415&signature=" + signature("secret-1", "client-1", "31416"),
		"not hex":         "client_uuid=client-1&account_id=31415&signature=zz",
		"other client":    "client_uuid=client-2&account_id=31415&signature=" + signature("secret-1", "client-2", "31415"),
		"other tenant's signature for this account": "client_uuid=client-2&account_id=31415&signature=" + signature("secret-2", "client-2", "31415"),
		// The hook's signature never changes for an account: an old one, replayed while the
		// tokens still work, must not delete the connection.
		"replayed valid signature": valid,
	} {
		code, body := call(q)
		assert.Equal(t, refusedCode, code, name)
		assert.Equal(t, refusedBody, body, "%s: the same answer as for an unknown account", name)
		_, err := store.Load(t.Context(), "acme.amocrm.ru")
		require.NoError(t, err, "nothing is deleted by %s", name)
	}
	code, _ := call("client_uuid=client-1&account_id=31415")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Empty(t, revoked)

	// amoCRM disconnects the integration: now its tokens are refused, and the hook deletes.
	ts.revoked.Store(true)
	code, _ = call(valid)
	assert.Equal(t, http.StatusOK, code)
	_, err := store.Load(t.Context(), "acme.amocrm.ru")
	assert.ErrorIs(t, err, tokenstore.ErrNotFound)
	assert.Equal(t, []string{"acme.amocrm.ru"}, revoked)
	_, err = store.Load(t.Context(), "other.amocrm.ru")
	assert.NoError(t, err, "the other tenant is untouched")
}

func TestHeldTokensYieldToANewerPairSavedElsewhere(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t)
	ts.refresh["refresh-0"] = true
	store := &flakyStore{Memory: storeWith(t, "old-access", "refresh-0", time.Now().Add(-time.Minute))}
	src, err := ts.config().TokenSource(t.Context(), store, "acme.amocrm.ru")
	require.NoError(t, err)
	src.wait = func(context.Context, time.Duration) error { return nil }
	store.failing.Store(true)
	_, err = src.Token()
	require.Error(t, err)

	// Meanwhile another process, whose store worked, saved a newer pair.
	require.NoError(t, store.Memory.Save(t.Context(), &tokenstore.Connection{Account: "acme.amocrm.ru", ClientID: "client-1", ClientSecret: "secret-1",
		AccessToken: "other-access", RefreshToken: "refresh-other", Expiry: time.Now().Add(time.Hour)}))
	store.failing.Store(false)
	tok, err := src.Token()
	require.NoError(t, err)
	assert.Equal(t, "other-access", tok.AccessToken, "the held pair does not overwrite a newer one")
	conn, _ := store.Load(t.Context(), "acme.amocrm.ru")
	assert.Equal(t, "refresh-other", conn.RefreshToken)
}

func TestARefusedRefreshDoesNotMarkAPairSavedMeanwhile(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t)
	mem := storeWith(t, "old-access", "refresh-dead", time.Now().Add(-time.Minute))
	// A store without a lock: the other process's save lands between our load and our refresh.
	store := struct{ tokenstore.Store }{mem}
	src, err := ts.config().TokenSource(t.Context(), store, "acme.amocrm.ru")
	require.NoError(t, err)
	// While the refresh request is in flight, another process saves a good pair.
	src.cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		require.NoError(t, mem.Save(context.Background(), &tokenstore.Connection{Account: "acme.amocrm.ru", ClientID: "client-1", ClientSecret: "secret-1",
			AccessToken: "good-access", RefreshToken: "refresh-good", Expiry: time.Now().Add(time.Hour)}))
		return http.DefaultTransport.RoundTrip(r)
	})}
	_, err = src.Token()
	require.ErrorIs(t, err, ErrReauthorizationRequired)
	conn, err := mem.Load(t.Context(), "acme.amocrm.ru")
	require.NoError(t, err)
	assert.False(t, conn.ReauthRequired, "the good pair saved meanwhile is not marked")
	assert.Equal(t, "refresh-good", conn.RefreshToken)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTokenSourceReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Config{}.TokenSource(t.Context(), nil, "not a domain")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nil store")
	assert.Contains(t, err.Error(), "not a domain")

	s, err := Config{}.TokenSource(t.Context(), tokenstore.NewMemory(), "acme.amocrm.ru",
		WithExpirySkew(time.Minute), WithRefreshAttempts(0))
	require.NoError(t, err)
	assert.Equal(t, time.Minute, s.skew)
	assert.Equal(t, 1, s.attempts, "at least one attempt")
}
