package admin

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdminAuth(t *testing.T) {
	t.Parallel()
	a := &adminAuth{token: testAdminTok, key: bytes.Repeat([]byte{1}, 32), origin: testPublic}

	t.Run("token", func(t *testing.T) {
		t.Parallel()
		assert.True(t, a.checkToken(testAdminTok))
		assert.False(t, a.checkToken(""))
		assert.False(t, a.checkToken(testAdminTok[:len(testAdminTok)-1]), "a prefix")
		assert.False(t, a.checkToken(testAdminTok+"x"), "longer")
		assert.False(t, a.checkToken(strings.ToUpper(testAdminTok)))
		empty := &adminAuth{}
		assert.False(t, empty.checkToken(""), "an empty token never matches")
	})

	t.Run("session", func(t *testing.T) {
		t.Parallel()
		// In the bubble the clock starts on a whole second and moves only with time.Sleep.
		synctest.Test(t, func(t *testing.T) {
			s := a.newSession()
			assert.True(t, a.validSession(s))
			exp, sig, ok := strings.Cut(s, ".")
			require.True(t, ok)
			assert.False(t, a.validSession(exp+"0."+sig), "a longer expiry is not signed")
			assert.False(t, a.validSession(exp+"."+strings.Repeat("A", len(sig))), "a forged MAC")
			assert.False(t, a.validSession(""))
			assert.False(t, a.validSession("garbage"))

			other := *a
			other.token = testAdminTok + "2"
			assert.False(t, other.validSession(s), "a new admin token ends old sessions")
			otherKey := *a
			otherKey.key = bytes.Repeat([]byte{2}, 32)
			assert.False(t, otherKey.validSession(s), "another key")

			time.Sleep(adminSessionTTL - time.Second)
			assert.True(t, a.validSession(s))
			time.Sleep(time.Second)
			assert.False(t, a.validSession(s), "expired")
		})
	})

	t.Run("csrf", func(t *testing.T) {
		t.Parallel()
		s := a.newSession()
		post := func(csrf, origin string, cookie bool) bool {
			req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, testPublic+"/admin/connect", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			if cookie {
				req.AddCookie(&http.Cookie{Name: adminCookie, Value: s})
			}
			return a.checkPost(req)
		}
		good := a.csrfToken(s)
		assert.True(t, post(good, "", true))
		assert.True(t, post(good, testPublic, true))
		assert.False(t, post(good, "https://evil.example", true), "another origin")
		assert.False(t, post(good, "", false), "no session")
		assert.False(t, post("", "", true), "no CSRF token")
		assert.False(t, post(a.csrfToken(a.newSession()+"x"), "", true), "another session's token")
	})
}
