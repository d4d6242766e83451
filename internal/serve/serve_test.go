package serve

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
)

type fakeDB struct{ err error }

func (f fakeDB) Ping(context.Context) error { return f.err }

func TestReadiness(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		name     string
		db       Pinger
		shutting bool
		status   int
		body     string
	}{
		{"database up", fakeDB{}, false, http.StatusOK, `"database":"up"`},
		{"database down", fakeDB{err: io.ErrUnexpectedEOF}, false, http.StatusServiceUnavailable, `"database":"down"`},
		{"shutting down", fakeDB{}, true, http.StatusServiceUnavailable, `"shutting_down"`},
	} {
		rec := httptest.NewRecorder()
		Readyz(tc.db, func() bool { return tc.shutting }, logger)(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/readyz", nil))
		assert.Equal(t, tc.status, rec.Code, tc.name)
		assert.Contains(t, rec.Body.String(), tc.body, tc.name)
	}
}

// TestStatic: only the .css and .js files at the top of the file systems, the first that has
// a name winning, with their content types; nothing else of them. It is mounted as the server
// mounts it, under /static/.
func TestStatic(t *testing.T) {
	t.Parallel()
	h := http.StripPrefix("/static/", Static(
		fstest.MapFS{"a.css": {Data: []byte("a{}")}, "page.html": {Data: []byte("<p>")}, "sub/b.js": {Data: []byte("b")}},
		fstest.MapFS{"a.css": {Data: []byte("second")}, "c.js": {Data: []byte("c()")}},
	))
	get := func(name string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/static/"+name, nil))
		return rec
	}
	rec := get("a.css")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "a{}", rec.Body.String(), "the first file system wins")
	assert.Equal(t, "text/css; charset=utf-8", rec.Header().Get("Content-Type"))
	rec = get("c.js")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "text/javascript; charset=utf-8", rec.Header().Get("Content-Type"))
	for _, name := range []string{"page.html", "sub/b.js", "nope.js", "", "../c.js"} {
		assert.Equal(t, http.StatusNotFound, get(name).Code, name)
	}
}

// TestWithRequestID: every answer carries an id, a sane one from a proxy is kept, and the access
// log line has the id and the path but never the query.
func TestWithRequestID(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := NewLogger(&logs, slog.LevelDebug)
	h := WithRequestID(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "inside")
		w.WriteHeader(http.StatusTeapot)
	}))
	serve := func(id string) string {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/admin?token=query-secret", nil)
		if id != "" {
			req.Header.Set(RequestIDHeader, id)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Header().Get(RequestIDHeader)
	}
	id := serve("")
	assert.Len(t, id, 16)
	assert.Equal(t, 2, strings.Count(logs.String(), `"request_id":"`+id+`"`), "the handler's line and the access line")
	assert.Contains(t, logs.String(), `"path":"/admin"`)
	assert.Contains(t, logs.String(), `"status":418`)
	assert.NotContains(t, logs.String(), "query-secret")
	assert.Equal(t, "proxy-7f3a.12:x", serve("proxy-7f3a.12:x"))
	assert.Len(t, serve("bad id\n{\"level\":\"ERROR\"}"), 16, "replaced")
}
