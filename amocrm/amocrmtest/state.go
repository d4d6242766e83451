package amocrmtest

import (
	"fmt"
	"strconv"
	"time"

	"github.com/amokit/amokit/amocrm/amocrmtest/internal/backend"
)

// state is everything the server knows. Its data (accounts, users, entities,
// notes, catalogs, links, the other services' data, webhook subscriptions,
// the Drive, and OAuth integrations with their codes and tokens) is the
// embedded backend.Store, kept apart from the HTTP handlers; beside it is
// what belongs to the test harness: faults and the request record with its
// counters. A handler parses its request, checks it against the state and
// calls the store's operations, all under Server.mu, which guards it.
type state struct {
	*backend.Store

	reqSeq int64

	faults []*faultRule

	requests []*recEntry
	counters Counters
}

func newState() *state {
	return &state{
		Store:    backend.New(),
		counters: Counters{ByStatus: map[int]int{}},
	}
}

// The handlers name the store's records by these short names.
type (
	account    = backend.Account
	status     = backend.Status
	user       = backend.User
	access     = backend.Access
	fieldDef   = backend.FieldDef
	enumDef    = backend.EnumDef
	cfValue    = backend.CFValue
	fieldValue = backend.FieldValue
	entity     = backend.Entity
	note       = backend.Note
	catalog    = backend.Catalog
	element    = backend.Element
	linkView   = backend.LinkView
)

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

// newField makes the definition of f, with new ids for it and its options.
func (st *state) newField(f CustomField, entity string, catalogID int64) *fieldDef {
	d := &fieldDef{ID: st.Next("field"), Name: f.Name, Code: f.Code, Type: f.Type, Sort: f.Sort, Entity: entity, CatalogID: catalogID}
	if d.Type == "" {
		d.Type = "text"
	}
	for i, e := range f.Enums {
		sort := e.Sort
		if sort == 0 {
			sort = (i + 1) * 10
		}
		d.Enums = append(d.Enums, enumDef{ID: st.Next("enum"), Value: e.Value, Sort: sort, Code: e.Code})
	}
	return d
}

// newUser makes and stores a user of a from u, filling in its defaults.
func (st *state) newUser(a *account, u User) *user {
	nu := &user{ID: st.Next("user"), AccountID: a.ID, Name: u.Name, Email: u.Email, Lang: u.Lang, Admin: u.IsAdmin, Access: accessOf(u)}
	if nu.Email == "" {
		nu.Email = "user" + strconv.FormatInt(nu.ID, 10) + "@" + a.Subdomain + ".example"
	}
	if nu.Lang == "" {
		nu.Lang = "ru"
	}
	st.AddUser(nu)
	return nu
}
