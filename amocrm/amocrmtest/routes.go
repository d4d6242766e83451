package amocrmtest

import (
	"io"
	"net/http"
	"strconv"
	"strings"
)

// call is one authenticated API request, handled under Server.mu.
type call struct {
	s      *Server
	r      *http.Request
	body   []byte
	acct   *account
	userID int64
	now    int64
	base   string
}

func (c *call) st() *state { return c.s.st }

// pathID reads a digits-only path wildcard.
func (c *call) pathID(name string) int64 {
	n, _ := strconv.ParseInt(c.r.PathValue(name), 10, 64)
	return n
}

// api wraps an API handler: it refuses hosts that are no account's (404),
// authenticates the bearer token (401), answers 402 for an account whose
// paid period is over, checks a write's Content-Type (400) and runs h under
// the lock. The rate limit applies before, at the edge.
func (s *Server) api(h func(c *call) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		tok := bearerToken(r)
		s.mu.Lock()
		if rep := s.hostRefusal(r.Host); rep != nil {
			s.mu.Unlock()
			s.writeReply(w, *rep)
			return
		}
		now := s.now()
		acct, userID, ok := s.authenticate(tok, r.Host, now)
		if !ok {
			s.mu.Unlock()
			s.writeReply(w, problem(http.StatusUnauthorized, "Invalid user name or password"))
			return
		}
		if acct.Unpaid {
			s.mu.Unlock()
			s.writeReply(w, paymentRequired())
			return
		}
		if rep := s.contentTypeRefusal(r, body); rep != nil {
			s.mu.Unlock()
			s.writeReply(w, *rep)
			return
		}
		userID, refused := s.actingUser(r, acct, userID)
		if refused != nil {
			s.mu.Unlock()
			s.writeReply(w, *refused)
			return
		}
		rep := h(&call{s: s, r: r, body: body, acct: acct, userID: userID, now: now.Unix(), base: baseURL(r)})
		s.mu.Unlock()
		s.writeReply(w, rep)
	}
}

func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// routeSets are the groups of routes the server registers, each a function
// of its own file added from that file's init: a new group of endpoints is a
// new file, with no edit to a shared list. Registration order does not matter
// (http.ServeMux picks the most specific pattern).
var routeSets []func(s *Server, m *mux)

// registerRoutes adds a group of routes; call it from an init function.
func registerRoutes(f func(s *Server, m *mux)) { routeSets = append(routeSets, f) }

// mux is the server's http.ServeMux with amoCRM's conventions on top.
type mux struct {
	s  *Server
	sm *http.ServeMux
}

func (s *Server) newMux() *mux {
	m := &mux{s: s, sm: http.NewServeMux()}
	for _, f := range routeSets {
		f(s, m)
	}
	return m
}

// handle registers a plain handler on a "METHOD /path" ServeMux pattern.
func (m *mux) handle(pattern string, h http.HandlerFunc) {
	m.sm.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !idsAreDigits(r) {
			writeProblem(w, http.StatusNotFound, "Not found")
			return
		}
		h(w, r)
	})
}

// api registers an authenticated API handler (see Server.api).
func (m *mux) api(pattern string, h func(c *call) reply) { m.handle(pattern, m.s.api(h)) }

// ServeHTTP routes r. A path wildcard named "id" or ending in "_id" only
// matches decimal digits (handle answers 404 for /api/v4/leads/abc). Unknown
// paths get amoCRM's 404 problem, known paths with another method a 405
// problem with Allow.
func (m *mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pat := m.sm.Handler(r)
	if pat == "" {
		if allow := methodsAllowed(h, r); allow != "" {
			w.Header().Set("Allow", allow)
			writeProblem(w, http.StatusMethodNotAllowed, "Method not allowed")
			return
		}
		writeProblem(w, http.StatusNotFound, "Not found")
		return
	}
	m.sm.ServeHTTP(w, r)
}

// methodsAllowed runs ServeMux's own fallback handler h to learn whether it
// is the 405 one, and returns its Allow header.
func methodsAllowed(h http.Handler, r *http.Request) string {
	hw := &headerOnly{h: http.Header{}}
	h.ServeHTTP(hw, r)
	return hw.h.Get("Allow")
}

// headerOnly is a ResponseWriter that keeps the header and drops the body.
type headerOnly struct{ h http.Header }

func (w *headerOnly) Header() http.Header         { return w.h }
func (w *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnly) WriteHeader(int)             {}

// idsAreDigits reports whether every wildcard of r's pattern named "id" or
// "…_id" holds decimal digits.
func idsAreDigits(r *http.Request) bool {
	for rest := r.Pattern; ; {
		_, after, ok := strings.Cut(rest, "{")
		if !ok {
			return true
		}
		name, tail, _ := strings.Cut(after, "}")
		rest = tail
		if name == "id" || strings.HasSuffix(name, "_id") {
			if !allDigits(r.PathValue(name)) {
				return false
			}
		}
	}
}

func allDigits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// subRoutes serves the paths below one entity, /api/v4/leads/{id}/{sub}
// and /api/v4/leads/{id}/{sub}/{sub_id}, by the value of {sub}. ServeMux
// cannot hold "/leads/{id}/notes" beside "/leads/notes/{note_id}" (neither
// pattern is more specific than the other), so one pattern takes every
// sub-resource and this table picks the handler; "/leads/notes/{note_id}"
// and its like stay plain patterns, more specific than the table's.
type subRoutes map[string]func(c *call) reply

func (t subRoutes) serve(c *call) reply {
	h, ok := t[c.r.PathValue("sub")]
	if !ok {
		return notFound()
	}
	return h(c)
}
