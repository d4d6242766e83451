package widget_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/amocrm"
	"github.com/amokit/amokit/oauth"
	"github.com/amokit/amokit/tokenstore"
	"github.com/amokit/amokit/widget"
)

var kitTicketKey = []byte("ticket-key-0123456789abcdef-0123456789")

// kitConfig is a valid Config with no application endpoints.
func kitConfig(t *testing.T) widget.Config {
	t.Helper()
	states, err := oauth.NewStates([]byte("state-key-0123456789abcdef-0123456789"), 0)
	require.NoError(t, err)
	return widget.Config{
		PublicURL: "https://calc.example.com", TicketKey: kitTicketKey,
		OAuth:  oauth.Config{RedirectURL: "https://calc.example.com" + widget.CallbackPath},
		States: states, Connections: tokenstore.NewMemory(), Page: http.NotFoundHandler(),
	}
}

// echo answers with the ticket's lead and the body it reads.
func echo(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tk, ok := widget.TicketFrom(r.Context())
		if !assert.True(t, ok, "an endpoint runs behind the ticket") {
			return
		}
		body, err := io.ReadAll(r.Body)
		assert.NoError(t, err)
		w.Header().Set("X-Account", tk.Account)
		w.Write(body)
	})
}

func TestNewHandlerServesTheApplicationsEndpoints(t *testing.T) {
	t.Parallel()
	cfg := kitConfig(t)
	cfg.Endpoints = widget.Endpoints{
		Routes:      map[string]http.Handler{"POST /widget/echo": echo(t)},
		GetActions:  map[string]http.Handler{"peek": echo(t)},
		PostActions: map[string]http.Handler{"poke": echo(t), "prod": echo(t)},
	}
	h, err := widget.NewHandler(cfg)
	require.NoError(t, err)
	signer, err := widget.NewTicketSigner(kitTicketKey)
	require.NoError(t, err)
	ticket := "Bearer " + signer.Sign(widget.Ticket{Account: "acme.amocrm.ru", AccountID: 1, UserID: 2, LeadID: 3})

	do := func(method, target, body, auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	w := do(http.MethodPost, "/widget/echo", "hello", ticket)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "hello", w.Body.String())
	assert.Equal(t, "acme.amocrm.ru", w.Header().Get("X-Account"))
	w = do(http.MethodPost, "/widget/echo", "hello", "")
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Contains(t, w.Body.String(), widget.CodeTicketMissing)

	w = do(http.MethodGet, "/widget/api?action=peek", "", ticket)
	assert.Equal(t, http.StatusOK, w.Code)
	w = do(http.MethodGet, "/widget/api?action=peek", "", "")
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	w = do(http.MethodGet, "/widget/api?action=nothing", "", ticket)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), "action=peek")

	body := `{"action":"poke","n":1}`
	w = do(http.MethodPost, "/widget/api", body, ticket)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, body, w.Body.String(), "the action reads the whole body again")
	w = do(http.MethodPost, "/widget/api", body, "")
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	w = do(http.MethodPost, "/widget/api", `{"action":"nothing"}`, ticket)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), "poke или prod или save_connection")
	w = do(http.MethodPost, "/widget/api", `{"action":"save_connection"}`, ticket)
	assert.Equal(t, http.StatusForbidden, w.Code, "save_connection is the handler's own, behind the admin token")
	assert.Contains(t, w.Body.String(), widget.CodeAdminDisabled)
}

func TestNewHandlerRefusesEndpointsThatClash(t *testing.T) {
	t.Parallel()
	ok := http.NotFoundHandler()
	for name, e := range map[string]widget.Endpoints{
		"own route":      {Routes: map[string]http.Handler{"POST /widget/api": ok}},
		"own callback":   {Routes: map[string]http.Handler{"GET " + widget.CallbackPath: ok}},
		"bad pattern":    {Routes: map[string]http.Handler{"FETCH": ok}},
		"nil handler":    {Routes: map[string]http.Handler{"GET /widget/x": nil}},
		"own action":     {PostActions: map[string]http.Handler{"save_connection": ok}},
		"nil get action": {GetActions: map[string]http.Handler{"x": nil}},
	} {
		cfg := kitConfig(t)
		cfg.Endpoints = e
		_, err := widget.NewHandler(cfg)
		assert.Error(t, err, name)
	}
	cfg := kitConfig(t)
	cfg.Endpoints = widget.Endpoints{Routes: map[string]http.Handler{"GET /widget/x": ok, "GET /widget/y": ok}}
	_, err := widget.NewHandler(cfg)
	assert.NoError(t, err)
}

// TestPrefetchIsToldOfThePagesValidTicket: the page's ticket reaches Endpoints.Prefetch, with a
// context acting as its user, only when it verifies; the page is served either way.
func TestPrefetchIsToldOfThePagesValidTicket(t *testing.T) {
	t.Parallel()
	var got []widget.Ticket
	cfg := kitConfig(t)
	cfg.Page = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
	cfg.Endpoints.Prefetch = func(ctx context.Context, tk widget.Ticket) {
		inCtx, ok := widget.TicketFrom(ctx)
		assert.True(t, ok)
		assert.Equal(t, tk, inCtx)
		user, ok := amocrm.ActingUser(ctx)
		assert.True(t, ok)
		assert.Equal(t, tk.UserID, user)
		got = append(got, tk)
	}
	h, err := widget.NewHandler(cfg)
	require.NoError(t, err)
	signer, err := widget.NewTicketSigner(kitTicketKey)
	require.NoError(t, err)
	other, err := widget.NewTicketSigner([]byte("another-key-0123456789abcdef-012345678"))
	require.NoError(t, err)
	tk := widget.Ticket{Account: "acme.amocrm.ru", AccountID: 1, UserID: 2, LeadID: 3}
	good := signer.Sign(tk)

	for _, ticket := range []string{"", "garbage", good[:len(good)-2] + "AA", other.Sign(tk), good} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/widget/page?ticket="+url.QueryEscape(ticket), nil))
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, "page", w.Body.String())
	}
	require.Len(t, got, 1, "only the valid ticket")
	want, err := signer.Verify(good)
	require.NoError(t, err)
	assert.Equal(t, want, got[0])
}
