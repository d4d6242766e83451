package amocrm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// LeadsService reads and writes leads (deals): /api/v4/leads (docs/amocrm-reference.md#leads).
type LeadsService service

// System statuses, the same in every pipeline.
const (
	StatusWon  int64 = 142
	StatusLost int64 = 143
)

// Lead is a lead as amoCRM returns it (docs/amocrm-reference.md#lead-object).
type Lead struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Price is the lead's budget in whole units of the account's currency, as amoCRM stores it.
	Price int64 `json:"price"`
	// PriceWithMinorUnits is Kommo's exact price with its fraction ("1250.50"); "" where the
	// account does not send it. When amoCRM sends a fractional price, Price holds its whole part
	// and PriceWithMinorUnits the exact value.
	PriceWithMinorUnits Decimal `json:"price_with_minor_units"`

	ResponsibleUserID int64 `json:"responsible_user_id"`
	GroupID           int64 `json:"group_id"`
	StatusID          int64 `json:"status_id"`
	PipelineID        int64 `json:"pipeline_id"`
	LossReasonID      int64 `json:"loss_reason_id"`
	SourceID          int64 `json:"source_id"` // with LeadWithSourceID
	CreatedBy         int64 `json:"created_by"`
	UpdatedBy         int64 `json:"updated_by"`
	AccountID         int64 `json:"account_id"`
	Score             int64 `json:"score"`
	LaborCost         int64 `json:"labor_cost"`

	CreatedAt     Timestamp `json:"created_at"`
	UpdatedAt     Timestamp `json:"updated_at"`
	ClosedAt      Timestamp `json:"closed_at"`
	ClosestTaskAt Timestamp `json:"closest_task_at"`

	IsDeleted              bool `json:"is_deleted"`
	IsPriceModifiedByRobot bool `json:"is_price_modified_by_robot"` // with LeadWithIsPriceModifiedByRobot

	CustomFieldsValues CustomFields `json:"custom_fields_values"`
	Embedded           LeadEmbedded `json:"_embedded"`
}

// UnmarshalJSON reads a lead, accepting a fractional or quoted price. The client's own Get, List
// and All do not go through it: they decode leadJSON directly, so a page of leads is read in one
// pass.
func (l *Lead) UnmarshalJSON(b []byte) error {
	var w leadJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	return w.to(l)
}

// leadJSON is a lead on the wire: every field of Lead (leadFields has no methods, so its fields are
// decoded in place) with the price read as a Decimal.
type leadJSON struct {
	leadFields
	Price Decimal `json:"price"` // shadows leadFields.Price
}

type leadFields Lead

// to stores the lead in l: Price is the whole part of the price, and a fractional price is also
// kept exactly in PriceWithMinorUnits.
func (w *leadJSON) to(l *Lead) error {
	*l = Lead(w.leadFields)
	l.Price = 0
	if w.Price == "" {
		return nil
	}
	whole, frac, err := splitDecimal(w.Price)
	if err != nil {
		return fmt.Errorf("amocrm: lead %d: price: %w", l.ID, err)
	}
	l.Price = whole
	if frac && l.PriceWithMinorUnits == "" {
		l.PriceWithMinorUnits = w.Price
	}
	return nil
}

// leadsOf converts decoded leads; a bad price fails the whole page, naming the lead.
func leadsOf(ws []leadJSON) ([]Lead, error) {
	out := make([]Lead, len(ws))
	for i := range ws {
		if err := ws[i].to(&out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// splitDecimal returns the whole part of d (truncated toward zero) and whether d has a fraction.
func splitDecimal(d Decimal) (int64, bool, error) {
	if n, err := strconv.ParseInt(string(d), 10, 64); err == nil {
		return n, false, nil // the usual case, without big numbers
	}
	if n, err := d.MinorUnits(0); err == nil {
		return n, false, nil
	}
	r, err := d.rat()
	if err != nil {
		return 0, false, err
	}
	q := r.Num()
	q.Quo(q, r.Denom())
	if !q.IsInt64() {
		return 0, false, fmt.Errorf("%s does not fit in an int64", truncate(string(d), 40))
	}
	return q.Int64(), true, nil
}

// IsWon reports whether the lead is in the won stage (142).
func (l Lead) IsWon() bool { return l.StatusID == StatusWon }

// IsLost reports whether the lead is in the lost stage (143).
func (l Lead) IsLost() bool { return l.StatusID == StatusLost }

// LeadEmbedded is a lead's _embedded: tags always, the rest when asked for with LeadWith values.
type LeadEmbedded struct {
	Tags            []Tag                `json:"tags"`
	Contacts        []LeadContact        `json:"contacts"`  // with LeadWithContacts
	Companies       []EntityRef          `json:"companies"` // at most one
	CatalogElements []LeadCatalogElement `json:"catalog_elements"`
	LossReason      LossReasons          `json:"loss_reason"` // with LeadWithLossReason
	Source          Source               `json:"source"`      // with LeadWithSource
}

// EntityRef is a reference to another entity by id.
type EntityRef struct {
	ID int64 `json:"id"`
}

// LeadContact is a contact attached to a lead.
type LeadContact struct {
	ID     int64 `json:"id"`
	IsMain bool  `json:"is_main"`
}

// LeadCatalogElement is a catalog element (such as a product) attached to a lead.
type LeadCatalogElement struct {
	ID       int64        `json:"id"`
	Metadata LinkMetadata `json:"metadata"`
}

// LossReason is why a lead was lost.
type LossReason struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Sort      int64     `json:"sort"`
	CreatedAt Timestamp `json:"created_at"`
	UpdatedAt Timestamp `json:"updated_at"`
}

// LossReasons is a lead's _embedded.loss_reason. amoCRM sends an array; other descriptions of the
// API show a single object; both decode here, as does null.
type LossReasons []LossReason

// UnmarshalJSON reads an array, an object or null.
func (r *LossReasons) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*r = nil
		return nil
	case len(b) > 0 && b[0] == '{':
		var one LossReason
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*r = LossReasons{one}
		return nil
	}
	var many []LossReason
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*r = many
	return nil
}

// First returns the first loss reason, if any.
func (r LossReasons) First() (LossReason, bool) {
	if len(r) == 0 {
		return LossReason{}, false
	}
	return r[0], true
}

// Source is the source a lead came from (with LeadWithSource).
type Source struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	ExternalID string `json:"external_id"`
	Type       string `json:"type"`
}

// LeadWith names extra data to load with leads.
type LeadWith string

// Values for LeadsService.Get and LeadListOptions.With (docs/amocrm-reference.md#lead-lists).
const (
	LeadWithContacts               LeadWith = "contacts"
	LeadWithCatalogElements        LeadWith = "catalog_elements"
	LeadWithLossReason             LeadWith = "loss_reason"
	LeadWithSourceID               LeadWith = "source_id"
	LeadWithSource                 LeadWith = "source"
	LeadWithIsPriceModifiedByRobot LeadWith = "is_price_modified_by_robot"
	LeadWithOnlyDeleted            LeadWith = "only_deleted" // only deleted leads that can still be restored
)

// SortField is a field lists can be ordered by.
type SortField string

// Sort fields. Leads take all three; contacts and notes take SortByUpdatedAt and SortByID.
const (
	SortByCreatedAt SortField = "created_at"
	SortByUpdatedAt SortField = "updated_at"
	SortByID        SortField = "id"
)

// Sort orders a list: order[By]=Dir.
type Sort struct {
	By  SortField
	Dir Order
}

// StatusFilter selects the leads in one stage of one pipeline.
type StatusFilter struct {
	PipelineID int64
	StatusID   int64
}

// LeadListOptions filters and pages LeadsService.List and All. Every filter is optional; those
// given combine with AND, the values of one filter with OR. amoCRM applies filters only when the
// account has API filtering on (Account.IsAPIFilterEnabled, docs/amocrm-reference.md#api-filtering).
type LeadListOptions struct {
	IDs                []int64
	Names              []string
	Price              IntRange // whole currency units
	Created            TimeRange
	Updated            TimeRange
	Closed             TimeRange
	ClosestTask        TimeRange
	ResponsibleUserIDs []int64
	CreatedBy          []int64
	UpdatedBy          []int64
	PipelineIDs        []int64
	Statuses           []StatusFilter
	CustomFields       []CustomFieldFilter
	// Query searches all filled fields.
	Query string
	Order Sort
	With  []LeadWith
	// Page is the 1-based page to read (All starts there); Limit the page size, at most
	// MaxPageSize. Zero leaves amoCRM's defaults.
	Page, Limit int
}

func (o *LeadListOptions) values() (url.Values, error) {
	q := query{}
	if o == nil {
		return q.values(), nil
	}
	if err := checkPage(o.Page, o.Limit); err != nil {
		return nil, err
	}
	q.ints("filter[id]", o.IDs)
	q.list("filter[name]", o.Names...)
	q.intRange("filter[price]", o.Price)
	q.timeRange("filter[created_at]", o.Created)
	q.timeRange("filter[updated_at]", o.Updated)
	q.timeRange("filter[closed_at]", o.Closed)
	q.timeRange("filter[closest_task_at]", o.ClosestTask)
	q.ints("filter[responsible_user_id]", o.ResponsibleUserIDs)
	q.ints("filter[created_by]", o.CreatedBy)
	q.ints("filter[updated_by]", o.UpdatedBy)
	q.ints("filter[pipeline_id]", o.PipelineIDs)
	for i, s := range o.Statuses {
		if s.PipelineID <= 0 || s.StatusID <= 0 {
			return nil, fmt.Errorf("amocrm: status filter %d needs a PipelineID and a StatusID", i)
		}
		key := "filter[statuses][" + strconv.Itoa(i) + "]"
		q.setInt(key+"[pipeline_id]", s.PipelineID)
		q.setInt(key+"[status_id]", s.StatusID)
	}
	if err := customFieldFilters(q, o.CustomFields); err != nil {
		return nil, err
	}
	q.set("query", o.Query)
	q.order(string(o.Order.By), o.Order.Dir)
	q.with(names(o.With))
	q.page(o.Page, o.Limit)
	return q.values(), nil
}

// checkPage validates page options shared by every list.
func checkPage(page, limit int) error {
	if page < 0 {
		return fmt.Errorf("amocrm: page %d is negative", page)
	}
	if limit < 0 || limit > MaxPageSize {
		return fmt.Errorf("amocrm: limit %d is not in 0..%d", limit, MaxPageSize)
	}
	return nil
}

// names turns typed names into strings.
func names[S ~string](ws []S) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = string(w)
	}
	return out
}

// Get returns the lead id with the extra data named in with. A lead that does not exist is an
// error matching ErrNotFound.
//
// API docs: GET /api/v4/leads/{id},
// https://www.amocrm.ru/developers/content/crm_platform/leads-api#lead-detail
func (s *LeadsService) Get(ctx context.Context, id int64, with ...LeadWith) (*Lead, error) {
	w, err := getByID[leadJSON](ctx, s.client, "api/v4/leads", "lead", id, names(with))
	if err != nil {
		return nil, err
	}
	var l Lead
	return &l, w.to(&l)
}

// List returns one page of leads. An empty result (amoCRM's 204) is an empty page.
//
// API docs: GET /api/v4/leads,
// https://www.amocrm.ru/developers/content/crm_platform/leads-api#leads-list
func (s *LeadsService) List(ctx context.Context, opts *LeadListOptions) (*Page[Lead], error) {
	p, err := pageOf[leadJSON](ctx, s.client, "api/v4/leads", opts, "leads")
	if err != nil {
		return nil, err
	}
	items, err := leadsOf(p.Items)
	if err != nil {
		return nil, err
	}
	return &Page[Lead]{Items: items, Number: p.Number, Next: p.Next}, nil
}

// All ranges over every lead matching opts, page after page, fetching lazily. It yields an error at
// most once, and then stops.
//
// API docs: GET /api/v4/leads,
// https://www.amocrm.ru/developers/content/crm_platform/leads-api#leads-list
func (s *LeadsService) All(ctx context.Context, opts *LeadListOptions) iter.Seq2[Lead, error] {
	return func(yield func(Lead, error) bool) {
		for w, err := range allOf[leadJSON](ctx, s.client, "api/v4/leads", opts, "leads") {
			var l Lead
			if err == nil {
				err = w.to(&l)
			}
			if !yield(l, err) || err != nil {
				return
			}
		}
	}
}

// CreateLeadRequest is a new lead. Every field is optional; a lead without a pipeline goes to the
// first stage of the main pipeline.
type CreateLeadRequest struct {
	Name string
	// Price is the budget in whole units of the account's currency.
	Price              int64
	ResponsibleUserID  int64
	PipelineID         int64
	StatusID           int64
	LossReasonID       int64 // with StatusID StatusLost
	CreatedBy          int64
	UpdatedBy          int64
	CreatedAt          Timestamp
	ClosedAt           Timestamp
	CustomFieldsValues []CustomFieldInput
	Tags               []TagRef
	// Contacts and CompanyID attach existing entities; only possible at creation
	// (docs/amocrm-reference.md#writing-leads).
	Contacts  []LeadContact
	CompanyID int64
	// Source, when its ExternalID is set, marks the lead as coming from a widget's source.
	Source     LeadSource
	VisitorUID string
}

// LeadSource is the _embedded.source of a new lead.
type LeadSource struct {
	ExternalID string `json:"external_id"`
	Type       string `json:"type"` // "widget" when empty
}

// leadEmbeddedWire is the _embedded of a lead write.
type leadEmbeddedWire struct {
	Tags      json.RawMessage `json:"tags,omitempty"`
	Contacts  json.RawMessage `json:"contacts,omitempty"`
	Companies json.RawMessage `json:"companies,omitempty"`
	Source    *LeadSource     `json:"source,omitempty"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
}

// IsZero lets omitzero leave out an empty _embedded.
func (e leadEmbeddedWire) IsZero() bool {
	return e.Tags == nil && e.Contacts == nil && e.Companies == nil && e.Source == nil && e.Metadata == nil
}

// leadWire is the body of a lead write; nil pointers and zero values are left out.
type leadWire struct {
	ID                 int64              `json:"id,omitzero"`
	Name               *string            `json:"name,omitempty"`
	Price              *int64             `json:"price,omitempty"`
	ResponsibleUserID  int64              `json:"responsible_user_id,omitzero"`
	PipelineID         int64              `json:"pipeline_id,omitzero"`
	StatusID           int64              `json:"status_id,omitzero"`
	LossReasonID       int64              `json:"loss_reason_id,omitzero"`
	CreatedBy          int64              `json:"created_by,omitzero"`
	UpdatedBy          int64              `json:"updated_by,omitzero"`
	CreatedAt          Timestamp          `json:"created_at,omitzero"`
	ClosedAt           Timestamp          `json:"closed_at,omitzero"`
	CustomFieldsValues []CustomFieldInput `json:"custom_fields_values,omitempty"`
	TagsToAdd          []TagRef           `json:"tags_to_add,omitempty"`
	TagsToDelete       []TagRef           `json:"tags_to_delete,omitempty"`
	VisitorUID         string             `json:"visitor_uid,omitempty"`
	Embedded           leadEmbeddedWire   `json:"_embedded,omitzero"`
}

func (r CreateLeadRequest) wire() (leadWire, error) {
	w := leadWire{
		ResponsibleUserID: r.ResponsibleUserID, PipelineID: r.PipelineID, StatusID: r.StatusID,
		LossReasonID: r.LossReasonID, CreatedBy: r.CreatedBy, UpdatedBy: r.UpdatedBy,
		CreatedAt: r.CreatedAt, ClosedAt: r.ClosedAt, CustomFieldsValues: r.CustomFieldsValues,
		VisitorUID: r.VisitorUID,
	}
	if r.Name != "" {
		w.Name = &r.Name
	}
	if r.Price != 0 {
		w.Price = &r.Price
	}
	if len(r.Tags) > 0 {
		if err := checkTagRefs(r.Tags); err != nil {
			return w, err
		}
		w.Embedded.Tags = mustJSON(r.Tags)
	}
	if len(r.Contacts) > 0 {
		w.Embedded.Contacts = mustJSON(r.Contacts)
	}
	if r.CompanyID != 0 {
		w.Embedded.Companies = mustJSON([]EntityRef{{ID: r.CompanyID}})
	}
	if r.Source.ExternalID != "" {
		src := r.Source
		if src.Type == "" {
			src.Type = "widget"
		}
		w.Embedded.Source = &src
	}
	return w, nil
}

// MarshalJSON writes the lead the way POST /api/v4/leads takes it.
func (r CreateLeadRequest) MarshalJSON() ([]byte, error) {
	w, err := r.wire()
	if err != nil {
		return nil, err
	}
	return json.Marshal(w)
}

// UpdateLeadRequest changes a lead. ID is required (UpdateOne takes it from its argument); every
// other field is optional, and only the fields given are sent. Pointer fields tell "leave alone"
// (nil) from a zero value: new(int64(0)) sets the price to 0.
type UpdateLeadRequest struct {
	ID                 int64
	Name               *string
	Price              *int64 // whole currency units
	ResponsibleUserID  int64
	PipelineID         int64
	StatusID           int64
	LossReasonID       int64
	UpdatedBy          int64
	ClosedAt           Timestamp
	CustomFieldsValues []CustomFieldInput
	// TagsToAdd and TagsToDelete change a few tags; Tags replaces or clears the whole set.
	TagsToAdd    []TagRef
	TagsToDelete []TagRef
	Tags         TagsChange
}

// MarshalJSON writes the change the way PATCH /api/v4/leads takes it.
func (r UpdateLeadRequest) MarshalJSON() ([]byte, error) {
	if r.ID <= 0 {
		return nil, fmt.Errorf("amocrm: lead update without a valid ID (%d)", r.ID)
	}
	if err := errors.Join(checkTagRefs(r.TagsToAdd), checkTagRefs(r.TagsToDelete)); err != nil {
		return nil, err
	}
	w := leadWire{
		ID: r.ID, Name: r.Name, Price: r.Price, ResponsibleUserID: r.ResponsibleUserID,
		PipelineID: r.PipelineID, StatusID: r.StatusID, LossReasonID: r.LossReasonID,
		UpdatedBy: r.UpdatedBy, ClosedAt: r.ClosedAt, CustomFieldsValues: r.CustomFieldsValues,
		TagsToAdd: r.TagsToAdd, TagsToDelete: r.TagsToDelete,
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

// Create creates any number of leads, in requests of the client's batch size (WithBatchSize). It
// returns one Saved per created lead, ordered by Index. When some leads were not created the
// error is a *BatchError naming them, and the Saved values cover all the others.
//
// API docs: POST /api/v4/leads,
// https://www.amocrm.ru/developers/content/crm_platform/leads-api#leads-add
func (s *LeadsService) Create(ctx context.Context, leads []CreateLeadRequest) ([]Saved, error) {
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: "api/v4/leads", key: "leads"}, leads)
	return savedOf(answers), err
}

// Update changes any number of leads, in requests of the client's batch size. Results and errors
// are as for Create; Saved.UpdatedAt is set.
//
// API docs: PATCH /api/v4/leads,
// https://www.amocrm.ru/developers/content/crm_platform/leads-api#leads-edit
func (s *LeadsService) Update(ctx context.Context, leads []UpdateLeadRequest) ([]Saved, error) {
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPatch, path: "api/v4/leads", key: "leads"}, leads)
	return savedOf(answers), err
}

// UpdateOne changes the lead id; req.ID is ignored.
//
// API docs: PATCH /api/v4/leads/{id},
// https://www.amocrm.ru/developers/content/crm_platform/leads-api#leads-edit
func (s *LeadsService) UpdateOne(ctx context.Context, id int64, req UpdateLeadRequest) (Saved, error) {
	req.ID = id
	return sendOne(ctx, s.client, idPath("api/v4/leads", id), req)
}

// ComplexLeadRequest is a lead created together with one new contact and one new company, which
// amoCRM links to each other and may merge into existing ones by its duplicate control
// (docs/amocrm-reference.md#complex-create).
type ComplexLeadRequest struct {
	// Lead is the lead; its Contacts and CompanyID must be empty.
	Lead CreateLeadRequest
	// Contact and Company, when not nil, are created with the lead.
	Contact *CreateContactRequest
	Company *ComplexCompany
	// Form, when not zero, records the web form the lead came from.
	Form FormMetadata
}

// ComplexCompany is the company of a ComplexLeadRequest.
type ComplexCompany struct {
	Name               string             `json:"name,omitempty"`
	ResponsibleUserID  int64              `json:"responsible_user_id,omitzero"`
	CustomFieldsValues []CustomFieldInput `json:"custom_fields_values,omitempty"`
}

// FormMetadata describes the web form a complex lead was sent from.
type FormMetadata struct {
	FormID     string    `json:"form_id"`
	FormName   string    `json:"form_name"`
	FormPage   string    `json:"form_page"`
	FormSentAt Timestamp `json:"form_sent_at,omitzero"`
	IP         string    `json:"ip,omitempty"`
	Referer    string    `json:"referer,omitempty"`
}

// MarshalJSON writes the lead the way POST /api/v4/leads/complex takes it.
func (r ComplexLeadRequest) MarshalJSON() ([]byte, error) {
	if len(r.Lead.Contacts) > 0 || r.Lead.CompanyID != 0 {
		return nil, errors.New("amocrm: a complex lead takes its contact and company in Contact and Company, not Lead")
	}
	w, err := r.Lead.wire()
	if err != nil {
		return nil, err
	}
	if r.Contact != nil {
		b, err := json.Marshal([]CreateContactRequest{*r.Contact})
		if err != nil {
			return nil, unwrapMarshal(err)
		}
		w.Embedded.Contacts = b
	}
	if r.Company != nil {
		b, err := json.Marshal([]ComplexCompany{*r.Company})
		if err != nil {
			return nil, unwrapMarshal(err)
		}
		w.Embedded.Companies = b
	}
	if r.Form != (FormMetadata{}) {
		b, err := json.Marshal(struct {
			Category string `json:"category"`
			FormMetadata
		}{"forms", r.Form})
		if err != nil {
			return nil, err
		}
		w.Embedded.Metadata = b
	}
	return json.Marshal(w)
}

// ComplexLeadResult is amoCRM's answer for one complex lead.
type ComplexLeadResult struct {
	Index     int   // position in the slice given to CreateComplex
	ID        int64 // the lead
	ContactID int64 // 0 when no contact was sent
	CompanyID int64 // 0 when no company was sent
	// Merged reports that duplicate control merged the data into existing entities.
	Merged bool
}

// CreateComplex creates leads together with their contact and company, at most 50 per request
// whatever the batch size. Results and errors are as for Create.
//
// API docs: POST /api/v4/leads/complex,
// https://www.amocrm.ru/developers/content/crm_platform/leads-api#leads-complex-add
func (s *LeadsService) CreateComplex(ctx context.Context, leads []ComplexLeadRequest) ([]ComplexLeadResult, error) {
	size := min(s.client.batchSize, maxComplexBatch)
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: "api/v4/leads/complex", size: size}, leads)
	out := make([]ComplexLeadResult, len(answers))
	for i, a := range answers {
		out[i] = ComplexLeadResult{Index: a.Index, ID: a.ID, ContactID: a.ContactID, CompanyID: a.CompanyID, Merged: a.Merged}
	}
	return out, err
}

// Link attaches contacts, a company or catalog elements to the lead leadID and returns the links
// made. Build the links with LinkContact, LinkCompany and LinkCatalogElement.
//
// API docs: POST /api/v4/leads/{id}/link,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api#links-link
func (s *LeadsService) Link(ctx context.Context, leadID int64, links []Link) ([]Link, error) {
	return link(ctx, s.client, EntityLeads, leadID, links)
}

// Unlink detaches entities from the lead leadID.
//
// API docs: POST /api/v4/leads/{id}/unlink,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api#links-unlink
func (s *LeadsService) Unlink(ctx context.Context, leadID int64, links []Link) error {
	return unlink(ctx, s.client, EntityLeads, leadID, links)
}

// Links returns the entities linked to the lead leadID, narrowed by f (nil for all).
//
// API docs: GET /api/v4/leads/{id}/links,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api#links-list
func (s *LeadsService) Links(ctx context.Context, leadID int64, f *LinkFilter) ([]Link, error) {
	return links(ctx, s.client, EntityLeads, leadID, f)
}

// ProductLink is a catalog element, such as a product, attached to a lead.
type ProductLink struct {
	ElementID int64
	CatalogID int64
	// Quantity may be fractional ("2.5"); empty leaves amoCRM's default when linking.
	Quantity Decimal
	// PriceID is the id of the catalog's price field whose value applies; 0 for none.
	PriceID int64
}

func (p ProductLink) link() Link {
	return LinkCatalogElement(p.ElementID, p.CatalogID, p.Quantity, p.PriceID)
}

// Products returns the catalog elements attached to the lead leadID with their quantities.
//
// API docs: GET /api/v4/leads/{id}/links?filter[to_entity_type]=catalog_elements,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api#links-list
func (s *LeadsService) Products(ctx context.Context, leadID int64) ([]ProductLink, error) {
	ls, err := s.Links(ctx, leadID, &LinkFilter{ToEntityType: EntityCatalogElements})
	if err != nil {
		return nil, err
	}
	var out []ProductLink
	for _, l := range ls {
		if l.ToEntityType != EntityCatalogElements {
			continue
		}
		out = append(out, ProductLink{ElementID: l.ToEntityID, CatalogID: l.Metadata.CatalogID, Quantity: l.Metadata.Quantity, PriceID: l.Metadata.PriceID})
	}
	return out, nil
}

// LinkProducts attaches catalog elements, such as products, to the lead leadID with their
// quantities and price fields.
//
// API docs: POST /api/v4/leads/{id}/link,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api#links-link
func (s *LeadsService) LinkProducts(ctx context.Context, leadID int64, products []ProductLink) error {
	ls := make([]Link, len(products))
	for i, p := range products {
		ls[i] = p.link()
	}
	_, err := s.Link(ctx, leadID, ls)
	return err
}

// UnlinkProducts detaches catalog elements from the lead leadID.
//
// API docs: POST /api/v4/leads/{id}/unlink,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api#links-unlink
func (s *LeadsService) UnlinkProducts(ctx context.Context, leadID int64, products []ProductLink) error {
	ls := make([]Link, len(products))
	for i, p := range products {
		ls[i] = p.link()
	}
	return s.Unlink(ctx, leadID, ls)
}
