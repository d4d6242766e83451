package amocrmtest

import (
	"encoding/json"
	"fmt"
	"time"
)

// state is everything the server knows. It is guarded by Server.mu.
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
