package amocrmtest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Roles (docs/amocrm-services.md#users-and-roles): administrators only; create answers 201,
// update 202, delete 204; with=users lists the ids of the role's users. The rights are kept as
// sent, after checking their letters.

func (c *call) renderRole(r *role, withUsers bool) obj {
	rights := r.Rights
	if rights == nil {
		rights = json.RawMessage(`{}`)
	}
	o := obj{"id": r.ID, "name": r.Name, "rights": rights, "_links": c.idHref("/api/v4/roles", r.ID)}
	if withUsers {
		o["_embedded"] = obj{"users": []int64{}}
	}
	return o
}

// checkRights checks the letters of a rights object: A, G, M, D for view, edit, delete and export,
// A or D for add and in stage rights.
func checkRights(f *fields) {
	for _, kind := range []string{"leads", "contacts", "companies", "tasks"} {
		sub, ok := f.sub(kind)
		if !ok {
			continue
		}
		for _, action := range []string{"view", "edit", "add", "delete", "export"} {
			v, ok := sub.str(action)
			if !ok {
				continue
			}
			allowed := "AGMD"
			if action == "add" {
				allowed = "AD"
			}
			if len(v) != 1 || !strings.Contains(allowed, v) || (kind == "tasks" && (action == "view" || action == "add" || action == "export")) {
				f.c.add(codeNotSupported, join(sub.path, action), detailChoice)
			}
		}
		sub.done()
	}
	for _, k := range []string{"status_rights", "mail_access", "catalog_access", "catalog_rights", "is_admin", "is_free", "group_id", "role_id"} {
		f.get(k)
	}
	f.done()
}

func parseRole(raw json.RawMessage, create bool, ch *checker) (role, json.RawMessage, string) {
	var r role
	f, ok := ch.object(raw, "")
	if !ok {
		return r, nil, ""
	}
	rid, label := f.requestID()
	if create {
		f.require("name")
	}
	r.Name, _ = f.str("name")
	if raw, ok := f.get("rights"); ok {
		if rf, ok := ch.object(raw, "rights"); ok {
			checkRights(rf)
			r.Rights = raw
		}
	}
	f.done()
	return r, rid, label
}

func listRoles(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	lq, rep := c.s.parseList(c.r.URL.Query())
	if rep != nil {
		return *rep
	}
	if rep := c.refuseUnknown(c.r.URL.Query(), nil, []string{"users"}); rep != nil {
		return *rep
	}
	var items []*role
	for _, r := range c.crm().Roles {
		items = append(items, r)
	}
	sortBy(items, lq, func(r *role, _ string) int64 { return r.ID })
	return pageOf(c.r, lq, "roles", items, func(r *role) obj { return c.renderRole(r, lq.with["users"]) })
}

func getRole(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	r := c.crm().Roles[c.pathID("id")]
	if r == nil {
		return notFound()
	}
	return okReply(c.renderRole(r, strings.Contains(c.r.URL.Query().Get("with"), "users")))
}

func createRoles(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	type roleWrite struct {
		r   role
		rid json.RawMessage
	}
	writes, rep := parseWrites(c.body, maxBatch, detailLimit250, func(raw json.RawMessage, ch *checker) (roleWrite, string) {
		r, rid, label := parseRole(raw, true, ch)
		return roleWrite{r, rid}, label
	})
	if rep != nil {
		return *rep
	}
	out := make([]obj, 0, len(writes))
	for i, w := range writes {
		r := w.r
		r.ID = c.st().Next("role")
		c.crm().Roles[r.ID] = &r
		o := c.renderRole(&r, false)
		o["request_id"] = echoRequestID(w.rid, i)
		out = append(out, o)
	}
	rep2 := c.embeddedReply("roles", out)
	rep2.status = http.StatusCreated
	return rep2
}

func updateRole(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	cur := c.crm().Roles[c.pathID("id")]
	if cur == nil {
		return notFound()
	}
	if rep := parseObjectBody(c.body); rep != nil {
		return *rep
	}
	var ch checker
	r, _, _ := parseRole(c.body, false, &ch)
	var errs batchErrors
	errs.add(0, "0", &ch)
	if len(errs) > 0 {
		return validationReply(errs)
	}
	if r.Name != "" {
		cur.Name = r.Name
	}
	if r.Rights != nil {
		cur.Rights = r.Rights
	}
	return reply{status: http.StatusAccepted, body: c.renderRole(cur, false)}
}

func deleteRole(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	id := c.pathID("id")
	if c.crm().Roles[id] == nil {
		return notFound()
	}
	delete(c.crm().Roles, id)
	return noContent()
}

// maxUsersBatch is the most users one request adds; maxUsersAccount the size past which amoCRM
// refuses to add any.
const (
	maxUsersBatch   = 10
	maxUsersAccount = 100
)

// createUsers is POST /api/v4/users: name (at most 50 characters), email and password are
// required; rights are checked like a role's; the answer is 201.
func createUsers(c *call) reply {
	if rep := c.adminOnly(); rep != nil {
		return *rep
	}
	if len(c.acct.UserIDs) > maxUsersAccount {
		return problem(http.StatusForbidden, "Users cannot be added to an account with more than 100 users")
	}
	type uw struct {
		rid               json.RawMessage
		name, email, lang string
	}
	writes, rep := parseWrites(c.body, maxUsersBatch, "Limit 10 per request", func(raw json.RawMessage, ch *checker) (uw, string) {
		var w uw
		f, ok := ch.object(raw, "")
		if !ok {
			return w, ""
		}
		var label string
		w.rid, label = f.requestID()
		f.require("name", "email", "password")
		w.name, _ = f.str("name")
		if n := len([]rune(w.name)); n > 50 || (f.has("name") && strings.TrimSpace(w.name) == "") {
			ch.add(codeNotSupported, "name", "At most 50 characters, not blank")
		}
		w.email, _ = f.str("email")
		f.str("password")
		w.lang, _ = f.str("lang")
		if raw, ok := f.get("rights"); ok {
			if rf, ok := ch.object(raw, "rights"); ok {
				checkRights(rf)
			}
		}
		f.done()
		return w, label
	})
	if rep != nil {
		return *rep
	}
	out := make([]obj, 0, len(writes))
	for i, w := range writes {
		u := c.st().newUser(c.acct, User{Name: w.name, Email: w.email, Lang: w.lang})
		o := c.renderUser(u)
		o["request_id"] = echoRequestID(w.rid, i)
		out = append(out, o)
	}
	rep2 := c.embeddedReply("users", out)
	rep2.status = http.StatusCreated
	return rep2
}

func roleRoutes(m *mux) {
	m.api("POST /api/v4/users", createUsers)
	m.api("GET /api/v4/roles", listRoles)
	m.api("POST /api/v4/roles", createRoles)
	m.api("GET /api/v4/roles/{id}", getRole)
	m.api("PATCH /api/v4/roles/{id}", updateRole)
	m.api("DELETE /api/v4/roles/{id}", deleteRole)
}
