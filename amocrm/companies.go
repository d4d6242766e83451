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

// CompaniesService reads, writes and links companies: /api/v4/companies. amoCRM documents no way
// to delete a company through the API.
type CompaniesService service

// Company is a company as amoCRM returns it.
type Company struct {
	ID                int64     `json:"id"`
	Name              string    `json:"name"`
	ResponsibleUserID int64     `json:"responsible_user_id"`
	GroupID           int64     `json:"group_id"`
	CreatedBy         int64     `json:"created_by"`
	UpdatedBy         int64     `json:"updated_by"`
	CreatedAt         Timestamp `json:"created_at"`
	UpdatedAt         Timestamp `json:"updated_at"`
	ClosestTaskAt     Timestamp `json:"closest_task_at"`
	IsDeleted         bool      `json:"is_deleted"`
	AccountID         int64     `json:"account_id"`

	CustomFieldsValues CustomFields    `json:"custom_fields_values"`
	Embedded           CompanyEmbedded `json:"_embedded"`
}

// CompanyEmbedded is a company's _embedded: tags always (their Color is always empty: only lead
// tags have colours), the rest when asked for with CompanyWith values.
type CompanyEmbedded struct {
	Tags            []Tag                `json:"tags"`
	Contacts        []EntityRef          `json:"contacts"`
	Leads           []EntityRef          `json:"leads"`
	Customers       []EntityRef          `json:"customers"`
	CatalogElements []LeadCatalogElement `json:"catalog_elements"`
}

// Phones returns the company's phone numbers (the PHONE field).
func (c Company) Phones() []CustomFieldValue {
	f, _ := c.CustomFieldsValues.ByCode(FieldCodePhone)
	return f.Values
}

// CompanyWith names extra data to load with companies.
type CompanyWith string

// Values for CompaniesService.Get and CompanyListOptions.With.
const (
	CompanyWithLeads           CompanyWith = "leads"
	CompanyWithContacts        CompanyWith = "contacts"
	CompanyWithCustomers       CompanyWith = "customers"
	CompanyWithCatalogElements CompanyWith = "catalog_elements"
	CompanyWithOnlyDeleted     CompanyWith = "only_deleted"
)

// CompanyListOptions filters and pages CompaniesService.List and All, like ContactListOptions.
// Companies are ordered by SortByUpdatedAt or SortByID only.
type CompanyListOptions struct {
	IDs                []int64
	Names              []string
	Created            TimeRange
	Updated            TimeRange
	ClosestTask        TimeRange
	ResponsibleUserIDs []int64
	CreatedBy          []int64
	UpdatedBy          []int64
	CustomFields       []CustomFieldFilter
	// Query searches all filled fields.
	Query string
	Order Sort
	With  []CompanyWith
	// Page is the 1-based page to read (All starts there); Limit the page size, at most MaxPageSize.
	Page, Limit int
}

func (o *CompanyListOptions) values() (url.Values, error) {
	q := query{}
	if o == nil {
		return q.values(), nil
	}
	if err := checkPage(o.Page, o.Limit); err != nil {
		return nil, err
	}
	if o.Order.By == SortByCreatedAt {
		return nil, errors.New("amocrm: companies are ordered by updated_at or id only")
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

// Get returns the company id with the extra data named in with. amoCRM answers 204 for an unknown
// id, which is an error matching ErrNotFound.
//
// API docs: GET /api/v4/companies/{id}, https://www.amocrm.ru/developers/content/crm_platform/companies-api#company-detail
func (s *CompaniesService) Get(ctx context.Context, id int64, with ...CompanyWith) (*Company, error) {
	return getByID[Company](ctx, s.client, "api/v4/companies", "company", id, names(with))
}

// List returns one page of companies; an empty result is an empty page.
//
// API docs: GET /api/v4/companies, https://www.amocrm.ru/developers/content/crm_platform/companies-api#companies-list
func (s *CompaniesService) List(ctx context.Context, opts *CompanyListOptions) (*Page[Company], error) {
	return pageOf[Company](ctx, s.client, "api/v4/companies", opts, "companies")
}

// All ranges over every company matching opts, fetching pages lazily.
//
// API docs: GET /api/v4/companies, https://www.amocrm.ru/developers/content/crm_platform/companies-api#companies-list
func (s *CompaniesService) All(ctx context.Context, opts *CompanyListOptions) iter.Seq2[Company, error] {
	return allOf[Company](ctx, s.client, "api/v4/companies", opts, "companies")
}

// CreateCompanyRequest is a new company; no field is required.
type CreateCompanyRequest struct {
	Name               string
	ResponsibleUserID  int64
	CreatedBy          int64
	UpdatedBy          int64
	CreatedAt          Timestamp
	CustomFieldsValues []CustomFieldInput // e.g. PhoneField(…)
	Tags               []TagRef
}

// companyWire is the body of a company write.
type companyWire struct {
	ID                 int64              `json:"id,omitzero"`
	Name               *string            `json:"name,omitempty"`
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

// MarshalJSON writes the company the way POST /api/v4/companies takes it.
func (r CreateCompanyRequest) MarshalJSON() ([]byte, error) {
	w := companyWire{
		Name: nonEmpty(r.Name), ResponsibleUserID: r.ResponsibleUserID, CreatedBy: r.CreatedBy,
		UpdatedBy: r.UpdatedBy, CreatedAt: r.CreatedAt, CustomFieldsValues: r.CustomFieldsValues,
	}
	if len(r.Tags) > 0 {
		if err := checkTagRefs(r.Tags); err != nil {
			return nil, err
		}
		w.Embedded.Tags = mustJSON(r.Tags)
	}
	return json.Marshal(w)
}

// UpdateCompanyRequest changes a company. ID is required (UpdateOne takes it from its argument);
// nil pointers and zero values are left alone.
type UpdateCompanyRequest struct {
	ID                 int64
	Name               *string
	ResponsibleUserID  int64
	UpdatedBy          int64
	CustomFieldsValues []CustomFieldInput
	// TagsToAdd and TagsToDelete change a few tags; Tags replaces or clears the whole set.
	TagsToAdd    []TagRef
	TagsToDelete []TagRef
	Tags         TagsChange
}

// MarshalJSON writes the change the way PATCH /api/v4/companies takes it.
func (r UpdateCompanyRequest) MarshalJSON() ([]byte, error) {
	if r.ID <= 0 {
		return nil, fmt.Errorf("amocrm: company update without a valid ID (%d)", r.ID)
	}
	if err := errors.Join(checkTagRefs(r.TagsToAdd), checkTagRefs(r.TagsToDelete)); err != nil {
		return nil, err
	}
	w := companyWire{
		ID: r.ID, Name: r.Name, ResponsibleUserID: r.ResponsibleUserID, UpdatedBy: r.UpdatedBy,
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

// Create creates any number of companies in batches. Results and errors are as for
// LeadsService.Create.
//
// API docs: POST /api/v4/companies, https://www.amocrm.ru/developers/content/crm_platform/companies-api#companies-add
func (s *CompaniesService) Create(ctx context.Context, companies []CreateCompanyRequest) ([]Saved, error) {
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: "api/v4/companies", key: "companies"}, companies)
	return savedOf(answers), err
}

// Update changes any number of companies in batches. Results and errors are as for
// LeadsService.Create.
//
// API docs: PATCH /api/v4/companies, https://www.amocrm.ru/developers/content/crm_platform/companies-api#companies-edit
func (s *CompaniesService) Update(ctx context.Context, companies []UpdateCompanyRequest) ([]Saved, error) {
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPatch, path: "api/v4/companies", key: "companies"}, companies)
	return savedOf(answers), err
}

// UpdateOne changes the company id; req.ID is ignored.
//
// API docs: PATCH /api/v4/companies/{id}, https://www.amocrm.ru/developers/content/crm_platform/companies-api#companies-edit
func (s *CompaniesService) UpdateOne(ctx context.Context, id int64, req UpdateCompanyRequest) (Saved, error) {
	req.ID = id
	return sendOne(ctx, s.client, idPath("api/v4/companies", id), req)
}

// Link attaches contacts, leads, customers or catalog elements to the company companyID (a lead or
// a contact has at most one company). Build the links with LinkContact, LinkLead and
// LinkCatalogElement.
//
// API docs: POST /api/v4/companies/{id}/link, https://www.amocrm.ru/developers/content/crm_platform/entity-links-api#links-link
func (s *CompaniesService) Link(ctx context.Context, companyID int64, links []Link) ([]Link, error) {
	return link(ctx, s.client, EntityCompanies, companyID, links)
}

// Unlink detaches entities from the company companyID.
//
// API docs: POST /api/v4/companies/{id}/unlink, https://www.amocrm.ru/developers/content/crm_platform/entity-links-api#links-unlink
func (s *CompaniesService) Unlink(ctx context.Context, companyID int64, links []Link) error {
	return unlink(ctx, s.client, EntityCompanies, companyID, links)
}

// Links returns the entities linked to the company companyID, narrowed by f (nil for all).
//
// API docs: GET /api/v4/companies/{id}/links, https://www.amocrm.ru/developers/content/crm_platform/entity-links-api#links-list
func (s *CompaniesService) Links(ctx context.Context, companyID int64, f *LinkFilter) ([]Link, error) {
	return links(ctx, s.client, EntityCompanies, companyID, f)
}
