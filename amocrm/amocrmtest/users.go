package amocrmtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/amokit/amokit/amocrm/amocrmtest/internal/backend"
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

func exportUser(u *user) User {
	return User{
		ID: u.ID, Name: u.Name, Email: u.Email, Lang: u.Lang, IsAdmin: u.Admin, GroupID: u.Access.Group,
		Leads: Rights(u.Access.Rights["leads"]), Contacts: Rights(u.Access.Rights["contacts"]), Companies: Rights(u.Access.Rights["companies"]),
		IsFree: u.Access.Free, Inactive: u.Access.Inactive,
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
	return exportUser(a.s.st.newUser(a.s.st.Account(a.ID), u))
}

// SetUserRights replaces the group, rights and status of the user u.ID, as an administrator
// does in the account's settings, and returns the user.
func (a *Account) SetUserRights(u User) (User, bool) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	cur := a.s.st.User(u.ID)
	if cur == nil || cur.AccountID != a.ID {
		return User{}, false
	}
	cur.Access = accessOf(u)
	return exportUser(cur), true
}

func accessOf(u User) access {
	return access{
		Group:  u.GroupID,
		Rights: map[string]backend.Rights{"leads": backend.Rights(u.Leads), "contacts": backend.Rights(u.Contacts), "companies": backend.Rights(u.Companies)},
		Free:   u.IsFree, Inactive: u.Inactive,
	}
}

// Users returns copies of the account's users, the admin first.
func (a *Account) Users() []User {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var out []User
	for _, id := range a.s.st.Account(a.ID).UserIDs {
		out = append(out, exportUser(a.s.st.User(id)))
	}
	return out
}

// may reports whether the acting user may do action on e of kind (e is nil for "add"). Only
// leads, contacts and companies carry rights; every other kind is open.
func (c *call) may(kind, action string, e *entity) bool {
	if kind != "leads" && kind != "contacts" && kind != "companies" {
		return true
	}
	u := c.st().User(c.userID)
	if u == nil || u.Access.Free || u.Access.Inactive {
		return false
	}
	if action != "view" && action != "add" && !c.may(kind, "view", e) {
		return false
	}
	switch u.Letter(kind, action) {
	case "A":
		return true
	case "M":
		return e != nil && e.ResponsibleUserID == u.ID
	case "G":
		if e == nil {
			return false
		}
		resp := c.st().User(e.ResponsibleUserID)
		return resp != nil && resp.Access.Group == u.Access.Group
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
	u := s.st.User(id)
	if err != nil || u == nil || u.AccountID != a.ID || u.Access.Free || u.Access.Inactive {
		rep := problem(http.StatusUnauthorized, "Invalid user name or password")
		return 0, &rep
	}
	if g := s.st.User(tokenUser); g == nil || !g.Admin {
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
	if u.Access.Group != 0 {
		group = u.Access.Group
	}
	return obj{
		"id": u.ID, "name": u.Name, "email": u.Email, "lang": u.Lang,
		"rights": obj{
			"leads": rightsObj(Rights(u.Access.Rights["leads"])), "contacts": rightsObj(Rights(u.Access.Rights["contacts"])),
			"companies": rightsObj(Rights(u.Access.Rights["companies"])), "tasks": obj{"edit": "A", "delete": "A"},
			"mail_access": true, "catalog_access": true, "status_rights": nil,
			"is_admin": u.Admin, "is_free": u.Access.Free, "is_active": !u.Access.Inactive,
			"group_id": group, "role_id": nil,
		},
		"_links": obj{"self": obj{"href": c.base + "/api/v4/users/" + strconv.FormatInt(u.ID, 10)}},
	}
}

// adminOnly refuses the users API to anyone but an administrator, as amoCRM does.
func (c *call) adminOnly() *reply {
	if u := c.st().User(c.userID); u != nil && u.Admin {
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
	for _, id := range c.acct.UserIDs {
		out = append(out, c.st().User(id))
	}
	sortBy(out, lq, func(u *user, _ string) int64 { return u.ID })
	return pageOf(c.r, lq, "users", out, c.renderUser)
}

// getUser is GET /api/v4/users/{id}, for administrators only.
func getUser(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	u := c.st().User(c.pathID("id"))
	if u == nil || u.AccountID != c.acct.ID {
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
	if u := s.st.User(userID); u == nil || u.AccountID != a.ID {
		return Token{}, fmt.Errorf("amocrmtest: no user %d in account %q", userID, subdomain)
	}
	g := &grant{Integration: in, Account: a, UserID: userID}
	s.st.AddGrant(g)
	g.Cur = s.issuePair(g)
	return Token{AccessToken: g.Cur.Access, RefreshToken: g.Cur.Refresh, ExpiresAt: g.Cur.AccessExp}, nil
}
