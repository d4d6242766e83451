// Package backend is the in-memory data of the fake amoCRM in package
// amocrmtest: accounts, users, leads, contacts, companies, notes, catalogs
// and their elements, the links between them, and each account's data of
// the other services (tasks, pipelines, roles, sources, field groups,
// events), webhook subscriptions, the Drive's files, and the OAuth
// integrations with the codes and tokens issued for them. It knows nothing of HTTP:
// the server's handlers decode a request, check it against the store, call
// the operations here, and encode the answer.
//
// A Store does no locking; the server guards it with its own mutex, and
// every method must be called under it.
package backend

import (
	"encoding/json"
	"iter"
	"maps"
	"slices"
	"strings"
)

// Store is everything one fake server knows about its accounts.
type Store struct {
	seq map[string]int64

	accounts    map[int64]*Account
	bySubdomain map[string]*Account
	users       map[int64]*User
	entities    map[string]map[int64]*Entity // "leads", "contacts", "companies"
	notes       map[int64]*Note
	catalogs    map[int64]*Catalog
	elements    map[int64]*Element
	links       []*Link
	services    map[int64]*Services
	webhooks    []*Webhook
	drive       *Drive

	integrations map[string]*Integration
	codes        map[string]*AuthCode
	access       map[string]*PairRef // by access token
	refresh      map[string]*PairRef // by refresh token
	grants       []*Grant
}

// New returns an empty store.
func New() *Store {
	return &Store{
		seq: map[string]int64{
			"account":   31000000,
			"user":      9000000,
			"leads":     21000000,
			"contacts":  41000000,
			"companies": 51000000,
			"note":      61000000,
			"catalog":   10000,
			"element":   810000,
			"field":     500000,
			"enum":      600000,
			"pipeline":  7000000,
			"status":    70000000,
			"tag":       100000,
			"group":     0,
		},
		accounts:    map[int64]*Account{},
		bySubdomain: map[string]*Account{},
		users:       map[int64]*User{},
		entities: map[string]map[int64]*Entity{
			"leads": {}, "contacts": {}, "companies": {},
		},
		notes:    map[int64]*Note{},
		catalogs: map[int64]*Catalog{},
		elements: map[int64]*Element{},
		services: map[int64]*Services{},

		integrations: map[string]*Integration{},
		codes:        map[string]*AuthCode{},
		access:       map[string]*PairRef{},
		refresh:      map[string]*PairRef{},
	}
}

// Next returns the next id of a kind ("leads", "note", "field", …). Ids are
// sequential per kind, so a test that seeds in a fixed order always sees the
// same ids.
func (st *Store) Next(kind string) int64 {
	st.seq[kind]++
	return st.seq[kind]
}

// AddAccount stores a, under its ID and its subdomain.
func (st *Store) AddAccount(a *Account) {
	st.accounts[a.ID] = a
	st.bySubdomain[a.Subdomain] = a
}

// Account returns the account with the id, or nil.
func (st *Store) Account(id int64) *Account { return st.accounts[id] }

// AccountBySubdomain returns the account with the subdomain, or nil.
func (st *Store) AccountBySubdomain(subdomain string) *Account { return st.bySubdomain[subdomain] }

// Accounts yields every account, in no order.
func (st *Store) Accounts() iter.Seq2[int64, *Account] { return maps.All(st.accounts) }

// AddUser stores u and adds it to its account's users.
func (st *Store) AddUser(u *User) {
	st.users[u.ID] = u
	a := st.accounts[u.AccountID]
	a.UserIDs = append(a.UserIDs, u.ID)
}

// User returns the user with the id, of any account, or nil.
func (st *Store) User(id int64) *User { return st.users[id] }

// NewEntity makes and stores an entity of kind ("leads", "contacts",
// "companies") with the defaults of a create by the user: responsible,
// creator and editor, and for a lead the main pipeline's default stage.
func (st *Store) NewEntity(a *Account, kind string, userID, now int64) *Entity {
	e := &Entity{
		Kind: kind, ID: st.Next(kind), AccountID: a.ID, ResponsibleUserID: userID,
		CreatedBy: userID, UpdatedBy: userID, CreatedAt: now, UpdatedAt: now,
	}
	if kind == "leads" {
		e.PipelineID = a.PipelineID
		e.StatusID = a.DefaultStatus()
	}
	st.entities[kind][e.ID] = e
	return e
}

// Entity returns the entity of kind with the id, of any account, or nil.
func (st *Store) Entity(kind string, id int64) *Entity { return st.entities[kind][id] }

// Entities yields every entity of kind, of every account, in no order.
func (st *Store) Entities(kind string) iter.Seq2[int64, *Entity] { return maps.All(st.entities[kind]) }

// TagID returns the id of the account's tag: id itself when it is not 0,
// else the tag named name (case-insensitively), made on first use.
func (st *Store) TagID(a *Account, id int64, name string) int64 {
	if id != 0 {
		return id
	}
	if id, ok := a.TagIDs[strings.ToLower(name)]; ok {
		return id
	}
	id = st.Next("tag")
	a.TagIDs[strings.ToLower(name)] = id
	a.TagNames[id] = name
	return id
}

// TagList returns the names of e's tags.
func (st *Store) TagList(e *Entity) []string {
	a := st.accounts[e.AccountID]
	var out []string
	for _, id := range e.Tags {
		out = append(out, a.TagNames[id])
	}
	return out
}

// NewNote makes and stores an empty note of kind on the entity.
func (st *Store) NewNote(accountID int64, kind string, entityID, userID, now int64) *Note {
	n := &Note{
		ID: st.Next("note"), AccountID: accountID, EntityType: kind, EntityID: entityID,
		Responsible: userID, CreatedBy: userID, UpdatedBy: userID, CreatedAt: now, UpdatedAt: now,
		Params: json.RawMessage("{}"),
	}
	st.notes[n.ID] = n
	return n
}

// Note returns the note with the id, of any account, or nil.
func (st *Store) Note(id int64) *Note { return st.notes[id] }

// Notes yields every note, of every account, in no order.
func (st *Store) Notes() iter.Seq2[int64, *Note] { return maps.All(st.notes) }

// NewCatalog makes and stores an empty catalog of the account.
func (st *Store) NewCatalog(a *Account, name, typ string, now int64) *Catalog {
	cat := &Catalog{
		ID: st.Next("catalog"), AccountID: a.ID, Name: name, Type: typ,
		Sort: 10 * (len(st.catalogs) + 1), CreatedBy: a.AdminID, CreatedAt: now, UpdatedAt: now,
	}
	st.catalogs[cat.ID] = cat
	return cat
}

// Catalog returns the catalog with the id, of any account, or nil.
func (st *Store) Catalog(id int64) *Catalog { return st.catalogs[id] }

// Catalogs yields every catalog, of every account, in no order.
func (st *Store) Catalogs() iter.Seq2[int64, *Catalog] { return maps.All(st.catalogs) }

// NewElement makes and stores an unnamed element of the catalog.
func (st *Store) NewElement(cat *Catalog, userID, now int64) *Element {
	el := &Element{
		ID: st.Next("element"), CatalogID: cat.ID, AccountID: cat.AccountID,
		CreatedBy: userID, UpdatedBy: userID, CreatedAt: now, UpdatedAt: now,
	}
	st.elements[el.ID] = el
	return el
}

// Element returns the catalog element with the id, of any account, or nil.
func (st *Store) Element(id int64) *Element { return st.elements[id] }

// Elements yields every catalog element, of every account, in no order.
func (st *Store) Elements() iter.Seq2[int64, *Element] { return maps.All(st.elements) }

// Links yields every link, of every account, in the order they were made.
func (st *Store) Links() iter.Seq2[int, *Link] { return slices.All(st.links) }

// LinksOf returns the account's links of one entity, seen from it, in the
// order they were made.
func (st *Store) LinksOf(accountID int64, typ string, id int64) []LinkView {
	var out []LinkView
	for _, l := range st.links {
		if l.AccountID != accountID {
			continue
		}
		switch {
		case l.AType == typ && l.AID == id:
			out = append(out, LinkView{typ, id, l.BType, l.BID, l.Meta})
		case l.BType == typ && l.BID == id:
			out = append(out, LinkView{typ, id, l.AType, l.AID, l.Meta})
		}
	}
	return out
}

// SetLink creates the link or, when it exists, replaces its metadata (how a
// product's quantity is changed; in-place update is UNVERIFIED,
// docs/amocrm-reference.md#products-on-a-lead).
func (st *Store) SetLink(accountID int64, aType string, aID int64, bType string, bID int64, meta json.RawMessage) {
	for _, l := range st.links {
		if l.AccountID == accountID && l.Joins(aType, aID, bType, bID) {
			l.Meta = meta
			return
		}
	}
	st.links = append(st.links, &Link{AccountID: accountID, AType: aType, AID: aID, BType: bType, BID: bID, Meta: meta})
}

// Unlink removes the link between the two entities, if there is one.
func (st *Store) Unlink(accountID int64, aType string, aID int64, bType string, bID int64) {
	st.links = slices.DeleteFunc(st.links, func(l *Link) bool {
		return l.AccountID == accountID && l.Joins(aType, aID, bType, bID)
	})
}

// AddWebhook stores w, a new webhook subscription, with the next id.
func (st *Store) AddWebhook(w *Webhook) {
	w.ID = st.Next("webhook")
	st.webhooks = append(st.webhooks, w)
}

// Webhooks yields every webhook subscription, of every account, in the
// order they were made.
func (st *Store) Webhooks() iter.Seq2[int, *Webhook] { return slices.All(st.webhooks) }

// DeleteWebhook removes the account's subscription to destination and
// reports whether there was one.
func (st *Store) DeleteWebhook(accountID int64, destination string) bool {
	n := len(st.webhooks)
	st.webhooks = slices.DeleteFunc(st.webhooks, func(w *Webhook) bool {
		return w.AccountID == accountID && w.Destination == destination
	})
	return len(st.webhooks) < n
}
