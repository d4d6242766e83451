package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/amokit/amokit/app/admin/admintest"
	"github.com/amokit/amokit/app/glass"
	"github.com/amokit/amokit/internal/serve"
)

const testPublic = "https://calc.example.com"

// testServer is a real-mode server (memory store) built as run builds it, served in process.
type testServer struct {
	*server
	h    http.Handler
	logs *admintest.SyncBuffer
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	cfg := config{Addr: "127.0.0.1:0", PublicURL: testPublic, AdminToken: testAdminTok, EncryptionKey: testKey(),
		PriceList: glass.DefaultPriceList(), LogLevel: slog.LevelDebug}
	logs := &admintest.SyncBuffer{}
	s, err := build(t.Context(), cfg, testPublic, serve.NewLogger(logs, slog.LevelDebug))
	require.NoError(t, err)
	t.Cleanup(s.close)
	return &testServer{server: s, h: s.handler(func() bool { return false }), logs: logs}
}

// do serves one request; cookie may be nil.
func (ts *testServer) do(t *testing.T, method, target string, form url.Values, cookie *http.Cookie) *http.Response {
	t.Helper()
	return admintest.Do(t, ts.h, method, testPublic+target, form, cookie)
}

// login trades the admin token for a session and returns its cookie and the page's CSRF token.
func (ts *testServer) login(t *testing.T) (*http.Cookie, string) {
	t.Helper()
	return admintest.Login(t, ts.h, testPublic, testAdminTok)
}

func TestAdminWidgetArchive(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	resp := ts.do(t, http.MethodGet, "/admin/widget.zip", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	c, _ := ts.login(t)
	resp = ts.do(t, http.MethodGet, "/admin/widget.zip", nil, c)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/zip", resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Content-Disposition"), `filename="widget.zip"`)
	data := []byte(admintest.ReadBody(t, resp))
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	f, err := zr.Open("script.js")
	require.NoError(t, err)
	script, err := io.ReadAll(f)
	require.NoError(t, err)
	assert.Contains(t, string(script), `"`+testPublic+`"`, "built for this server's URL")
	_, err = zr.Open("manifest.json")
	assert.NoError(t, err)

	// A restart (a second later) serves the same archive, with the same version.
	time.Sleep(1100 * time.Millisecond)
	again := newTestServer(t)
	c, _ = again.login(t)
	resp = again.do(t, http.MethodGet, "/admin/widget.zip", nil, c)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, data, []byte(admintest.ReadBody(t, resp)), "widget.zip depends on its content only")
}

func TestCalculatorPageAndStatic(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)

	resp := ts.do(t, http.MethodGet, "/widget/page?ticket=abc", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	csp := resp.Header.Values("Content-Security-Policy")
	require.Len(t, csp, 2, "the widget's frame-ancestors and the page's own policy")
	assert.Contains(t, strings.Join(csp, "\n"), "frame-ancestors https://*.amocrm.ru")
	assert.Contains(t, strings.Join(csp, "\n"), "script-src 'self'")
	assert.Empty(t, resp.Header.Get("X-Frame-Options"))
	page := admintest.ReadBody(t, resp)
	start := strings.Index(page, `<script id="pricelist" type="application/json">`)
	require.Positive(t, start)
	raw := page[start+len(`<script id="pricelist" type="application/json">`):]
	raw = raw[:strings.Index(raw, "</script>")]
	pl, err := glass.LoadPriceList(strings.NewReader(raw))
	require.NoError(t, err, "the embedded price list reads back")
	assert.Equal(t, glass.DefaultPriceList(), pl)

	for _, name := range []string{"calculator.js", "calculator.css", "admin.js", "admin.css", "democard.js", "democard.css"} {
		resp := ts.do(t, http.MethodGet, "/static/"+name, nil, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, name)
	}
	assert.Equal(t, "text/javascript; charset=utf-8", ts.do(t, http.MethodGet, "/static/calculator.js", nil, nil).Header.Get("Content-Type"))
	for _, name := range []string{"admin.html", "calculator.html", "web/calculator.js", "nope.js"} {
		assert.Equal(t, http.StatusNotFound, ts.do(t, http.MethodGet, "/static/"+name, nil, nil).StatusCode, name)
	}
	assert.NotEqual(t, http.StatusOK, ts.do(t, http.MethodGet, "/static/../main.go", nil, nil).StatusCode)
	assert.Equal(t, http.StatusNotFound, ts.do(t, http.MethodGet, "/demo/card", nil, nil).StatusCode, "no demo outside -demo")
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	resp := ts.do(t, http.MethodGet, "/healthz", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp = ts.do(t, http.MethodGet, "/readyz", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, admintest.ReadBody(t, resp), `"database":"memory"`)
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)

	resp := ts.do(t, http.MethodGet, "/admin?token=query-secret-query-secret-query-secret", nil, nil)
	id := resp.Header.Get(serve.RequestIDHeader)
	assert.Len(t, id, 16)
	logs := ts.logs.String()
	assert.Contains(t, logs, `"request_id":"`+id+`"`, "the access log line carries the id")
	assert.Contains(t, logs, `"path":"/admin"`)
	assert.NotContains(t, logs, "query-secret", "queries are never logged")

	other := ts.do(t, http.MethodGet, "/healthz", nil, nil).Header.Get(serve.RequestIDHeader)
	assert.NotEqual(t, id, other, "one id per request")

	for _, tc := range []struct{ in, want string }{
		{"proxy-7f3a.12:x", "proxy-7f3a.12:x"},
		{"bad id\n{\"level\":\"ERROR\"}", ""},
		{strings.Repeat("a", 65), ""},
	} {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, testPublic+"/healthz", nil)
		req.Header.Set(serve.RequestIDHeader, tc.in)
		rec := httptest.NewRecorder()
		ts.h.ServeHTTP(rec, req)
		got := rec.Header().Get(serve.RequestIDHeader)
		if tc.want != "" {
			assert.Equal(t, tc.want, got)
		} else {
			assert.Len(t, got, 16, "replaced: %q", tc.in)
		}
	}
}

// TestWidgetArchiveNamesSupport: a support address given to the server goes into widget.zip's
// manifest; without one the manifest has no support block.
func TestWidgetArchiveNamesSupport(t *testing.T) {
	t.Parallel()
	manifest := func(support string) map[string]any {
		data, err := widgetArchive(testPublic, support)()
		require.NoError(t, err)
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		f, err := zr.Open("manifest.json")
		require.NoError(t, err)
		var m struct {
			Widget map[string]any `json:"widget"`
		}
		require.NoError(t, json.NewDecoder(f).Decode(&m))
		return m.Widget
	}
	assert.Equal(t, map[string]any{"email": "help@calc.example.com"}, manifest("help@calc.example.com")["support"])
	assert.NotContains(t, manifest(""), "support")
}
