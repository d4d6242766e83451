package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// adminCookie is the name of the admin session cookie.
const adminCookie = "amokit_admin"

// adminSessionTTL is how long an admin session cookie is valid.
const adminSessionTTL = 12 * time.Hour

// adminAuth guards the admin page with the admin token. A person proves the token once (a
// ?token= link or the login form) and gets a session cookie: an expiry and an HMAC over it and
// the token, so changing the token ends every session. Logging out ends the session on the
// server too: its cookie value is refused until it would have expired (in this process; a
// restart or another replica forgets it, the token change does not). Every comparison runs in
// constant time. Forms carry a CSRF token bound to the session.
type adminAuth struct {
	token  string
	key    []byte         // HMAC key for sessions and CSRF tokens (derived, never the admin token)
	secure bool           // set the cookie's Secure flag (https public URL)
	origin string         // the public origin, for the Origin check of POSTs
	ended  *endedSessions // required for logout
}

// endedSessions are the sessions logged out, each kept until it would have expired.
type endedSessions struct {
	mu    sync.Mutex
	until map[string]time.Time
}

// end refuses session from now on.
func (a *adminAuth) end(session string) {
	exp, _, _ := strings.Cut(session, ".")
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return
	}
	now := time.Now()
	e := a.ended
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.until == nil {
		e.until = map[string]time.Time{}
	}
	for s, until := range e.until {
		if !now.Before(until) {
			delete(e.until, s)
		}
	}
	e.until[session] = time.Unix(n, 0)
}

func (a *adminAuth) isEnded(session string) bool {
	if a.ended == nil {
		return false
	}
	a.ended.mu.Lock()
	defer a.ended.mu.Unlock()
	_, ok := a.ended.until[session]
	return ok
}

// checkToken reports whether given is the admin token, in constant time whatever the lengths.
func (a *adminAuth) checkToken(given string) bool {
	g := sha256.Sum256([]byte(given))
	w := sha256.Sum256([]byte(a.token))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1 && given != ""
}

func (a *adminAuth) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, a.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// newSession returns a cookie value valid until now + adminSessionTTL: the expiry, a random
// nonce (so that two logins never share a session, and logging out one ends only it) and an HMAC
// over both and the token.
func (a *adminAuth) newSession() string {
	exp := strconv.FormatInt(time.Now().Add(adminSessionTTL).Unix(), 10)
	nonce := base64.RawURLEncoding.EncodeToString(randomBytes(12))
	return exp + "." + nonce + "." + base64.RawURLEncoding.EncodeToString(a.mac("admin-session", exp, nonce, a.token))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return b
}

// validSession checks a cookie value: genuine, for the current token, not expired, not logged
// out.
func (a *adminAuth) validSession(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || len(v) > 200 {
		return false
	}
	exp, nonce, sig := parts[0], parts[1], parts[2]
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, a.mac("admin-session", exp, nonce, a.token)) {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && time.Now().Before(time.Unix(n, 0)) && !a.isEnded(v)
}

// session returns the request's valid session cookie value, or "".
func (a *adminAuth) session(r *http.Request) string {
	c, err := r.Cookie(adminCookie)
	if err != nil || !a.validSession(c.Value) {
		return ""
	}
	return c.Value
}

// csrfToken is the form token for a session.
func (a *adminAuth) csrfToken(session string) string {
	return base64.RawURLEncoding.EncodeToString(a.mac("admin-csrf", session))
}

// checkPost accepts a state-changing admin request: a valid session, a matching CSRF token in
// the form, and (when the browser sends one) an Origin equal to ours.
func (a *adminAuth) checkPost(r *http.Request) bool {
	return a.checkChange(r, func() string { return r.PostFormValue("csrf") })
}

// checkHeader accepts a state-changing admin request made by a page's script: a valid session,
// the session's CSRF token in the X-CSRF-Token header, and (when the browser sends one) an Origin
// equal to ours.
func (a *adminAuth) checkHeader(r *http.Request) bool {
	return a.checkChange(r, func() string { return r.Header.Get("X-CSRF-Token") })
}

// checkChange is checkPost and checkHeader with the CSRF token read by csrf, which is called
// only once the session and the Origin have passed.
func (a *adminAuth) checkChange(r *http.Request, csrf func() string) bool {
	s := a.session(r)
	if s == "" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" && !strings.EqualFold(o, a.origin) {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(csrf())
	if err != nil {
		return false
	}
	want, _ := base64.RawURLEncoding.DecodeString(a.csrfToken(s))
	return hmac.Equal(got, want)
}

// setSession starts a session with a fresh cookie.
func (a *adminAuth) setSession(w http.ResponseWriter) string {
	v := a.newSession()
	http.SetCookie(w, &http.Cookie{
		Name: adminCookie, Value: v, Path: "/admin", MaxAge: int(adminSessionTTL / time.Second),
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode,
	})
	return v
}

// clearSession ends the browser's session.
func (a *adminAuth) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: adminCookie, Value: "", Path: "/admin", MaxAge: -1,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode,
	})
}

// LoginURL is the admin page's address with the token, which the server prints at start: it
// logs the person in and drops the token from the address bar.
func LoginURL(public, token string) string {
	return public + "/admin?token=" + url.QueryEscape(token)
}
