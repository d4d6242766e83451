package amocrmtest

import (
	"fmt"
	"time"
)

// Lead is a deal (сделка) of an account (docs/amocrm-reference.md#lead-object). Seed
// leads with (*Account).AddLead; read them back with (*Server).Lead.
type Lead struct {
	// ID and AccountID are assigned by the server.
	ID        int64
	AccountID int64
	// Name defaults to "Сделка #<id>".
	Name string
	// Price is in whole units of the account's currency, as on the wire.
	Price int64
	// ResponsibleUserID, CreatedBy and UpdatedBy default to the account's
	// admin.
	ResponsibleUserID int64
	CreatedBy         int64
	UpdatedBy         int64
	// StatusID and PipelineID default to the first stage of the main pipeline.
	StatusID   int64
	PipelineID int64
	// CreatedAt and UpdatedAt default to the server clock's now.
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ClosedAt     time.Time
	CustomFields []CustomFieldValue
	// Tags are tag names.
	Tags []string
	// ContactIDs are the linked contacts; when seeding, the first becomes
	// the main contact.
	ContactIDs []int64
	// CompanyID is the linked company, if any.
	CompanyID int64
}

func complexCreate(c *call) reply {
	writes, rep := c.parseEntities("leads", modeComplex, maxComplexBatch, "Limit 50 per request")
	if rep != nil {
		return *rep
	}
	out := make([]obj, 0, len(writes))
	st := c.st()
	for i, w := range writes {
		lead := c.create("leads", w)
		var contact, company *entity
		for _, nw := range w.nestedContacts {
			if contact = c.entity("contacts", nw.id); !nw.hasID {
				contact = c.create("contacts", nw)
			}
			st.SetLink(c.acct.ID, "leads", lead.ID, "contacts", contact.ID, marshal(obj{"is_main": true}))
		}
		for _, nw := range w.nestedCompanies {
			if company = c.entity("companies", nw.id); !nw.hasID {
				company = c.create("companies", nw)
			}
			st.SetLink(c.acct.ID, "leads", lead.ID, "companies", company.ID, nil)
		}
		if contact != nil && company != nil {
			st.SetLink(c.acct.ID, "contacts", contact.ID, "companies", company.ID, nil)
		}
		res := obj{"id": lead.ID, "contact_id": nil, "company_id": nil, "request_id": []any{echoRequestID(w.requestID, i)}, "merged": false}
		if contact != nil {
			res["contact_id"] = contact.ID
		}
		if company != nil {
			res["company_id"] = company.ID
		}
		out = append(out, res)
	}
	return okReply(out)
}

func (s *Server) exportLead(e *entity) Lead {
	l := Lead{
		ID: e.ID, AccountID: e.AccountID, Name: e.Name, Price: e.Price,
		ResponsibleUserID: e.ResponsibleUserID, CreatedBy: e.CreatedBy, UpdatedBy: e.UpdatedBy,
		StatusID: e.StatusID, PipelineID: e.PipelineID, CreatedAt: unix(e.CreatedAt),
		UpdatedAt: unix(e.UpdatedAt), ClosedAt: unix(e.ClosedAt), CustomFields: exportCF(e.CF),
		Tags: s.st.TagList(e),
	}
	for _, lv := range s.st.LinksOf(e.AccountID, "leads", e.ID) {
		switch lv.ToType {
		case "contacts":
			l.ContactIDs = append(l.ContactIDs, lv.ToID)
		case "companies":
			l.CompanyID = lv.ToID
		}
	}
	return l
}

// Lead returns a copy of the lead with the given id.
func (s *Server) Lead(id int64) (Lead, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.st.Entity("leads", id)
	if e == nil {
		return Lead{}, false
	}
	return s.exportLead(e), true
}

// Leads returns copies of all leads of an account, by id.
func (s *Server) Leads(subdomain string) []Lead {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.AccountBySubdomain(subdomain)
	var out []Lead
	for _, e := range s.st.Entities("leads") {
		if a != nil && e.AccountID == a.ID {
			out = append(out, s.exportLead(e))
		}
	}
	sortByID(out, func(l Lead) int64 { return l.ID })
	return out
}

// seedEntity is the common part of AddLead, AddContact and AddCompany: it
// checks references, then stores the entity. It panics on a bad reference.
type seedEntity struct {
	kind                 string
	name, first, last    string
	price                int64
	responsible, created int64
	updated              int64
	status, pipeline     int64
	createdAt, updatedAt time.Time
	closedAt             time.Time
	cf                   []CustomFieldValue
	tags                 []string
	contacts             []int64
	company              int64
}

func (a *Account) addEntity(se seedEntity) *entity {
	st := a.s.st
	acct := st.Account(a.ID)
	c := a.s.seedCall(a.ID)
	fail := func(format string, args ...any) {
		panic(fmt.Sprintf("amocrmtest: add %s: %s", se.kind, fmt.Sprintf(format, args...)))
	}
	for _, id := range []int64{se.responsible, se.created, se.updated} {
		if id != 0 && !c.isUser(id) {
			fail("no user %d in account %s", id, a.Subdomain)
		}
	}
	if se.status != 0 && !acct.HasStatus(se.status) {
		fail("no status %d", se.status)
	}
	if se.pipeline != 0 && se.pipeline != acct.PipelineID {
		fail("no pipeline %d", se.pipeline)
	}
	for _, id := range se.contacts {
		if c.entity("contacts", id) == nil {
			fail("no contact %d", id)
		}
	}
	if se.company != 0 && c.entity("companies", se.company) == nil {
		fail("no company %d", se.company)
	}
	ups, err := importCF(acct.Fields[se.kind], se.cf)
	if err != nil {
		fail("%v", err)
	}
	e := st.NewEntity(acct, se.kind, c.userID, c.now)
	e.Name, e.FirstName, e.LastName, e.Price = se.name, se.first, se.last, se.price
	setNonZero := func(dst *int64, v int64) {
		if v != 0 {
			*dst = v
		}
	}
	setNonZero(&e.ResponsibleUserID, se.responsible)
	setNonZero(&e.CreatedBy, se.created)
	setNonZero(&e.UpdatedBy, se.updated)
	setNonZero(&e.StatusID, se.status)
	setNonZero(&e.PipelineID, se.pipeline)
	setNonZero(&e.CreatedAt, unixOrZero(se.createdAt))
	setNonZero(&e.UpdatedAt, unixOrZero(se.updatedAt))
	setNonZero(&e.ClosedAt, unixOrZero(se.closedAt))
	e.CF = applyCF(nil, ups)
	for _, t := range se.tags {
		e.Tags = appendUnique(e.Tags, st.TagID(acct, 0, t))
	}
	finishNew(e)
	for i, id := range se.contacts {
		st.SetLink(a.ID, se.kind, e.ID, "contacts", id, marshal(obj{"is_main": i == 0}))
	}
	if se.company != 0 {
		st.SetLink(a.ID, se.kind, e.ID, "companies", se.company, nil)
	}
	return e
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// AddLead seeds a lead and returns it with its id. ContactIDs and CompanyID
// must name existing entities of the account; custom fields must be fields
// of its leads. It panics otherwise.
func (a *Account) AddLead(l Lead) Lead {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	e := a.addEntity(seedEntity{
		kind: "leads", name: l.Name, price: l.Price, responsible: l.ResponsibleUserID,
		created: l.CreatedBy, updated: l.UpdatedBy, status: l.StatusID, pipeline: l.PipelineID,
		createdAt: l.CreatedAt, updatedAt: l.UpdatedAt, closedAt: l.ClosedAt,
		cf: l.CustomFields, tags: l.Tags, contacts: l.ContactIDs, company: l.CompanyID,
	})
	return a.s.exportLead(e)
}
