package amocrmtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// state is everything the server knows: the in-memory model of every
// account, kept apart from the HTTP handlers. This file holds the model and
// the operations that change it; a handler parses its request, checks it
// against the state and calls them, all under Server.mu, which guards it.
type state struct {
	seq    map[string]int64
	reqSeq int64

	accounts     map[int64]*account
	bySubdomain  map[string]*account
	users        map[int64]*user
	integrations map[string]*integration
	entities     map[string]map[int64]*entity // "leads", "contacts", "companies"
	notes        map[int64]*note
	catalogs     map[int64]*catalog
	elements     map[int64]*element
	links        []*link

	codes   map[string]*authCode
	access  map[string]*pairRef
	refresh map[string]*pairRef
	grants  []*grant

	faults []*faultRule

	requests []*recEntry
	counters Counters

	crm crmState // tasks, pipelines, roles, sources, field groups, events: crm.go
}

func newState() *state {
	return &state{
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
		accounts:     map[int64]*account{},
		bySubdomain:  map[string]*account{},
		users:        map[int64]*user{},
		integrations: map[string]*integration{},
		entities: map[string]map[int64]*entity{
			"leads": {}, "contacts": {}, "companies": {},
		},
		notes:    map[int64]*note{},
		catalogs: map[int64]*catalog{},
		elements: map[int64]*element{},
		codes:    map[string]*authCode{},
		access:   map[string]*pairRef{},
		refresh:  map[string]*pairRef{},
		counters: Counters{ByStatus: map[int]int{}},
	}
}

// next returns the next id of a kind. Ids are sequential per kind, so a
// test that seeds in a fixed order always sees the same ids.
func (st *state) next(kind string) int64 {
	st.seq[kind]++
	return st.seq[kind]
}

type account struct {
	id         int64
	subdomain  string
	name       string
	createdAt  int64
	adminID    int64
	userIDs    []int64
	pipelineID int64
	statuses   []status
	fields     map[string][]*fieldDef // entity type → custom fields
	productsID int64
	tagIDs     map[string]int64
	tagNames   map[int64]string
	uuid       string
	amojoID    string
	unpaid     bool // the paid period is over: the API answers 402
}

type status struct {
	id    int64
	name  string
	sort  int
	typ   int
	color string
}

// defaultStatus is the first stage after "unsorted" of the main pipeline,
// where a lead lands when no status_id is given.
func (a *account) defaultStatus() int64 { return a.statuses[1].id }

func (a *account) hasStatus(id int64) bool {
	for _, st := range a.statuses {
		if st.id == id {
			return true
		}
	}
	return false
}

type user struct {
	id        int64
	accountID int64
	name      string
	email     string
	lang      string
	admin     bool
	access    access // rights, group and status: users.go
}

type fieldDef struct {
	id        int64
	name      string
	code      string
	typ       string
	sort      int
	enums     []enumDef
	catalogID int64
	entity    string
}

type enumDef struct {
	id    int64
	value string
	sort  int
	code  string // "" for most options (see fieldDef.enumCode)
}

// entity is a lead, a contact or a company.
type entity struct {
	kind              string
	id                int64
	accountID         int64
	name              string
	firstName         string
	lastName          string
	price             int64
	responsibleUserID int64
	groupID           int64
	statusID          int64
	pipelineID        int64
	lossReasonID      int64
	createdBy         int64
	updatedBy         int64
	createdAt         int64
	updatedAt         int64
	closedAt          int64
	cf                []cfValue
	tags              []int64
}

type note struct {
	id          int64
	accountID   int64
	entityType  string
	entityID    int64
	noteType    string
	params      json.RawMessage
	responsible int64
	createdBy   int64
	updatedBy   int64
	createdAt   int64
	updatedAt   int64
	pinned      bool
}

type catalog struct {
	id        int64
	accountID int64
	name      string
	typ       string
	sort      int
	createdBy int64
	createdAt int64
	updatedAt int64
	fields    []*fieldDef
}

type element struct {
	id        int64
	catalogID int64
	accountID int64
	name      string
	cf        []cfValue
	createdBy int64
	updatedBy int64
	createdAt int64
	updatedAt int64
}

// link is an undirected relation between two entities; meta is the JSON
// object sent with it (or nil).
type link struct {
	accountID int64
	aType     string
	aID       int64
	bType     string
	bID       int64
	meta      json.RawMessage
}

// fakeUUID makes a deterministic UUID-shaped string from a kind and a number.
func fakeUUID(kind byte, n int64) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(kind)<<24|uint32(n>>32), uint16(n>>16), uint16(n)&0xfff, kind, n)
}

func unix(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(t, 0)
}

// nullableTime is a unix time for JSON, or null for zero.
func nullableTime(t int64) any {
	if t == 0 {
		return nil
	}
	return t
}

func nullableID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// The operations below change the state and nothing else: no request, no reply. Handlers
// (one file per API area) parse a request, check it against the state, and call them.

func (st *state) newElement(cat *catalog, userID, now int64) *element {
	el := &element{
		id: st.next("element"), catalogID: cat.id, accountID: cat.accountID,
		createdBy: userID, updatedBy: userID, createdAt: now, updatedAt: now,
	}
	st.elements[el.id] = el
	return el
}

func (st *state) newCatalog(a *account, name, typ string, now int64) *catalog {
	cat := &catalog{
		id: st.next("catalog"), accountID: a.id, name: name, typ: typ,
		sort: 10 * (len(st.catalogs) + 1), createdBy: a.adminID, createdAt: now, updatedAt: now,
	}
	st.catalogs[cat.id] = cat
	return cat
}

func (st *state) newField(f CustomField, entity string, catalogID int64) *fieldDef {
	d := &fieldDef{id: st.next("field"), name: f.Name, code: f.Code, typ: f.Type, sort: f.Sort, entity: entity, catalogID: catalogID}
	if d.typ == "" {
		d.typ = "text"
	}
	for i, e := range f.Enums {
		sort := e.Sort
		if sort == 0 {
			sort = (i + 1) * 10
		}
		d.enums = append(d.enums, enumDef{id: st.next("enum"), value: e.Value, sort: sort, code: e.Code})
	}
	return d
}

func (st *state) tagID(a *account, t tagRef) int64 {
	if t.id != 0 {
		return t.id
	}
	if id, ok := a.tagIDs[strings.ToLower(t.name)]; ok {
		return id
	}
	id := st.next("tag")
	a.tagIDs[strings.ToLower(t.name)] = id
	a.tagNames[id] = t.name
	return id
}

// newEntity makes an entity with the defaults of a create by user.
func (st *state) newEntity(a *account, kind string, userID, now int64) *entity {
	e := &entity{
		kind: kind, id: st.next(kind), accountID: a.id, responsibleUserID: userID,
		createdBy: userID, updatedBy: userID, createdAt: now, updatedAt: now,
	}
	if kind == "leads" {
		e.pipelineID = a.pipelineID
		e.statusID = a.defaultStatus()
	}
	st.entities[kind][e.id] = e
	return e
}

func (st *state) tagList(e *entity) []string {
	a := st.accounts[e.accountID]
	var out []string
	for _, id := range e.tags {
		out = append(out, a.tagNames[id])
	}
	return out
}

func (st *state) linksOf(accountID int64, typ string, id int64) []linkView {
	var out []linkView
	for _, l := range st.links {
		if l.accountID != accountID {
			continue
		}
		switch {
		case l.aType == typ && l.aID == id:
			out = append(out, linkView{typ, id, l.bType, l.bID, l.meta})
		case l.bType == typ && l.bID == id:
			out = append(out, linkView{typ, id, l.aType, l.aID, l.meta})
		}
	}
	return out
}

// setLink creates the link or, when it exists, replaces its metadata (how a
// product's quantity is changed; in-place update is UNVERIFIED,
// docs/amocrm-reference.md#products-on-a-lead).
func (st *state) setLink(accountID int64, aType string, aID int64, bType string, bID int64, meta json.RawMessage) {
	for _, l := range st.links {
		if l.accountID == accountID && l.joins(aType, aID, bType, bID) {
			l.meta = meta
			return
		}
	}
	st.links = append(st.links, &link{accountID: accountID, aType: aType, aID: aID, bType: bType, bID: bID, meta: meta})
}

func (st *state) unlink(accountID int64, aType string, aID int64, bType string, bID int64) {
	st.links = slices.DeleteFunc(st.links, func(l *link) bool {
		return l.accountID == accountID && l.joins(aType, aID, bType, bID)
	})
}

func (st *state) newNote(accountID int64, kind string, entityID, userID, now int64) *note {
	n := &note{
		id: st.next("note"), accountID: accountID, entityType: kind, entityID: entityID,
		responsible: userID, createdBy: userID, updatedBy: userID, createdAt: now, updatedAt: now,
		params: json.RawMessage("{}"),
	}
	st.notes[n.id] = n
	return n
}

func (st *state) newUser(a *account, u User) *user {
	nu := &user{id: st.next("user"), accountID: a.id, name: u.Name, email: u.Email, lang: u.Lang, admin: u.IsAdmin, access: accessOf(u)}
	if nu.email == "" {
		nu.email = "user" + strconv.FormatInt(nu.id, 10) + "@" + a.subdomain + ".example"
	}
	if nu.lang == "" {
		nu.lang = "ru"
	}
	st.users[nu.id] = nu
	a.userIDs = append(a.userIDs, nu.id)
	return nu
}
