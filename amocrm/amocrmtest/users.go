package amocrmtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Users, their rights, and acting as a user with X-Context-User-ID. The rules are those of
// docs/security.md: a right is one of amoCRM's letters, "A" (all), "G" (entities whose
// responsible user is in the user's group), "M" (entities the user is responsible for) or "D"
// (none); edit, delete and export need view; free and inactive users have no access at all.
// Whether an administrator bypasses the letters is not documented, so here nobody does.

// Rights are what a user may do with one kind of entity, as amoCRM's letters "A", "G", "M" and
// "D". An empty letter means "A"; Add knows only "A" and "D".
type Rights struct {
	View, Edit, Add, Delete, Export string
}

// User is a user of an account.
type User struct {
	ID      int64
	Name    string
	Email   string
	Lang    string
	IsAdmin bool
	// GroupID is the user's group; 0 is the default group ("Отдел продаж").
	GroupID int64
	// Leads, Contacts and Companies are the user's rights on those entities; the zero value
	// allows everything.
	Leads, Contacts, Companies Rights
	// IsFree marks a free user (no access to entities); Inactive a deactivated one. amoCRM
	// refuses to act as either.
	IsFree, Inactive bool
}

// access is the part of a user that decides what it may do.
type access struct {
	group          int64
	rights         map[string]Rights // by entity kind: "leads", "contacts", "companies"
	free, inactive bool
}

func (u *user) export() User {
	return User{
		ID: u.id, Name: u.name, Email: u.email, Lang: u.lang, IsAdmin: u.admin, GroupID: u.access.group,
		Leads: u.access.rights["leads"], Contacts: u.access.rights["contacts"], Companies: u.access.rights["companies"],
		IsFree: u.access.free, Inactive: u.access.inactive,
	}
}

// AddUser seeds a user. Name is required; Email and Lang default to
// "<id>@<subdomain>.example" and "ru". It panics on a right that is not one of amoCRM's letters.
func (a *Account) AddUser(u User) User {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if u.Name == "" {
		panic("amocrmtest: AddUser: empty name")
	}
	for _, r := range []Rights{u.Leads, u.Contacts, u.Companies} {
		for _, l := range []string{r.View, r.Edit, r.Delete, r.Export} {
			if !strings.Contains("AGMD", l) || len(l) > 1 {
				panic("amocrmtest: AddUser: right " + strconv.Quote(l) + " is none of A, G, M, D")
			}
		}
		if r.Add != "" && r.Add != "A" && r.Add != "D" {
			panic("amocrmtest: AddUser: the add right is A or D, not " + strconv.Quote(r.Add))
		}
	}
	return a.s.st.newUser(a.s.st.accounts[a.ID], u).export()
}

// SetUserRights replaces the group, rights and status of the user u.ID, as an administrator
// does in the account's settings, and returns the user.
func (a *Account) SetUserRights(u User) (User, bool) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	cur := a.s.st.users[u.ID]
	if cur == nil || cur.accountID != a.ID {
		return User{}, false
	}
	cur.access = accessOf(u)
	return cur.export(), true
}

func accessOf(u User) access {
	return access{
		group:  u.GroupID,
		rights: map[string]Rights{"leads": u.Leads, "contacts": u.Contacts, "companies": u.Companies},
		free:   u.IsFree, inactive: u.Inactive,
	}
}

// Users returns copies of the account's users, the admin first.
func (a *Account) Users() []User {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var out []User
	for _, id := range a.s.st.accounts[a.ID].userIDs {
		out = append(out, a.s.st.users[id].export())
	}
	return out
}

// letter returns the user's right action ("view", "edit", "add", "delete", "export") on kind.
func (u *user) letter(kind, action string) string {
	r := u.access.rights[kind]
	var l string
	switch action {
	case "view":
		l = r.View
	case "edit":
		l = r.Edit
	case "add":
		l = r.Add
	case "delete":
		l = r.Delete
	case "export":
		l = r.Export
	}
	if l == "" {
		return "A"
	}
	return l
}

// may reports whether the acting user may do action on e of kind (e is nil for "add"). Only
// leads, contacts and companies carry rights; every other kind is open.
func (c *call) may(kind, action string, e *entity) bool {
	if kind != "leads" && kind != "contacts" && kind != "companies" {
		return true
	}
	u := c.st().users[c.userID]
	if u == nil || u.access.free || u.access.inactive {
		return false
	}
	if action != "view" && action != "add" && !c.may(kind, "view", e) {
		return false
	}
	switch u.letter(kind, action) {
	case "A":
		return true
	case "M":
		return e != nil && e.responsibleUserID == u.id
	case "G":
		if e == nil {
			return false
		}
		resp := c.st().users[e.responsibleUserID]
		return resp != nil && resp.access.group == u.access.group
	}
	return false
}

// mayEdit answers 403 when the acting user may not edit e.
func (c *call) mayEdit(kind string, e *entity) *reply {
	if e == nil || c.may(kind, "edit", e) {
		return nil
	}
	rep := problem(http.StatusForbidden, "Access denied")
	return &rep
}

// actingUser applies X-Context-User-ID: with the header, the request runs as that user of the
// account. amoCRM honours it only for a token an administrator granted (403 otherwise) and
// refuses authorisation for a user it cannot act as (not of this account, free or inactive: 401).
func (s *Server) actingUser(r *http.Request, a *account, tokenUser int64) (int64, *reply) {
	v := r.Header.Get("X-Context-User-ID")
	if v == "" {
		return tokenUser, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	u := s.st.users[id]
	if err != nil || u == nil || u.accountID != a.id || u.access.free || u.access.inactive {
		rep := problem(http.StatusUnauthorized, "Invalid user name or password")
		return 0, &rep
	}
	if g := s.st.users[tokenUser]; g == nil || !g.admin {
		rep := problem(http.StatusForbidden, "Only a token granted by an administrator may act as another user")
		return 0, &rep
	}
	return id, nil
}

func rightsObj(r Rights) obj {
	o := obj{}
	for k, l := range map[string]string{"view": r.View, "edit": r.Edit, "add": r.Add, "delete": r.Delete, "export": r.Export} {
		if l == "" {
			l = "A"
		}
		o[k] = l
	}
	return o
}

func (c *call) renderUser(u *user) obj {
	var group any
	if u.access.group != 0 {
		group = u.access.group
	}
	return obj{
		"id": u.id, "name": u.name, "email": u.email, "lang": u.lang,
		"rights": obj{
			"leads": rightsObj(u.access.rights["leads"]), "contacts": rightsObj(u.access.rights["contacts"]),
			"companies": rightsObj(u.access.rights["companies"]), "tasks": obj{"edit": "A", "delete": "A"},
			"mail_access": true, "catalog_access": true, "status_rights": nil,
			"is_admin": u.admin, "is_free": u.access.free, "is_active": !u.access.inactive,
			"group_id": group, "role_id": nil,
		},
		"_links": obj{"self": obj{"href": c.base + "/api/v4/users/" + strconv.FormatInt(u.id, 10)}},
	}
}

// adminOnly refuses the users API to anyone but an administrator, as amoCRM does.
func (c *call) adminOnly() *reply {
	if u := c.st().users[c.userID]; u != nil && u.admin {
		return nil
	}
	rep := problem(http.StatusForbidden, "Access denied")
	return &rep
}

// listUsers is GET /api/v4/users, for administrators only.
func listUsers(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	lq, rep := c.s.parseList(c.r.URL.Query())
	if rep != nil {
		return *rep
	}
	var out []*user
	for _, id := range c.acct.userIDs {
		out = append(out, c.st().users[id])
	}
	sortBy(out, lq, func(u *user, _ string) int64 { return u.id })
	return pageOf(c.r, lq, "users", out, c.renderUser)
}

// getUser is GET /api/v4/users/{id}, for administrators only.
func getUser(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	u := c.st().users[c.pathID("id")]
	if u == nil || u.accountID != c.acct.id {
		return notFound()
	}
	return okReply(c.renderUser(u))
}

// IssueTokenFor is IssueToken for a grant given by the account user userID rather than by the
// administrator; such a token may not act as another user (X-Context-User-ID is refused).
func (s *Server) IssueTokenFor(clientID, subdomain string, userID int64) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, a, err := s.lookup(clientID, subdomain)
	if err != nil {
		return Token{}, err
	}
	if u := s.st.users[userID]; u == nil || u.accountID != a.id {
		return Token{}, fmt.Errorf("amocrmtest: no user %d in account %q", userID, subdomain)
	}
	g := &grant{integ: in, acct: a, userID: userID}
	s.st.grants = append(s.st.grants, g)
	g.cur = s.issuePair(g)
	return Token{AccessToken: g.cur.access, RefreshToken: g.cur.refresh, ExpiresAt: g.cur.accessExp}, nil
}
