package amocrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
)

// ContactsService reads and writes contacts: /api/v4/contacts (docs/amocrm-reference.md#contacts).
type ContactsService service

// Contact is a contact as amoCRM returns it (docs/amocrm-reference.md#contact-object).
type Contact struct {
	ID                int64     `json:"id"`
	Name              string    `json:"name"`
	FirstName         string    `json:"first_name"`
	LastName          string    `json:"last_name"`
	ResponsibleUserID int64     `json:"responsible_user_id"`
	GroupID           int64     `json:"group_id"`
	CreatedBy         int64     `json:"created_by"`
	UpdatedBy         int64     `json:"updated_by"`
	CreatedAt         Timestamp `json:"created_at"`
	UpdatedAt         Timestamp `json:"updated_at"`
	ClosestTaskAt     Timestamp `json:"closest_task_at"`
	IsDeleted         bool      `json:"is_deleted"`
	IsUnsorted        bool      `json:"is_unsorted"`
	AccountID         int64     `json:"account_id"`

	CustomFieldsValues CustomFields    `json:"custom_fields_values"`
	Embedded           ContactEmbedded `json:"_embedded"`
}

// ContactEmbedded is a contact's _embedded: tags and companies always, the rest when asked for
// with ContactWith values.
type ContactEmbedded struct {
	Tags            []Tag                `json:"tags"`
	Companies       []EntityRef          `json:"companies"` // at most one
	Leads           []EntityRef          `json:"leads"`
	Customers       []EntityRef          `json:"customers"`
	CatalogElements []LeadCatalogElement `json:"catalog_elements"`
}

// Field codes of the contact's system fields.
const (
	FieldCodePhone = "PHONE"
	FieldCodeEmail = "EMAIL"
)

// PhoneType is the kind of a phone number: the enum_code of a PHONE value.
type PhoneType string

// Phone kinds (docs/amocrm-reference.md#contact-object).
const (
	PhoneWork   PhoneType = "WORK"
	PhoneWorkDD PhoneType = "WORKDD" // direct line at work
	PhoneMobile PhoneType = "MOB"
	PhoneFax    PhoneType = "FAX"
	PhoneHome   PhoneType = "HOME"
	PhoneOther  PhoneType = "OTHER"
)

// EmailType is the kind of an e-mail address: the enum_code of an EMAIL value.
type EmailType string

// E-mail kinds (docs/amocrm-reference.md#contact-object).
const (
	EmailWork    EmailType = "WORK"
	EmailPrivate EmailType = "PRIV"
	EmailOther   EmailType = "OTHER"
)

// Phone is a PHONE value: a number of the given kind. Put it in PhoneField.
func Phone(number string, kind PhoneType) CustomFieldValue {
	v := TextValue(number)
	v.EnumCode = string(kind)
	return v
}

// Email is an EMAIL value: an address of the given kind. Put it in EmailField.
func Email(address string, kind EmailType) CustomFieldValue {
	v := TextValue(address)
	v.EnumCode = string(kind)
	return v
}

// PhoneField sets a contact's phone numbers: PhoneField(Phone("+79001234567", PhoneMobile)).
func PhoneField(phones ...CustomFieldValue) CustomFieldInput {
	return FieldByCode(FieldCodePhone, phones...)
}

// EmailField sets a contact's e-mail addresses.
func EmailField(emails ...CustomFieldValue) CustomFieldInput {
	return FieldByCode(FieldCodeEmail, emails...)
}

// Phones returns the contact's phone numbers; each value's String is the number and EnumCode its
// PhoneType.
func (c Contact) Phones() []CustomFieldValue {
	f, _ := c.CustomFieldsValues.ByCode(FieldCodePhone)
	return f.Values
}

// Emails returns the contact's e-mail addresses; each value's String is the address and EnumCode
// its EmailType.
func (c Contact) Emails() []CustomFieldValue {
	f, _ := c.CustomFieldsValues.ByCode(FieldCodeEmail)
	return f.Values
}

// ContactWith names extra data to load with contacts.
type ContactWith string

// Values for ContactsService.Get and ContactListOptions.With (docs/amocrm-reference.md#contacts).
const (
	ContactWithLeads           ContactWith = "leads"
	ContactWithCustomers       ContactWith = "customers"
	ContactWithCatalogElements ContactWith = "catalog_elements"
	ContactWithSocialProfiles  ContactWith = "social_profiles"
	ContactWithOnlyDeleted     ContactWith = "only_deleted"
)

// ContactListOptions filters and pages ContactsService.List and All, like LeadListOptions. Contacts
// are ordered by SortByUpdatedAt or SortByID only.
type ContactListOptions struct {
	IDs                []int64
	Names              []string
	Created            TimeRange
	Updated            TimeRange
	ClosestTask        TimeRange
	ResponsibleUserIDs []int64
	CreatedBy          []int64
	UpdatedBy          []int64
	CustomFields       []CustomFieldFilter
	// Query searches all filled fields, phones and e-mails included.
	Query string
	Order Sort
	With  []ContactWith
	// Page is the 1-based page to read (All starts there); Limit the page size, at most
	// MaxPageSize.
	Page, Limit int
}

func (o *ContactListOptions) values() (url.Values, error) {
	q := query{}
	if o == nil {
		return q.values(), nil
	}
	if err := checkPage(o.Page, o.Limit); err != nil {
		return nil, err
	}
	if o.Order.By == SortByCreatedAt {
		return nil, errors.New("amocrm: contacts are ordered by updated_at or id only")
	}
	q.ints("filter[id]", o.IDs)
	q.list("filter[name]", o.Names...)
	q.timeRange("filter[created_at]", o.Created)
	q.timeRange("filter[updated_at]", o.Updated)
	q.timeRange("filter[closest_task_at]", o.ClosestTask)
	q.ints("filter[responsible_user_id]", o.ResponsibleUserIDs)
	q.ints("filter[created_by]", o.CreatedBy)
	q.ints("filter[updated_by]", o.UpdatedBy)
	if err := customFieldFilters(q, o.CustomFields); err != nil {
		return nil, err
	}
	q.set("query", o.Query)
	q.order(string(o.Order.By), o.Order.Dir)
	q.with(names(o.With))
	q.page(o.Page, o.Limit)
	return q.values(), nil
}

// Get returns the contact id with the extra data named in with.
//
// API docs: GET /api/v4/contacts/{id},
// https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contact-detail
func (s *ContactsService) Get(ctx context.Context, id int64, with ...ContactWith) (*Contact, error) {
	return getByID[Contact](ctx, s.client, "api/v4/contacts", "contact", id, names(with))
}

// List returns one page of contacts; an empty result is an empty page.
//
// API docs: GET /api/v4/contacts,
// https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contacts-list
func (s *ContactsService) List(ctx context.Context, opts *ContactListOptions) (*Page[Contact], error) {
	return pageOf[Contact](ctx, s.client, "api/v4/contacts", opts, "contacts")
}

// All ranges over every contact matching opts, fetching pages lazily.
//
// API docs: GET /api/v4/contacts,
// https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contacts-list
func (s *ContactsService) All(ctx context.Context, opts *ContactListOptions) iter.Seq2[Contact, error] {
	return allOf[Contact](ctx, s.client, "api/v4/contacts", opts, "contacts")
}

// CreateContactRequest is a new contact; no field is required.
type CreateContactRequest struct {
	Name               string
	FirstName          string
	LastName           string
	ResponsibleUserID  int64
	CreatedBy          int64
	UpdatedBy          int64
	CreatedAt          Timestamp
	CustomFieldsValues []CustomFieldInput // e.g. PhoneField(…), EmailField(…)
	Tags               []TagRef
}

// contactWire is the body of a contact write.
type contactWire struct {
	ID                 int64              `json:"id,omitzero"`
	Name               *string            `json:"name,omitempty"`
	FirstName          *string            `json:"first_name,omitempty"`
	LastName           *string            `json:"last_name,omitempty"`
	ResponsibleUserID  int64              `json:"responsible_user_id,omitzero"`
	CreatedBy          int64              `json:"created_by,omitzero"`
	UpdatedBy          int64              `json:"updated_by,omitzero"`
	CreatedAt          Timestamp          `json:"created_at,omitzero"`
	CustomFieldsValues []CustomFieldInput `json:"custom_fields_values,omitempty"`
	TagsToAdd          []TagRef           `json:"tags_to_add,omitempty"`
	TagsToDelete       []TagRef           `json:"tags_to_delete,omitempty"`
	Embedded           struct {
		Tags json.RawMessage `json:"tags,omitempty"`
	} `json:"_embedded,omitzero"`
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// MarshalJSON writes the contact the way POST /api/v4/contacts takes it.
func (r CreateContactRequest) MarshalJSON() ([]byte, error) {
	w := contactWire{
		Name: nonEmpty(r.Name), FirstName: nonEmpty(r.FirstName), LastName: nonEmpty(r.LastName),
		ResponsibleUserID: r.ResponsibleUserID, CreatedBy: r.CreatedBy, UpdatedBy: r.UpdatedBy,
		CreatedAt: r.CreatedAt, CustomFieldsValues: r.CustomFieldsValues,
	}
	if len(r.Tags) > 0 {
		if err := checkTagRefs(r.Tags); err != nil {
			return nil, err
		}
		w.Embedded.Tags = mustJSON(r.Tags)
	}
	return json.Marshal(w)
}

// UpdateContactRequest changes a contact. ID is required (UpdateOne takes it from its argument);
// nil pointers and zero values are left alone.
type UpdateContactRequest struct {
	ID                 int64
	Name               *string
	FirstName          *string
	LastName           *string
	ResponsibleUserID  int64
	UpdatedBy          int64
	CustomFieldsValues []CustomFieldInput
	// TagsToAdd and TagsToDelete change a few tags; Tags replaces or clears the whole set.
	TagsToAdd    []TagRef
	TagsToDelete []TagRef
	Tags         TagsChange
}

// MarshalJSON writes the change the way PATCH /api/v4/contacts takes it.
func (r UpdateContactRequest) MarshalJSON() ([]byte, error) {
	if r.ID <= 0 {
		return nil, fmt.Errorf("amocrm: contact update without a valid ID (%d)", r.ID)
	}
	if err := errors.Join(checkTagRefs(r.TagsToAdd), checkTagRefs(r.TagsToDelete)); err != nil {
		return nil, err
	}
	w := contactWire{
		ID: r.ID, Name: r.Name, FirstName: r.FirstName, LastName: r.LastName,
		ResponsibleUserID: r.ResponsibleUserID, UpdatedBy: r.UpdatedBy,
		CustomFieldsValues: r.CustomFieldsValues, TagsToAdd: r.TagsToAdd, TagsToDelete: r.TagsToDelete,
	}
	if !r.Tags.IsZero() {
		b, err := r.Tags.MarshalJSON()
		if err != nil {
			return nil, err
		}
		w.Embedded.Tags = b
	}
	return json.Marshal(w)
}

// Create creates any number of contacts in batches. Results and errors are as for
// LeadsService.Create.
//
// API docs: POST /api/v4/contacts,
// https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contacts-add
func (s *ContactsService) Create(ctx context.Context, contacts []CreateContactRequest) ([]Saved, error) {
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: "api/v4/contacts", key: "contacts"}, contacts)
	return savedOf(answers), err
}

// Update changes any number of contacts in batches. Results and errors are as for
// LeadsService.Create.
//
// API docs: PATCH /api/v4/contacts,
// https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contacts-edit
func (s *ContactsService) Update(ctx context.Context, contacts []UpdateContactRequest) ([]Saved, error) {
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPatch, path: "api/v4/contacts", key: "contacts"}, contacts)
	return savedOf(answers), err
}

// UpdateOne changes the contact id; req.ID is ignored.
//
// API docs: PATCH /api/v4/contacts/{id},
// https://www.amocrm.ru/developers/content/crm_platform/contacts-api#contacts-edit
func (s *ContactsService) UpdateOne(ctx context.Context, id int64, req UpdateContactRequest) (Saved, error) {
	req.ID = id
	return sendOne(ctx, s.client, idPath("api/v4/contacts", id), req)
}

// Link attaches leads, a company, customers or catalog elements to the contact contactID and
// returns the links made.
//
// API docs: POST /api/v4/contacts/{id}/link,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api#links-link
func (s *ContactsService) Link(ctx context.Context, contactID int64, links []Link) ([]Link, error) {
	return link(ctx, s.client, EntityContacts, contactID, links)
}

// Unlink detaches entities from the contact contactID.
//
// API docs: POST /api/v4/contacts/{id}/unlink,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api#links-unlink
func (s *ContactsService) Unlink(ctx context.Context, contactID int64, links []Link) error {
	return unlink(ctx, s.client, EntityContacts, contactID, links)
}

// Links returns the entities linked to the contact contactID, narrowed by f (nil for all).
//
// API docs: GET /api/v4/contacts/{id}/links,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api#links-list
func (s *ContactsService) Links(ctx context.Context, contactID int64, f *LinkFilter) ([]Link, error) {
	return links(ctx, s.client, EntityContacts, contactID, f)
}
