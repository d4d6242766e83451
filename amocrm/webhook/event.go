package webhook

import (
	"fmt"
	"net/url"
	"time"

	"github.com/amokit/amokit/amocrm"
)

// Entity names what an event is about.
type Entity string

// The entities amoCRM sends webhooks for that this package decodes.
const (
	EntityLead    Entity = "lead"
	EntityContact Entity = "contact"
	EntityCompany Entity = "company"
	EntityTask    Entity = "task"
)

// Action names what happened to the entity.
type Action string

// The actions of amoCRM's webhooks. Status is a lead moved to another stage, Responsible a new
// responsible user, Note a note added to the entity.
const (
	ActionAdd         Action = "add"
	ActionUpdate      Action = "update"
	ActionDelete      Action = "delete"
	ActionRestore     Action = "restore"
	ActionStatus      Action = "status"
	ActionResponsible Action = "responsible"
	ActionNote        Action = "note"
)

// Delivery is one webhook request: the account it came from and its events, in the order of the
// payload. One request may carry several events.
type Delivery struct {
	Account Account
	Events  []Event
	// Ignored lists the parts of the payload this package does not decode, as "root" or
	// "root[action]" (such as "unsorted" or "customers[add]"), each once.
	Ignored []string
}

// Account is the account a delivery says it comes from. amoCRM does not sign webhooks, so this is
// a claim: the Handler checks it against the connected accounts (see Connections).
type Account struct {
	ID        int64
	Subdomain string
	// Self is the account's address from account[_links][self], such as https://acme.amocrm.ru;
	// "" when the payload has none.
	Self string
}

// Host returns the host of Self ("acme.amocrm.ru"), or "" when Self is empty or not a URL.
func (a Account) Host() string {
	u, err := url.Parse(a.Self)
	if err != nil {
		return ""
	}
	return u.Host
}

// Event is one thing that happened to one entity. Exactly one of Lead, Contact, Task and Note is
// set: Note for ActionNote, otherwise the one matching Entity (Contact for contacts and
// companies). A delete in amoCRM's short form carries only the id.
//
// An event is a hint, not a record: amoCRM does not sign webhooks and retries deliveries, so read
// the entity through the API (by Entity and ID) before acting on it, and act idempotently.
type Event struct {
	Entity Entity
	Action Action
	// ID is the id of the entity the event is about; for ActionNote, the entity the note was
	// added to.
	ID int64

	Lead    *Lead
	Contact *Contact
	Task    *Task
	Note    *Note
}

// Name returns the event's name as webhook subscriptions spell it, such as "status_lead" or
// "add_company".
func (e Event) Name() amocrm.WebhookEvent {
	return amocrm.WebhookEvent(string(e.Action) + "_" + string(e.Entity))
}

// Tag is a tag on a lead or contact.
type Tag struct {
	ID   int64
	Name string
}

// CustomField is a custom field's values as a webhook carries them: the old v2 shape, not the
// custom_fields_values of the REST API v4.
type CustomField struct {
	ID     int64
	Name   string
	Code   string // such as PHONE or EMAIL; often empty
	Values []CustomFieldValue
}

// CustomFieldValue is one value of a custom field. Every value is text in a webhook: a date is
// Unix seconds ("1725915600"), a checkbox "1" or "0", a birthday may be "12.01.1980".
type CustomFieldValue struct {
	Value string
	// Enum is the id of the chosen enum (list, multiselect, radiobutton, or the PHONE/EMAIL kind),
	// not its code; 0 when the field has no enums.
	Enum int64
}

// Lead is a lead in a webhook. Fields the payload does not carry stay zero.
type Lead struct {
	ID                   int64
	Name                 string
	Price                amocrm.Decimal
	StatusID             int64
	OldStatusID          int64 // status events, and some updates
	PipelineID           int64
	OldPipelineID        int64
	ResponsibleUserID    int64
	OldResponsibleUserID int64 // responsible events
	CreatedUserID        int64
	ModifiedUserID       int64
	AccountID            int64
	DateCreate           amocrm.Timestamp
	LastModified         amocrm.Timestamp
	CreatedAt            amocrm.Timestamp
	UpdatedAt            amocrm.Timestamp
	Tags                 []Tag
	CustomFields         []CustomField
	// Other holds fields this package does not name, by their path inside the item
	// ("loss_reason_id", "something[0][id]").
	Other map[string]string
}

// Contact is a contact or a company in a webhook: amoCRM sends both under "contacts" and tells
// them apart by Type.
type Contact struct {
	ID                   int64
	Name                 string
	Type                 string // "contact" or "company"; "" in a short delete
	ResponsibleUserID    int64
	OldResponsibleUserID int64
	CreatedUserID        int64
	ModifiedUserID       int64
	AccountID            int64
	CompanyName          string
	LinkedCompanyID      int64
	// LinkedLeadIDs are the leads linked to the contact, from linked_leads_id (keyed by lead id).
	LinkedLeadIDs []int64
	DateCreate    amocrm.Timestamp
	LastModified  amocrm.Timestamp
	CreatedAt     amocrm.Timestamp
	UpdatedAt     amocrm.Timestamp
	Tags          []Tag
	CustomFields  []CustomField
	Other         map[string]string
}

// Task is a task in a webhook. A change of responsible user arrives as an update with
// OldResponsibleUserID set. DateCreate, LastModified and CompleteTill are wall-clock times in the
// account's time zone.
type Task struct {
	ID                   int64
	ElementID            int64 // the entity the task is on
	ElementType          int   // 1 contact, 2 lead, 3 company, 12 customer
	TaskType             int64
	Text                 string
	OldText              string
	Status               int  // 0 open, 1 done
	ActionClose          bool // an update that closed the task
	Result               TaskResult
	ResponsibleUserID    int64
	OldResponsibleUserID int64
	MainUserID           int64
	ModifiedBy           int64
	CreatedUserID        int64
	AccountID            int64
	DateCreate           DateTime
	LastModified         DateTime
	CompleteTill         DateTime
	CreatedAt            amocrm.Timestamp
	UpdatedAt            amocrm.Timestamp
	CompleteBefore       amocrm.Timestamp
	Other                map[string]string
}

// TaskResult is the result written when a task was closed; zero when there is none.
type TaskResult struct {
	ID   int64
	Text string
}

// Note is a note added to a lead, contact or company. NoteType is the legacy number (4 common,
// 5 attachment); Attachment is the file's Drive path for attachment notes. A note with a file
// arrives twice, once for the text and once for the file.
type Note struct {
	ID          int64
	Text        string
	NoteType    int
	Attachment  string
	ElementID   int64
	ElementType int
	GroupID     int64
	CreatedBy   int64
	ModifiedBy  int64
	MainUserID  int64
	AccountID   int64
	DateCreate  DateTime
	TimestampX  DateTime
	CreatedAt   amocrm.Timestamp
	UpdatedAt   amocrm.Timestamp
	// Metadata is the note's metadata, a JSON document sent as text; "" when absent.
	Metadata string
	Other    map[string]string
}

// DateTime is a wall-clock date and time as amoCRM writes it in task and note payloads,
// "2017-07-20 15:00:00". The payload does not name the time zone: it is the account's
// (Account.Get with AccountWithDatetimeSettings).
type DateTime struct {
	Year                      int
	Month                     time.Month
	Day, Hour, Minute, Second int
}

// IsZero reports whether the DateTime is unset.
func (d DateTime) IsZero() bool { return d == DateTime{} }

// In returns the time d names in loc.
func (d DateTime) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, d.Hour, d.Minute, d.Second, 0, loc)
}

// String formats d the way amoCRM writes it, or "" when unset.
func (d DateTime) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", d.Year, int(d.Month), d.Day, d.Hour, d.Minute, d.Second)
}
