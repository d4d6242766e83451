package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// adminCookie is the name of the admin session cookie.
const adminCookie = "amokit_admin"

// adminSessionTTL is how long an admin session cookie is valid.
const adminSessionTTL = 12 * time.Hour

// adminAuth guards the admin page with the admin token. A person proves the token once (a
// ?token= link or the login form) and gets a session cookie: an expiry and an HMAC over it and
// the token, so changing the token ends every session and the server keeps no session state.
// Every comparison runs in constant time. Forms carry a CSRF token bound to the session.
type adminAuth struct {
	token  string
	key    []byte // HMAC key for sessions and CSRF tokens (derived, never the admin token)
	secure bool   // set the cookie's Secure flag (https public URL)
	origin string // the public origin, for the Origin check of POSTs
	now    func() time.Time
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

// newSession returns a cookie value valid until now + adminSessionTTL.
func (a *adminAuth) newSession() string {
	exp := strconv.FormatInt(a.now().Add(adminSessionTTL).Unix(), 10)
	return exp + "." + base64.RawURLEncoding.EncodeToString(a.mac("admin-session", exp, a.token))
}

// validSession checks a cookie value: genuine, for the current token, not expired.
func (a *adminAuth) validSession(v string) bool {
	exp, sig, ok := strings.Cut(v, ".")
	if !ok || len(v) > 200 {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, a.mac("admin-session", exp, a.token)) {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && a.now().Before(time.Unix(n, 0))
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
	s := a.session(r)
	if s == "" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" && !strings.EqualFold(o, a.origin) {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("csrf"))
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

// adminURL is the admin page's address with the token, as printed at start.
func adminURL(public, token string) string {
	return public + "/admin?token=" + url.QueryEscape(token)
}
