package widget

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAllowedOrigin(t *testing.T) {
	t.Parallel()
	for _, o := range []string{
		"https://acme.amocrm.ru",
		"https://acme.amocrm.com",
		"https://acme.kommo.com",
		"https://a-b-1.amocrm.ru",
		"https://1.amocrm.ru",
		"https://" + strings.Repeat("a", 63) + ".kommo.com",
	} {
		assert.True(t, AllowedOrigin(o), o)
	}
	for _, o := range []string{
		"",
		"null",
		"http://acme.amocrm.ru",
		"ws://acme.amocrm.ru",
		"//acme.amocrm.ru",
		"acme.amocrm.ru",
		" https://acme.amocrm.ru",
		"https://acme.amocrm.ru ",
		"https://acme.amocrm.ru/",
		"https://acme.amocrm.ru/path",
		"https://acme.amocrm.ru?x",
		"https://acme.amocrm.ru#x",
		"https://acme.amocrm.ru.",
		"https://acme.amocrm.ru:443",
		"https://acme.amocrm.ru:8443",
		"https://user@acme.amocrm.ru",
		"https://user:pass@acme.amocrm.ru",
		"https://evil.com@acme.amocrm.ru",
		"https://acme.amocrm.ru@evil.com",
		"https://ACME.amocrm.ru",
		"https://acme.AMOCRM.ru",
		"https://amocrm.ru",
		"https://.amocrm.ru",
		"https://www.amocrm.ru",
		"https://evilamocrm.ru",
		"https://evil-amocrm.ru",
		"https://acme.amocrm.ru.evil.com",
		"https://acme.amocrm.rux",
		"https://acme.kommo.com.evil.com",
		"https://a.b.amocrm.ru",
		"https://evil.com/.amocrm.ru",
		"https://evil.com?.amocrm.ru",
		"https://evil.com#.amocrm.ru",
		"https://evil.com\\.amocrm.ru",
		"https://evil%2ecom.amocrm.ru",
		"https://-acme.amocrm.ru",
		"https://acme-.amocrm.ru",
		"https://ac_me.amocrm.ru",
		"https://xn--80aswg.amocrm.ru",
		"https://acmе.amocrm.ru", // Cyrillic е
		"https://acme\x00.amocrm.ru",
		"https://" + strings.Repeat("a", 64) + ".kommo.com",
		"https://acme.amocrm.org",
		"https://acme.kommo.ru",
		"https://127.0.0.1",
		"https://[::1]",
	} {
		assert.False(t, AllowedOrigin(o), "%q", o)
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	called := 0
	h := CORS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called++
		w.WriteHeader(http.StatusCreated)
	}))
	serve := func(method, origin string, headers ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequestWithContext(t.Context(), method, "/widget/session", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		for i := 0; i < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	preflight := []string{"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "x-auth-token, content-type"}

	w := serve(http.MethodOptions, "https://acme.amocrm.ru", preflight...)
	assert.Equal(t, http.StatusNoContent, w.Code)
	assert.Equal(t, "https://acme.amocrm.ru", w.Header().Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "X-Auth-Token, Content-Type", w.Header().Get("Access-Control-Allow-Headers"))
	assert.Contains(t, w.Header().Get("Access-Control-Allow-Methods"), "POST")
	assert.NotEmpty(t, w.Header().Get("Access-Control-Max-Age"))
	assert.Contains(t, w.Header().Values("Vary"), "Origin")
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Credentials"))
	assert.Zero(t, called, "a preflight does not reach the handler")

	for _, origin := range []string{"https://evilamocrm.ru", "https://acme.amocrm.ru.evil.com", "http://acme.amocrm.ru", "null"} {
		w = serve(http.MethodOptions, origin, preflight...)
		assert.Equal(t, http.StatusForbidden, w.Code, origin)
		assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"), origin)
		assert.Empty(t, w.Header().Get("Access-Control-Allow-Headers"), origin)
		assert.Contains(t, w.Body.String(), CodeOriginNotAllowed)
	}
	assert.Zero(t, called)

	w = serve(http.MethodPost, "https://acme.kommo.com")
	assert.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, "https://acme.kommo.com", w.Header().Get("Access-Control-Allow-Origin"))
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Credentials"))
	assert.Equal(t, 1, called)

	w = serve(http.MethodPost, "https://evil.example")
	assert.Equal(t, http.StatusCreated, w.Code, "the browser, not the server, keeps the answer from foreign pages")
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
	assert.Contains(t, w.Header().Values("Vary"), "Origin")
	assert.Equal(t, 2, called)

	w = serve(http.MethodPost, "")
	assert.Equal(t, http.StatusCreated, w.Code)
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))

	w = serve(http.MethodOptions, "https://acme.amocrm.ru")
	assert.Equal(t, http.StatusCreated, w.Code, "an OPTIONS without Access-Control-Request-Method is no preflight")
	assert.Equal(t, 4, called)
}

func TestFrameAncestors(t *testing.T) {
	t.Parallel()
	h := FrameAncestors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<p>calculator</p>"))
	}), "https://calc.example.com")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/widget/app", nil))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t,
		"frame-ancestors https://*.amocrm.ru https://*.amocrm.com https://*.kommo.com https://calc.example.com",
		w.Header().Get("Content-Security-Policy"))
	assert.Empty(t, w.Header().Values("X-Frame-Options"), "X-Frame-Options would block amoCRM")
	assert.Equal(t, "<p>calculator</p>", w.Body.String())

	// With WriteHeader and Flush called explicitly.
	h = FrameAncestors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.WriteHeader(http.StatusAccepted)
		w.(http.Flusher).Flush()
	}))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusAccepted, w.Code)
	assert.True(t, w.Flushed)
	assert.Empty(t, w.Header().Values("X-Frame-Options"))
	assert.Equal(t, "frame-ancestors https://*.amocrm.ru https://*.amocrm.com https://*.kommo.com", w.Header().Get("Content-Security-Policy"))

	// Flush before anything else also sends the header without X-Frame-Options.
	h = FrameAncestors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		require.NoError(t, http.NewResponseController(w).Flush())
	}))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
	assert.True(t, w.Flushed)
	assert.Empty(t, w.Header().Values("X-Frame-Options"))
}

func TestFrameAncestorsPolicyRefuses(t *testing.T) {
	t.Parallel()
	p, err := FrameAncestorsPolicy("http://localhost:8080", "https://calc.example.com")
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(p, " http://localhost:8080 https://calc.example.com"), p)

	for _, bad := range []string{
		"",
		"*",
		"calc.example.com",
		"https://calc.example.com/",
		"https://calc.example.com/app",
		"https://calc.example.com?x=1",
		"https://calc.example.com; script-src *",
		"https://calc.example.com https://evil.com",
		"https://*.example.com",
		"https://user@calc.example.com",
		"javascript:alert(1)",
		"data:text/html,x",
		"'self'",
		"HTTPS://calc.example.com",
	} {
		_, err := FrameAncestorsPolicy(bad)
		assert.Error(t, err, "%q", bad)
	}
	assert.Panics(t, func() { FrameAncestors(http.NotFoundHandler(), "https://x.example/app") })
}
