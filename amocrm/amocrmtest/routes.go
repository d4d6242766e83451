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

// api wraps an API handler: it authenticates the bearer token (401) and
// runs h under the lock. The rate limit applies before, at the edge.
func (s *Server) api(h func(c *call) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		tok := bearerToken(r)
		s.mu.Lock()
		now := s.now()
		acct, userID, ok := s.authenticate(tok, r.Host, now)
		if !ok {
			s.mu.Unlock()
			s.writeReply(w, problem(http.StatusUnauthorized, "Invalid user name or password"))
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

// newRouter lists every endpoint the fake serves.
func (s *Server) newRouter() *router {
	rt := &router{}

	// OAuth (docs/amocrm-api.md#oauth) and the widget's disposable token
	// (docs/widget.md#disposable-tokens).
	rt.handle("GET /oauth", s.consentPage)
	rt.handle("GET /oauth/{$}", s.consentPage)
	rt.handle("POST /oauth", s.consentSubmit)
	rt.handle("POST /oauth/{$}", s.consentSubmit)
	rt.handle("POST /oauth2/access_token", s.tokenEndpoint)
	rt.handle("GET /oauth2/account/current/subdomain", s.currentSubdomain)
	rt.handle("GET /ajax/v2/integrations/{client_uuid}/disposable_token", s.disposableTokenHTTP)
	rt.handle("OPTIONS /ajax/v2/integrations/{client_uuid}/disposable_token", s.disposableTokenPreflight)

	// Account and users (docs/amocrm-api.md#account).
	rt.handle("GET /api/v4/account", s.api(getAccount))
	rt.handle("GET /api/v4/users", s.api(listUsers))
	rt.handle("GET /api/v4/users/{#id}", s.api(getUser))

	// Leads, contacts and companies (docs/amocrm-api.md#leads,
	// docs/amocrm-api.md#contacts), their notes (docs/amocrm-api.md#notes)
	// and links (docs/amocrm-api.md#links).
	rt.handle("POST /api/v4/leads/complex", s.api(complexCreate))
	for _, kind := range []string{"leads", "contacts", "companies"} {
		p := "/api/v4/" + kind
		rt.handle("GET "+p, s.api(listEntities(kind)))
		rt.handle("POST "+p, s.api(createEntities(kind)))
		rt.handle("PATCH "+p, s.api(updateEntities(kind)))
		rt.handle("GET "+p+"/{#id}", s.api(getEntity(kind)))
		rt.handle("PATCH "+p+"/{#id}", s.api(updateEntity(kind)))
		rt.handle("GET "+p+"/custom_fields", s.api(listEntityFields(kind)))

		rt.handle("GET "+p+"/notes", s.api(listNotes(kind, false)))
		rt.handle("POST "+p+"/notes", s.api(writeNotes(kind, false, false)))
		rt.handle("PATCH "+p+"/notes", s.api(writeNotes(kind, false, true)))
		rt.handle("GET "+p+"/notes/{#note_id}", s.api(getNote(kind, false)))
		rt.handle("POST "+p+"/notes/{#note_id}/pin", s.api(pinNote(kind, true)))
		rt.handle("POST "+p+"/notes/{#note_id}/unpin", s.api(pinNote(kind, false)))
		rt.handle("GET "+p+"/{#id}/notes", s.api(listNotes(kind, true)))
		rt.handle("POST "+p+"/{#id}/notes", s.api(writeNotes(kind, true, false)))
		rt.handle("PATCH "+p+"/{#id}/notes", s.api(writeNotes(kind, true, true)))
		rt.handle("GET "+p+"/{#id}/notes/{#note_id}", s.api(getNote(kind, true)))
		rt.handle("PATCH "+p+"/{#id}/notes/{#note_id}", s.api(updateNote(kind)))

		rt.handle("POST "+p+"/{#id}/link", s.api(linkOne(kind, false)))
		rt.handle("POST "+p+"/{#id}/unlink", s.api(linkOne(kind, true)))
		rt.handle("GET "+p+"/{#id}/links", s.api(listLinksOne(kind)))
		rt.handle("POST "+p+"/link", s.api(linkMass(kind, false)))
		rt.handle("POST "+p+"/unlink", s.api(linkMass(kind, true)))
		rt.handle("GET "+p+"/links", s.api(listLinksMass(kind)))
	}

	// Catalogs and their elements (docs/amocrm-api.md#catalogs).
	rt.handle("GET /api/v4/catalogs", s.api(listCatalogs))
	rt.handle("GET /api/v4/catalogs/{#id}", s.api(getCatalog))
	rt.handle("GET /api/v4/catalogs/{#id}/custom_fields", s.api(listCatalogFields))
	rt.handle("GET /api/v4/catalogs/{#id}/elements", s.api(listElements))
	rt.handle("POST /api/v4/catalogs/{#id}/elements", s.api(createElements))
	rt.handle("PATCH /api/v4/catalogs/{#id}/elements", s.api(updateElements))
	rt.handle("GET /api/v4/catalogs/{#id}/elements/{#element_id}", s.api(getElement))
	rt.handle("PATCH /api/v4/catalogs/{#id}/elements/{#element_id}", s.api(updateElement))
	return rt
}
