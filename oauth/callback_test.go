package oauth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/tokenstore"
)

type callbackFixture struct {
	ts      *tokenServer
	h       *CallbackHandler
	store   *tokenstore.Memory
	results []Result
}

func newCallbackFixture(t *testing.T) *callbackFixture {
	f := &callbackFixture{ts: newTokenServer(t), store: tokenstore.NewMemory()}
	states, err := NewStates([]byte(strings.Repeat("s", 32)), time.Minute)
	require.NoError(t, err)
	f.h = &CallbackHandler{Config: f.ts.config(), States: states, Store: f.store,
		OnResult: func(_ context.Context, r Result) { f.results = append(f.results, r) }}
	return f
}

func (f *callbackFixture) call(q url.Values) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/oauth/callback?"+q.Encode(), nil))
	return rec
}

func (f *callbackFixture) state(t *testing.T, d StateData) string {
	s, err := f.h.States.New(d)
	require.NoError(t, err)
	return s
}

func TestCallbackConnectsAnAccount(t *testing.T) {
	t.Parallel()
	f := newCallbackFixture(t)
	f.ts.addCode("code-1")
	rec := f.call(url.Values{"code": {"code-1"}, "referer": {"acme.amocrm.ru"}, "client_id": {"client-1"},
		"state": {f.state(t, StateData{Account: "acme.amocrm.ru", Mode: ModePostMessage})}})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	page := rec.Body.String()
	assert.Contains(t, page, "Аккаунт подключён")
	assert.Contains(t, page, `postMessage`)
	assert.Contains(t, page, `"https://calc.example.com"`)

	conn, err := f.store.Load(t.Context(), "acme.amocrm.ru")
	require.NoError(t, err)
	assert.Equal(t, "refresh-1", conn.RefreshToken)
	assert.Equal(t, int64(31415), conn.AccountID)
	assert.NotContains(t, page, conn.AccessToken)
	assert.NotContains(t, page, conn.RefreshToken)
	assert.NotContains(t, page, "secret-1")
	require.Len(t, f.results, 1)
	assert.NoError(t, f.results[0].Err)
	assert.Equal(t, "acme.amocrm.ru", f.results[0].Account)
}

func TestCallbackRedirectsToReturnURLOutsidePostMessage(t *testing.T) {
	t.Parallel()
	f := newCallbackFixture(t)
	f.h.ReturnURL = "https://calc.example.com/admin?tab=crm"
	f.ts.addCode("code-1")
	rec := f.call(url.Values{"code": {"code-1"}, "referer": {"acme.amocrm.ru"}, "state": {f.state(t, StateData{Mode: ModePopup})}})
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, "https://calc.example.com/admin?connected=acme.amocrm.ru&tab=crm", rec.Header().Get("Location"))

	rec = f.call(url.Values{"error": {"access_denied"}, "state": {f.state(t, StateData{Mode: ModePopup})}})
	assert.Equal(t, "https://calc.example.com/admin?error=access_denied&tab=crm", rec.Header().Get("Location"))
}

func TestCallbackRefusals(t *testing.T) {
	t.Parallel()
	f := newCallbackFixture(t)
	f.ts.addCode("code-1")
	used := f.state(t, StateData{})
	f.call(url.Values{"code": {"code-x"}, "referer": {"acme.amocrm.ru"}, "state": {used}})
	f.ts.grants.Store(0)
	// A state made under the handler's key in a synctest bubble, whose clock reads 2000-01-01:
	// genuine, and long expired.
	var expired string
	synctest.Test(t, func(t *testing.T) {
		expiredStates, err := NewStates([]byte(strings.Repeat("s", 32)), time.Minute)
		require.NoError(t, err)
		expired, err = expiredStates.New(StateData{})
		require.NoError(t, err)
	})

	for name, tt := range map[string]struct {
		q    url.Values
		code string
	}{
		"forged referer: other host":   {url.Values{"code": {"code-1"}, "referer": {"evil.example.com"}}, "invalid_referer"},
		"forged referer: suffix trick": {url.Values{"code": {"code-1"}, "referer": {"acme.amocrm.ru.evil.com"}}, "invalid_referer"},
		"forged referer: IP":           {url.Values{"code": {"code-1"}, "referer": {"127.0.0.1"}}, "invalid_referer"},
		"forged referer: userinfo":     {url.Values{"code": {"code-1"}, "referer": {"acme.amocrm.ru@evil.com"}}, "invalid_referer"},
		"forged referer: port":         {url.Values{"code": {"code-1"}, "referer": {"acme.amocrm.ru:8443"}}, "invalid_referer"},
		"forged referer: scheme":       {url.Values{"code": {"code-1"}, "referer": {"https://evil.com/acme.amocrm.ru"}}, "invalid_referer"},
		"missing referer":              {url.Values{"code": {"code-1"}}, "invalid_referer"},
		"no state":                     {url.Values{"code": {"code-1"}, "referer": {"acme.amocrm.ru"}, "state": nil}, "invalid_state"},
		"replayed state":               {url.Values{"code": {"code-1"}, "referer": {"acme.amocrm.ru"}, "state": {used}}, "invalid_state"},
		"expired state":                {url.Values{"code": {"code-1"}, "referer": {"acme.amocrm.ru"}, "state": {expired}}, "invalid_state"},
		"install hook, foreign client": {url.Values{"code": {"code-1"}, "referer": {"acme.amocrm.ru"}, "from_widget": {"1"}, "client_id": {"client-2"}}, "unknown_integration"},
		"install hook, forged referer": {url.Values{"code": {"code-1"}, "referer": {"evil.com"}, "from_widget": {"1"}, "client_id": {"client-1"}}, "invalid_referer"},
		"consent for another account":  {url.Values{"code": {"code-1"}, "referer": {"other.amocrm.ru"}, "state": {"$state:acme.amocrm.ru"}}, "account_mismatch"},
		"denied":                       {url.Values{"error": {"access_denied"}}, "access_denied"},
		"no code":                      {url.Values{"referer": {"acme.amocrm.ru"}}, "no_code"},
	} {
		q := tt.q
		if _, ok := q["state"]; !ok && !q.Has("from_widget") {
			q.Set("state", f.state(t, StateData{}))
		}
		if s := q.Get("state"); strings.HasPrefix(s, "$state:") {
			q.Set("state", f.state(t, StateData{Account: strings.TrimPrefix(s, "$state:")}))
		}
		rec := f.call(q)
		body, _ := io.ReadAll(rec.Body)
		assert.Contains(t, string(body), tt.code, name)
		assert.NotContains(t, string(body), "secret-1", name)
	}
	assert.Zero(t, f.ts.grants.Load(), "no refused callback ever reached the token endpoint")
	_, err := f.store.Load(t.Context(), "acme.amocrm.ru")
	assert.ErrorIs(t, err, tokenstore.ErrNotFound)
}

func TestCallbackInstallHookUsesTheStoredIntegration(t *testing.T) {
	t.Parallel()
	f := newCallbackFixture(t)
	f.h.Config.ClientID, f.h.Config.ClientSecret = "", "" // only the stored connection knows the integration
	require.NoError(t, f.store.Save(t.Context(), &tokenstore.Connection{Account: "acme.amocrm.ru", ClientID: "client-1", ClientSecret: "secret-1"}))
	f.ts.addCode("code-9")
	rec := f.call(url.Values{"code": {"code-9"}, "referer": {"acme.amocrm.ru"}, "from_widget": {"1"}, "client_id": {"client-1"}})
	assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "ok\n", rec.Body.String())
	conn, err := f.store.Load(t.Context(), "acme.amocrm.ru")
	require.NoError(t, err)
	assert.NotEmpty(t, conn.RefreshToken)
	assert.True(t, f.results[0].FromWidget)
}

// TestCallbackInstallHookWithoutClientID: amoCRM's install hook carries code, referer and
// from_widget; client_id may be missing. The account's one integration is used.
func TestCallbackInstallHookWithoutClientID(t *testing.T) {
	t.Parallel()
	for name, q := range map[string]url.Values{
		"without client_id": {"from_widget": {"1"}},
		"with client_id":    {"from_widget": {"1"}, "client_id": {"client-1"}},
	} {
		f := newCallbackFixture(t)
		f.h.Config.ClientID, f.h.Config.ClientSecret = "", ""
		require.NoError(t, f.store.Save(t.Context(), &tokenstore.Connection{Account: "acme.amocrm.ru", ClientID: "client-1", ClientSecret: "secret-1"}))
		f.ts.addCode("code-1")
		q.Set("code", "code-1")
		q.Set("referer", "acme.amocrm.ru")
		rec := f.call(q)
		assert.Equal(t, "ok\n", rec.Body.String(), name)
		conn, err := f.store.Load(t.Context(), "acme.amocrm.ru")
		require.NoError(t, err)
		assert.Equal(t, int64(31415), conn.AccountID, name)
		assert.NotEmpty(t, conn.RefreshToken, name)
	}
}

// TestCallbackKeepsTheConnectionWhenTokensAreAnotherAccounts: a code of another account, sent
// with the victim's referer (install hook or a valid consent), yields tokens that are not the
// victim's. They are dropped and the victim's connection stays as it was.
func TestCallbackKeepsTheConnectionWhenTokensAreAnotherAccounts(t *testing.T) {
	t.Parallel()
	victim := tokenstore.Connection{Account: "acme.amocrm.ru", AccountID: 31415, ClientID: "client-1", ClientSecret: "secret-1",
		AccessToken: "victim-access", RefreshToken: "victim-refresh", Expiry: time.Now().Add(time.Hour)}
	for name, tc := range map[string]struct {
		accountID int64
		subdomain string
		stored    int64 // the victim's stored account id; 0: not known yet
		hook      bool
	}{
		"hook: another account's id and subdomain":   {accountID: 27182, subdomain: "attacker", stored: 31415, hook: true},
		"hook: the victim's id, another subdomain":   {accountID: 31415, subdomain: "attacker", stored: 31415, hook: true},
		"hook: id not known yet, another subdomain":  {accountID: 27182, subdomain: "attacker", hook: true},
		"consent: another account's id":              {accountID: 27182, subdomain: "acme", stored: 31415},
		"consent: id not known yet, other subdomain": {accountID: 27182, subdomain: "attacker"},
	} {
		f := newCallbackFixture(t)
		f.ts.accountID, f.ts.subdomain = tc.accountID, tc.subdomain
		c := victim
		c.AccountID = tc.stored
		require.NoError(t, f.store.Save(t.Context(), &c))
		f.ts.addCode("code-1")
		q := url.Values{"code": {"code-1"}, "referer": {"acme.amocrm.ru"}}
		if tc.hook {
			q.Set("from_widget", "1")
		} else {
			q.Set("state", f.state(t, StateData{Account: "acme.amocrm.ru"}))
		}
		rec := f.call(q)
		assert.Contains(t, rec.Body.String(), "tokens_for_another_account", name)
		assert.NotEqual(t, http.StatusOK, rec.Code, name)
		got, err := f.store.Load(t.Context(), "acme.amocrm.ru")
		require.NoError(t, err)
		assert.Equal(t, "victim-refresh", got.RefreshToken, name)
		assert.Equal(t, "victim-access", got.AccessToken, name)
		assert.Equal(t, tc.stored, got.AccountID, name)
		require.Len(t, f.results, 1, name)
		assert.Error(t, f.results[0].Err, name)
	}
}

// TestCallbackThrottlesTheInstallHook: the hook needs no state, so anyone can send codes; 20
// junk codes for one account reach the token endpoint (with the client secret) only
// HookExchanges times a window, and other accounts keep their own budget.
//
// It runs in a synctest bubble, so time stands still between the calls and a window passes with
// time.Sleep. The fixture's server is made outside the bubble and reached in process: a goroutine
// waiting on a real connection never counts as blocked, so the fake clock would never move.
func TestCallbackThrottlesTheInstallHook(t *testing.T) {
	t.Parallel()
	f := newCallbackFixture(t)
	f.h.Config.HTTPClient = inProcess(f.ts.srv.Config.Handler)
	synctest.Test(t, func(t *testing.T) {
		var limited int
		for i := range 20 {
			rec := f.call(url.Values{"code": {fmt.Sprintf("junk-%d", i)}, "referer": {"acme.amocrm.ru"}, "from_widget": {"1"}})
			if rec.Code == http.StatusTooManyRequests {
				limited++
				assert.Equal(t, "too_many_attempts\n", rec.Body.String())
				assert.Equal(t, "60", rec.Header().Get("Retry-After"))
			}
		}
		assert.Equal(t, int32(HookExchanges), f.ts.grants.Load(), "the secret went out only this often")
		assert.Equal(t, 20-HookExchanges, limited)

		// Another account is not held back by the first one's junk.
		f.ts.addCode("code-other")
		require.NoError(t, f.store.Save(t.Context(), &tokenstore.Connection{Account: "other.amocrm.ru", ClientID: "client-1", ClientSecret: "secret-1"}))
		rec := f.call(url.Values{"code": {"junk"}, "referer": {"other.amocrm.ru"}, "from_widget": {"1"}})
		assert.NotEqual(t, http.StatusTooManyRequests, rec.Code)

		// A minute later the account has its budget again, and a consent with a valid state is
		// never throttled.
		rec = f.call(url.Values{"code": {"junk"}, "referer": {"acme.amocrm.ru"}, "state": {f.state(t, StateData{})}})
		assert.NotEqual(t, http.StatusTooManyRequests, rec.Code)
		time.Sleep(HookWindow)
		f.ts.addCode("code-9")
		rec = f.call(url.Values{"code": {"code-9"}, "referer": {"acme.amocrm.ru"}, "from_widget": {"1"}})
		assert.Equal(t, "ok\n", rec.Body.String())
	})
}

// inProcess is a client that hands each request straight to h, with no connection.
func inProcess(h http.Handler) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		in := r.Clone(r.Context())
		if in.Body == nil {
			in.Body = http.NoBody
		}
		in.RequestURI = r.URL.RequestURI()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, in)
		res := rec.Result()
		res.Request = r
		return res, nil
	})}
}
