// Package admintest holds helpers for tests that drive the admin page over HTTP: serve one
// request, log in with the admin token, read the session cookie and CSRF token.
package admintest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// CookieName is the name of the admin session cookie.
const CookieName = "amokit_admin"

// Do serves one request to h at target, a full URL. A non-nil form is sent url-encoded;
// cookie may be nil.
func Do(t testing.TB, h http.Handler, method, target string, form url.Values, cookie *http.Cookie) *http.Response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequestWithContext(t.Context(), method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// ReadBody reads resp's whole body.
func ReadBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// SessionCookie returns the admin session cookie resp sets, or nil if it sets none (a cookie
// that clears the session does not count).
func SessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == CookieName && c.Value != "" {
			return c
		}
	}
	return nil
}

// Login trades the admin token for a session on h, whose public address is public, and
// returns the session cookie and the page's CSRF token.
func Login(t testing.TB, h http.Handler, public, token string) (*http.Cookie, string) {
	t.Helper()
	resp := Do(t, h, http.MethodGet, public+"/admin?token="+token, nil, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	c := SessionCookie(resp)
	require.NotNil(t, c)
	page := ReadBody(t, Do(t, h, http.MethodGet, public+"/admin", nil, c))
	i := strings.Index(page, `name="csrf" value="`)
	require.Positive(t, i, "the page has a CSRF field")
	rest := page[i+len(`name="csrf" value="`):]
	return c, rest[:strings.IndexByte(rest, '"')]
}

// SyncBuffer is a bytes.Buffer safe for a server's goroutines, to hold its log.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
