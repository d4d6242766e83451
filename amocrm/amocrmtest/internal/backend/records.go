package backend

import (
	"encoding/json"
	"time"
)

// The records below are what the store holds. They are plain data: the
// server's handlers read and change their fields under the server's lock,
// and render them to JSON themselves. Times are unix seconds, 0 for none.

// Account is one amoCRM account with its main pipeline, custom field
// definitions and tags.
type Account struct {
	ID         int64
	Subdomain  string
	Name       string
	CreatedAt  int64
	AdminID    int64
	UserIDs    []int64
	PipelineID int64 // the main pipeline; others live with the services' data
	Statuses   []Status
	Fields     map[string][]*FieldDef // entity type → custom fields
	ProductsID int64                  // the products catalog
	TagIDs     map[string]int64       // lowercased name → id
	TagNames   map[int64]string
	UUID       string
	AmojoID    string
	Unpaid     bool   // the paid period is over: the API answers 402
	Timezone   string // the IANA zone of datetime_settings; "" is Europe/Moscow
}

// Status is a stage of the main pipeline.
type Status struct {
	ID    int64
	Name  string
	Sort  int
	Type  int
	Color string
}

// DefaultStatus is the first stage after "unsorted" of the main pipeline,
// where a lead lands when no status_id is given.
func (a *Account) DefaultStatus() int64 { return a.Statuses[1].ID }

// HasStatus reports whether id is a stage of the main pipeline.
func (a *Account) HasStatus(id int64) bool {
	for _, st := range a.Statuses {
		if st.ID == id {
			return true
		}
	}
	return false
}

// User is a user of an account.
type User struct {
	ID        int64
	AccountID int64
	Name      string
	Email     string
	Lang      string
	Admin     bool
	Access    Access
}

// Access is the part of a user that decides what it may do.
type Access struct {
	Group          int64
	Rights         map[string]Rights // by entity kind: "leads", "contacts", "companies"
	Free, Inactive bool
}

// Rights are a user's letters ("A", "G", "M", "D") for one kind of entity;
// an empty letter means "A".
type Rights struct {
	View, Edit, Add, Delete, Export string
}

// Letter returns the user's right for action ("view", "edit", "add",
// "delete", "export") on kind.
func (u *User) Letter(kind, action string) string {
	r := u.Access.Rights[kind]
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

// FieldDef is a custom field of an entity type or of a catalog.
type FieldDef struct {
	ID        int64
	Name      string
	Code      string
	Type      string
	Sort      int
	Enums     []EnumDef
	CatalogID int64
	Entity    string
}

// EnumDef is one option of a field.
type EnumDef struct {
	ID    int64
	Value string
	Sort  int
	Code  string // "" for most options (see FieldDef.EnumCode)
}

// EnumCode is the code of one of d's options: its own, or for a multitext
// field (PHONE, EMAIL) its value ("WORK"); options of select-like user
// fields have none.
func (d *FieldDef) EnumCode(e EnumDef) string {
	if e.Code != "" {
		return e.Code
	}
	if d.Type == "multitext" {
		return e.Value
	}
	return ""
}

// CFValue is the value of one custom field of an entity or element.
type CFValue struct {
	Def    *FieldDef
	Values []FieldValue
}

// FieldValue is one value of a custom field.
type FieldValue struct {
	Value    string
	EnumID   int64
	EnumCode string
}

// Entity is a lead, a contact or a company.
type Entity struct {
	Kind              string // "leads", "contacts" or "companies"
	ID                int64
	AccountID         int64
	Name              string
	FirstName         string
	LastName          string
	Price             int64
	ResponsibleUserID int64
	GroupID           int64
	StatusID          int64
	PipelineID        int64
	LossReasonID      int64
	CreatedBy         int64
	UpdatedBy         int64
	CreatedAt         int64
	UpdatedAt         int64
	ClosedAt          int64
	CF                []CFValue
	Tags              []int64
	// The stage and responsible user before the latest change of each through the API, which
	// status and responsible webhooks carry; 0 until one changes.
	OldStatusID, OldPipelineID, OldResponsibleUserID int64
}

// Note is a note of an entity.
type Note struct {
	ID          int64
	AccountID   int64
	EntityType  string
	EntityID    int64
	NoteType    string
	Params      json.RawMessage
	Responsible int64
	CreatedBy   int64
	UpdatedBy   int64
	CreatedAt   int64
	UpdatedAt   int64
	Pinned      bool
}

// Catalog is a list (catalog) of an account, the products one included.
type Catalog struct {
	ID        int64
	AccountID int64
	Name      string
	Type      string
	Sort      int
	CreatedBy int64
	CreatedAt int64
	UpdatedAt int64
	Fields    []*FieldDef
}

// Element is an element of a catalog.
type Element struct {
	ID        int64
	CatalogID int64
	AccountID int64
	Name      string
	CF        []CFValue
	CreatedBy int64
	UpdatedBy int64
	CreatedAt int64
	UpdatedAt int64
}

// Link is an undirected relation between two entities; Meta is the JSON
// object sent with it (or nil).
type Link struct {
	AccountID int64
	AType     string
	AID       int64
	BType     string
	BID       int64
	Meta      json.RawMessage
}

// Joins reports whether l relates the two entities, in either direction.
func (l *Link) Joins(aType string, aID int64, bType string, bID int64) bool {
	return (l.AType == aType && l.AID == aID && l.BType == bType && l.BID == bID) ||
		(l.AType == bType && l.AID == bID && l.BType == aType && l.BID == aID)
}

// LinkView is a stored link oriented from one side.
type LinkView struct {
	FromType string
	FromID   int64
	ToType   string
	ToID     int64
	Meta     json.RawMessage
}

// Webhook is an account's subscription of a destination URL to events.
type Webhook struct {
	ID, AccountID, CreatedBy int64
	Destination              string
	Settings                 []string // the events
	Sort                     int
	Disabled                 bool
	CreatedAt, UpdatedAt     int64
	Failures                 []time.Time // failed deliveries within the window that counts them
}
