package amocrmtest

import "time"

// Contact is a contact (контакт) of an account
// (docs/amocrm-reference.md#contact-object). PHONE and EMAIL are multitext custom
// fields with enum codes such as "WORK" and "MOB".
type Contact struct {
	ID                int64
	AccountID         int64
	Name              string
	FirstName         string
	LastName          string
	ResponsibleUserID int64
	CreatedBy         int64
	UpdatedBy         int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
	CustomFields      []CustomFieldValue
	Tags              []string
	// CompanyID is the linked company, if any.
	CompanyID int64
	// LeadIDs are the linked leads (read-back only).
	LeadIDs []int64
}

// Company is a company (компания) of an account. The fake stores companies
// so that complex lead creation, links and company notes work; it serves the
// same list, get, create and update endpoints as for contacts.
type Company struct {
	ID                int64
	AccountID         int64
	Name              string
	ResponsibleUserID int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
	CustomFields      []CustomFieldValue
	Tags              []string
}

func (s *Server) exportContact(e *entity) Contact {
	out := Contact{
		ID: e.ID, AccountID: e.AccountID, Name: e.Name, FirstName: e.FirstName, LastName: e.LastName,
		ResponsibleUserID: e.ResponsibleUserID, CreatedBy: e.CreatedBy, UpdatedBy: e.UpdatedBy,
		CreatedAt: unix(e.CreatedAt), UpdatedAt: unix(e.UpdatedAt), CustomFields: exportCF(e.CF),
		Tags: s.st.TagList(e),
	}
	for _, lv := range s.st.LinksOf(e.AccountID, "contacts", e.ID) {
		switch lv.ToType {
		case "leads":
			out.LeadIDs = append(out.LeadIDs, lv.ToID)
		case "companies":
			out.CompanyID = lv.ToID
		}
	}
	return out
}

func (s *Server) exportCompany(e *entity) Company {
	return Company{
		ID: e.ID, AccountID: e.AccountID, Name: e.Name, ResponsibleUserID: e.ResponsibleUserID,
		CreatedAt: unix(e.CreatedAt), UpdatedAt: unix(e.UpdatedAt), CustomFields: exportCF(e.CF),
		Tags: s.st.TagList(e),
	}
}

// Contact returns a copy of the contact with the given id.
func (s *Server) Contact(id int64) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.st.Entity("contacts", id)
	if e == nil {
		return Contact{}, false
	}
	return s.exportContact(e), true
}

// Contacts returns copies of all contacts of an account, by id.
func (s *Server) Contacts(subdomain string) []Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.AccountBySubdomain(subdomain)
	var out []Contact
	for _, e := range s.st.Entities("contacts") {
		if a != nil && e.AccountID == a.ID {
			out = append(out, s.exportContact(e))
		}
	}
	sortByID(out, func(c Contact) int64 { return c.ID })
	return out
}

// Company returns a copy of the company with the given id.
func (s *Server) Company(id int64) (Company, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.st.Entity("companies", id)
	if e == nil {
		return Company{}, false
	}
	return s.exportCompany(e), true
}

// AddContact seeds a contact and returns it with its id. The name defaults
// to "FirstName LastName". It panics on a bad reference or field value.
func (a *Account) AddContact(c Contact) Contact {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	e := a.addEntity(seedEntity{
		kind: "contacts", name: c.Name, first: c.FirstName, last: c.LastName,
		responsible: c.ResponsibleUserID, created: c.CreatedBy, updated: c.UpdatedBy,
		createdAt: c.CreatedAt, updatedAt: c.UpdatedAt, cf: c.CustomFields, tags: c.Tags,
		company: c.CompanyID,
	})
	return a.s.exportContact(e)
}

// AddCompany seeds a company and returns it with its id.
func (a *Account) AddCompany(c Company) Company {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	e := a.addEntity(seedEntity{
		kind: "companies", name: c.Name, responsible: c.ResponsibleUserID,
		createdAt: c.CreatedAt, updatedAt: c.UpdatedAt, cf: c.CustomFields, tags: c.Tags,
	})
	return a.s.exportCompany(e)
}
