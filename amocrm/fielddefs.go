package amocrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// CustomFieldsService reads and writes the definitions of custom fields and their groups:
// /api/v4/{entity}/custom_fields. Reads are open to every user; writes need an account
// administrator (ErrAdminOnly otherwise). The values of fields on entities are written with
// CustomFieldInput instead.
//
// amoCRM deletes every option (enum) of a select, multiselect or radiobutton field that an update
// leaves out, and gives the options sent without an id new ids, which breaks the enum_id stored
// in entities. UpdateFieldRequest therefore never sends options unless given an EnumsChange,
// which only EditEnums (starting from the field's current options) and ReplaceEnums (which says
// what it does) make; UpdateEnums reads the field first and is the safe way to change options.
type CustomFieldsService service

// FieldOwner is the kind of entity custom fields belong to.
type FieldOwner string

// Owners of custom fields; a catalog's fields are FieldsOfCatalog.
const (
	FieldsOfLeads     FieldOwner = "leads"
	FieldsOfContacts  FieldOwner = "contacts"
	FieldsOfCompanies FieldOwner = "companies"
	FieldsOfCustomers FieldOwner = "customers"
	FieldsOfSegments  FieldOwner = "customers/segments" // has no field groups
)

// FieldsOfCatalog is the owner of the fields of the catalog catalogID.
func FieldsOfCatalog(catalogID int64) FieldOwner {
	return FieldOwner("catalogs/" + strconv.FormatInt(catalogID, 10))
}

func (o FieldOwner) path() (string, error) {
	switch o {
	case FieldsOfLeads, FieldsOfContacts, FieldsOfCompanies, FieldsOfCustomers, FieldsOfSegments:
		return "api/v4/" + string(o) + "/custom_fields", nil
	}
	if id, ok := strings.CutPrefix(string(o), "catalogs/"); ok {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 && strconv.FormatInt(n, 10) == id {
			return "api/v4/" + string(o) + "/custom_fields", nil
		}
	}
	return "", fmt.Errorf("amocrm: %q does not own custom fields: use FieldsOfLeads, … or FieldsOfCatalog", string(o))
}

// FieldEnum is an option of a select, multiselect, radiobutton or multitext field. For the system
// multitext fields (PHONE, EMAIL) Value holds the code, such as "WORK".
type FieldEnum struct {
	ID    int64  `json:"id"`
	Value string `json:"value"`
	Sort  int64  `json:"sort"`
	Code  string `json:"code"` // "" when null
}

// FieldStage names a stage of a pipeline, for required and hidden fields.
type FieldStage struct {
	StatusID   int64 `json:"status_id"`
	PipelineID int64 `json:"pipeline_id"`
}

// FieldNested is a value of a category field.
type FieldNested struct {
	ID       int64  `json:"id"`
	ParentID int64  `json:"parent_id"`
	Value    string `json:"value"`
	Sort     int64  `json:"sort"`
}

// FieldDefinition is a custom field as the account defines it.
type FieldDefinition struct {
	ID               int64         `json:"id"`
	Name             string        `json:"name"`
	Code             string        `json:"code"` // "" when null; values can name the field by it
	Sort             int64         `json:"sort"`
	Type             FieldType     `json:"type"`
	EntityType       string        `json:"entity_type"`
	AccountID        int64         `json:"account_id"`
	GroupID          string        `json:"group_id"` // "" when null (the main group)
	IsDeletable      bool          `json:"is_deletable"`
	IsAPIOnly        bool          `json:"is_api_only"`
	IsVisible        bool          `json:"is_visible"`
	IsRequired       bool          `json:"is_required"`
	IsComputed       bool          `json:"is_computed"`
	IsPredefined     bool          `json:"is_predefined"`
	Enums            []FieldEnum   `json:"enums"`
	Nested           []FieldNested `json:"nested"`
	RequiredStatuses []FieldStage  `json:"required_statuses"`
	HiddenStatuses   []FieldStage  `json:"hidden_statuses"`
	Remind           string        `json:"remind"`   // birthday: never, day, week, month
	Currency         string        `json:"currency"` // monetary
	// Settings are a catalog field's settings, as sent.
	Settings json.RawMessage `json:"settings"`
}

// Enum returns the option with the given id.
func (f FieldDefinition) Enum(id int64) (FieldEnum, bool) {
	for _, e := range f.Enums {
		if e.ID == id {
			return e, true
		}
	}
	return FieldEnum{}, false
}

// EnumByValue returns the option whose Value is v.
func (f FieldDefinition) EnumByValue(v string) (FieldEnum, bool) {
	for _, e := range f.Enums {
		if e.Value == v {
			return e, true
		}
	}
	return FieldEnum{}, false
}

// FieldListOptions filters and pages CustomFieldsService.List and All.
type FieldListOptions struct {
	Types []FieldType
	Order Sort // by "sort" (SortBySort) or SortByID
	// Page is the 1-based page to read (All starts there); Limit the page size, at most MaxPageSize.
	Page, Limit int
}

// SortBySort orders custom fields by their sort.
const SortBySort SortField = "sort"

func (o *FieldListOptions) values() (url.Values, error) {
	q := query{}
	if o == nil {
		return q.values(), nil
	}
	if err := checkPage(o.Page, o.Limit); err != nil {
		return nil, err
	}
	q.list("filter[type]", names(o.Types)...)
	q.order(string(o.Order.By), o.Order.Dir)
	q.page(o.Page, o.Limit)
	return q.values(), nil
}

// List returns one page of the custom fields of owner.
//
// API docs: GET /api/v4/{entity}/custom_fields, https://www.amocrm.ru/developers/content/crm_platform/custom-fields#custom-fields-list
func (s *CustomFieldsService) List(ctx context.Context, owner FieldOwner, opts *FieldListOptions) (*Page[FieldDefinition], error) {
	p, err := owner.path()
	if err != nil {
		return nil, err
	}
	return pageOf[FieldDefinition](ctx, s.client, p, opts, "custom_fields")
}

// All ranges over every custom field of owner, fetching pages lazily.
//
// API docs: GET /api/v4/{entity}/custom_fields, https://www.amocrm.ru/developers/content/crm_platform/custom-fields#custom-fields-list
func (s *CustomFieldsService) All(ctx context.Context, owner FieldOwner, opts *FieldListOptions) iter.Seq2[FieldDefinition, error] {
	p, err := owner.path()
	if err != nil {
		return errSeq[FieldDefinition](err)
	}
	return allOf[FieldDefinition](ctx, s.client, p, opts, "custom_fields")
}

// Get returns the custom field id of owner.
//
// API docs: GET /api/v4/{entity}/custom_fields/{id}, https://www.amocrm.ru/developers/content/crm_platform/custom-fields#custom-field-detail
func (s *CustomFieldsService) Get(ctx context.Context, owner FieldOwner, id int64) (*FieldDefinition, error) {
	p, err := owner.path()
	if err != nil {
		return nil, err
	}
	return getByID[FieldDefinition](ctx, s.client, p, "custom field", id, nil)
}

// NewEnum is an option to add to a field.
type NewEnum struct {
	Value string `json:"value"`
	Sort  int64  `json:"sort"`
	Code  string `json:"code,omitempty"`
}

// enumWire is an option in a field write: with its id to keep it, without to add it.
type enumWire struct {
	ID    int64  `json:"id,omitzero"`
	Value string `json:"value"`
	Sort  int64  `json:"sort"`
	Code  string `json:"code,omitempty"`
}

// CreateFieldRequest is a new custom field. Name and Type are required; select, multiselect and
// radiobutton fields need Enums.
type CreateFieldRequest struct {
	Name             string
	Type             FieldType
	Code             string
	Sort             int64
	GroupID          string
	IsAPIOnly        bool
	IsVisible        *bool
	IsRequired       bool
	Enums            []NewEnum
	RequiredStatuses []FieldStage
	Remind           string
	Currency         string
}

// fieldWire is the body of a field write.
type fieldWire struct {
	ID               int64        `json:"id,omitzero"`
	Name             *string      `json:"name,omitempty"`
	Type             FieldType    `json:"type,omitempty"`
	Code             *string      `json:"code,omitempty"`
	Sort             *int64       `json:"sort,omitempty"`
	GroupID          *string      `json:"group_id,omitempty"`
	IsAPIOnly        *bool        `json:"is_api_only,omitempty"`
	IsVisible        *bool        `json:"is_visible,omitempty"`
	IsRequired       *bool        `json:"is_required,omitempty"`
	Enums            []enumWire   `json:"enums,omitempty"`
	RequiredStatuses []FieldStage `json:"required_statuses,omitempty"`
	Remind           string       `json:"remind,omitempty"`
	Currency         string       `json:"currency,omitempty"`
}

// needsEnums are the field types that cannot exist without options.
var needsEnums = []FieldType{FieldSelect, FieldMultiselect, FieldRadiobutton}

// MarshalJSON writes the field the way POST /api/v4/{entity}/custom_fields takes it.
func (r CreateFieldRequest) MarshalJSON() ([]byte, error) {
	if strings.TrimSpace(r.Name) == "" || r.Type == "" {
		return nil, errors.New("amocrm: a new custom field needs a Name and a Type")
	}
	if slices.Contains(needsEnums, r.Type) && len(r.Enums) == 0 {
		return nil, fmt.Errorf("amocrm: a %s field needs Enums", r.Type)
	}
	w := fieldWire{Name: &r.Name, Type: r.Type, Code: nonEmpty(r.Code), GroupID: nonEmpty(r.GroupID),
		IsVisible: r.IsVisible, RequiredStatuses: r.RequiredStatuses, Remind: r.Remind, Currency: r.Currency}
	if r.Sort != 0 {
		w.Sort = &r.Sort
	}
	if r.IsAPIOnly {
		w.IsAPIOnly = &r.IsAPIOnly
	}
	if r.IsRequired {
		w.IsRequired = &r.IsRequired
	}
	for _, e := range r.Enums {
		if strings.TrimSpace(e.Value) == "" {
			return nil, fmt.Errorf("amocrm: custom field %q: an option without a Value", r.Name)
		}
		w.Enums = append(w.Enums, enumWire{Value: e.Value, Sort: e.Sort, Code: e.Code})
	}
	return json.Marshal(w)
}

// EnumsChange is the complete new list of a field's options, for an update. The zero EnumsChange
// sends no options and leaves them alone. Make one with EditEnums or ReplaceEnums.
type EnumsChange struct {
	set   bool
	enums []enumWire
}

// IsZero reports whether the change leaves the options alone.
func (c EnumsChange) IsZero() bool { return !c.set }

// EnumEditor changes a field's options starting from the ones it has: every option it was given
// is kept, with its id, unless removed with Remove.
type EnumEditor struct {
	enums []enumWire
	err   error
}

// EditEnums starts a change of the options current, which must be the field's options as amoCRM
// has them now (FieldDefinition.Enums from a fresh Get); an option missing from current would be
// deleted. CustomFieldsService.UpdateEnums reads them for you.
func EditEnums(current []FieldEnum) *EnumEditor {
	ed := &EnumEditor{}
	for _, e := range current {
		if e.ID <= 0 {
			ed.err = fmt.Errorf("amocrm: option %q has no id: EditEnums takes the options amoCRM returned", e.Value)
			continue
		}
		ed.enums = append(ed.enums, enumWire(e))
	}
	return ed
}

// Add adds a new option.
func (ed *EnumEditor) Add(e NewEnum) *EnumEditor {
	if strings.TrimSpace(e.Value) == "" {
		ed.err = errors.Join(ed.err, errors.New("amocrm: an option without a Value"))
		return ed
	}
	ed.enums = append(ed.enums, enumWire{Value: e.Value, Sort: e.Sort, Code: e.Code})
	return ed
}

// Rename changes the Value of the option id, keeping its id.
func (ed *EnumEditor) Rename(id int64, value string) *EnumEditor {
	i := slices.IndexFunc(ed.enums, func(w enumWire) bool { return w.ID == id && id > 0 })
	if i < 0 || strings.TrimSpace(value) == "" {
		ed.err = errors.Join(ed.err, fmt.Errorf("amocrm: no option %d to rename to %q", id, value))
		return ed
	}
	ed.enums[i].Value = value
	return ed
}

// Remove deletes the option id: the one way an option leaves a field. Entities that had it
// lose the value.
func (ed *EnumEditor) Remove(id int64) *EnumEditor {
	i := slices.IndexFunc(ed.enums, func(w enumWire) bool { return w.ID == id && id > 0 })
	if i < 0 {
		ed.err = errors.Join(ed.err, fmt.Errorf("amocrm: no option %d to remove", id))
		return ed
	}
	ed.enums = slices.Delete(ed.enums, i, i+1)
	return ed
}

// Change returns the edited list, or the first mistake made while editing.
func (ed *EnumEditor) Change() (EnumsChange, error) {
	if ed.err != nil {
		return EnumsChange{}, ed.err
	}
	if len(ed.enums) == 0 {
		return EnumsChange{}, errors.New("amocrm: a field cannot be left without options")
	}
	return EnumsChange{set: true, enums: slices.Clone(ed.enums)}, nil
}

// ReplaceEnums replaces all of a field's options with new ones, deleting every existing option
// (and so the values entities had) and giving the new ones new ids.
func ReplaceEnums(enums ...NewEnum) EnumsChange {
	c := EnumsChange{set: true}
	for _, e := range enums {
		c.enums = append(c.enums, enumWire{Value: e.Value, Sort: e.Sort, Code: e.Code})
	}
	return c
}

// UpdateFieldRequest changes a custom field. ID is required (UpdateOne takes it from its
// argument); nil pointers and the zero Enums leave things alone.
type UpdateFieldRequest struct {
	ID               int64
	Name             *string
	Code             *string
	Sort             *int64
	GroupID          *string
	IsAPIOnly        *bool
	IsVisible        *bool
	IsRequired       *bool
	RequiredStatuses []FieldStage
	Enums            EnumsChange
}

// MarshalJSON writes the change the way PATCH /api/v4/{entity}/custom_fields takes it.
func (r UpdateFieldRequest) MarshalJSON() ([]byte, error) {
	if r.ID <= 0 {
		return nil, fmt.Errorf("amocrm: custom field update without a valid ID (%d)", r.ID)
	}
	if r.Enums.set && len(r.Enums.enums) == 0 {
		return nil, fmt.Errorf("amocrm: custom field %d: a field cannot be left without options", r.ID)
	}
	for _, e := range r.Enums.enums {
		if strings.TrimSpace(e.Value) == "" {
			return nil, fmt.Errorf("amocrm: custom field %d: an option without a Value", r.ID)
		}
	}
	return json.Marshal(fieldWire{ID: r.ID, Name: r.Name, Code: r.Code, Sort: r.Sort, GroupID: r.GroupID,
		IsAPIOnly: r.IsAPIOnly, IsVisible: r.IsVisible, IsRequired: r.IsRequired,
		RequiredStatuses: r.RequiredStatuses, Enums: r.Enums.enums})
}

// Create creates custom fields of owner. Results and errors are as for LeadsService.Create.
//
// API docs: POST /api/v4/{entity}/custom_fields, https://www.amocrm.ru/developers/content/crm_platform/custom-fields#custom-fields-add
func (s *CustomFieldsService) Create(ctx context.Context, owner FieldOwner, fields []CreateFieldRequest) ([]Saved, error) {
	p, err := owner.path()
	if err != nil {
		return nil, err
	}
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: p, key: "custom_fields"}, fields)
	return savedOf(answers), adminOnly(err)
}

// Update changes custom fields of owner in batches. Results and errors are as for
// LeadsService.Create.
//
// API docs: PATCH /api/v4/{entity}/custom_fields, https://www.amocrm.ru/developers/content/crm_platform/custom-fields#custom-fields-edit
func (s *CustomFieldsService) Update(ctx context.Context, owner FieldOwner, fields []UpdateFieldRequest) ([]Saved, error) {
	p, err := owner.path()
	if err != nil {
		return nil, err
	}
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPatch, path: p, key: "custom_fields"}, fields)
	return savedOf(answers), adminOnly(err)
}

// UpdateOne changes the custom field id of owner and returns it; req.ID is ignored.
//
// API docs: PATCH /api/v4/{entity}/custom_fields/{id}, https://www.amocrm.ru/developers/content/crm_platform/custom-fields#custom-fields-edit
func (s *CustomFieldsService) UpdateOne(ctx context.Context, owner FieldOwner, id int64, req UpdateFieldRequest) (*FieldDefinition, error) {
	p, err := owner.path()
	if err != nil {
		return nil, err
	}
	req.ID = id
	var f FieldDefinition
	if _, err := s.client.send(ctx, http.MethodPatch, idPath(p, id), req, &f); err != nil {
		return nil, adminOnly(err)
	}
	return &f, nil
}

// UpdateEnums reads the field id of owner, lets edit change its options and writes them back,
// keeping the id of every option edit did not remove.
//
//	f, err := c.CustomFields.UpdateEnums(ctx, amocrm.FieldsOfLeads, id, func(ed *amocrm.EnumEditor) {
//		ed.Add(amocrm.NewEnum{Value: "Tempered", Sort: 30})
//	})
func (s *CustomFieldsService) UpdateEnums(ctx context.Context, owner FieldOwner, id int64, edit func(*EnumEditor)) (*FieldDefinition, error) {
	f, err := s.Get(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	ed := EditEnums(f.Enums)
	edit(ed)
	change, err := ed.Change()
	if err != nil {
		return nil, fmt.Errorf("amocrm: custom field %d: %w", id, err)
	}
	return s.UpdateOne(ctx, owner, id, UpdateFieldRequest{Enums: change})
}

// Delete deletes the custom field id of owner, and its values in every entity.
//
// API docs: DELETE /api/v4/{entity}/custom_fields/{id}, https://www.amocrm.ru/developers/content/crm_platform/custom-fields#custom-field-delete
func (s *CustomFieldsService) Delete(ctx context.Context, owner FieldOwner, id int64) error {
	p, err := owner.path()
	if err != nil {
		return err
	}
	return deleteByID(ctx, s.client, p, "custom field", id)
}

// FieldGroup is a group of custom fields: a tab of the entity card. Its id is a string
// ("default", "leads_2745158").
type FieldGroup struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Sort         int64      `json:"sort"`
	EntityType   string     `json:"entity_type"`
	IsPredefined bool       `json:"is_predefined"`
	Type         string     `json:"type"`   // "custom_field_group" or "linked_group"
	Fields       flexIDList `json:"fields"` // ids of the fields in the group, when sent
}

// flexIDList reads a list of ids sent as numbers or strings.
type flexIDList []int64

// UnmarshalJSON reads [1,"2"] or null.
func (l *flexIDList) UnmarshalJSON(b []byte) error {
	var raw []flexString
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*l = nil
	for _, r := range raw {
		n, err := strconv.ParseInt(string(r), 10, 64)
		if err != nil {
			return fmt.Errorf("amocrm: field id %q is not a number", truncate(string(r), 40))
		}
		*l = append(*l, n)
	}
	return nil
}

// fieldGroupsKey is the _embedded key of field groups in amoCRM's answers.
const fieldGroupsKey = "custom_field_groups"

func groupsPath(owner FieldOwner) (string, error) {
	if owner == FieldsOfSegments {
		return "", errors.New("amocrm: customer segments have no field groups")
	}
	p, err := owner.path()
	return p + "/groups", err
}

// Groups returns every field group of owner.
//
// API docs: GET /api/v4/{entity}/custom_fields/groups, https://www.amocrm.ru/developers/content/crm_platform/custom-fields#custom-fields-groups-list
func (s *CustomFieldsService) Groups(ctx context.Context, owner FieldOwner) ([]FieldGroup, error) {
	p, err := groupsPath(owner)
	if err != nil {
		return nil, err
	}
	var out []FieldGroup
	for g, err := range listAll[FieldGroup](ctx, s.client, p, nil, fieldGroupsKey) {
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// Group returns the field group id of owner.
//
// API docs: GET /api/v4/{entity}/custom_fields/groups/{id}, https://www.amocrm.ru/developers/content/crm_platform/custom-fields#custom-fields-group-detail
func (s *CustomFieldsService) Group(ctx context.Context, owner FieldOwner, id string) (*FieldGroup, error) {
	p, err := groupPath(owner, id)
	if err != nil {
		return nil, err
	}
	var g FieldGroup
	if err := s.client.getOne(ctx, p, nil, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

func groupPath(owner FieldOwner, id string) (string, error) {
	p, err := groupsPath(owner)
	if err != nil {
		return "", err
	}
	if id == "" || strings.ContainsAny(id, "/?#%") || id == "." || id == ".." {
		return "", fmt.Errorf("amocrm: invalid field group id %q", id)
	}
	return p + "/" + id, nil
}

// FieldGroupRequest is a field group to create, or the change of one: nil and zero fields are
// left alone. Fields, when not nil, moves those fields into the group (updates only).
type FieldGroupRequest struct {
	Name   string
	Sort   *int64
	Fields []int64
}

type fieldGroupWire struct {
	RequestID string  `json:"request_id,omitempty"`
	Name      string  `json:"name,omitempty"`
	Sort      *int64  `json:"sort,omitempty"`
	Fields    []int64 `json:"fields,omitempty"`
}

// CreateGroups creates field groups of owner in one request and returns them in the order given.
//
// API docs: POST /api/v4/{entity}/custom_fields/groups, https://www.amocrm.ru/developers/content/crm_platform/custom-fields#custom-fields-groups-add
func (s *CustomFieldsService) CreateGroups(ctx context.Context, owner FieldOwner, groups []FieldGroupRequest) ([]FieldGroup, error) {
	p, err := groupsPath(owner)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 || len(groups) > MaxBatchSize {
		return nil, fmt.Errorf("amocrm: %d field groups: give 1 to %d", len(groups), MaxBatchSize)
	}
	body := make([]fieldGroupWire, len(groups))
	for i, g := range groups {
		if strings.TrimSpace(g.Name) == "" {
			return nil, fmt.Errorf("amocrm: field group %d needs a Name", i)
		}
		body[i] = fieldGroupWire{RequestID: strconv.Itoa(i), Name: g.Name, Sort: g.Sort}
	}
	var env struct {
		Embedded map[string][]struct {
			FieldGroup
			RequestID requestIDs `json:"request_id"`
		} `json:"_embedded"`
	}
	if _, err := s.client.send(ctx, http.MethodPost, p, body, &env); err != nil {
		return nil, adminOnly(err)
	}
	out := make([]FieldGroup, len(groups))
	seen := make([]bool, len(groups))
	for k, g := range env.Embedded[fieldGroupsKey] {
		j := requestIndex(g.RequestID, len(groups))
		if j < 0 && len(g.RequestID) == 0 && k < len(groups) {
			j = k
		}
		if j >= 0 && !seen[j] {
			out[j], seen[j] = g.FieldGroup, true
		}
	}
	for j, ok := range seen {
		if !ok {
			return out, fmt.Errorf("amocrm: field group %d (%q): %w", j, groups[j].Name, ErrNotConfirmed)
		}
	}
	return out, nil
}

// UpdateGroup changes the field group id of owner and returns it.
//
// API docs: PATCH /api/v4/{entity}/custom_fields/groups/{id}, https://www.amocrm.ru/developers/content/crm_platform/custom-fields#custom-fields-group-edit
func (s *CustomFieldsService) UpdateGroup(ctx context.Context, owner FieldOwner, id string, req FieldGroupRequest) (*FieldGroup, error) {
	p, err := groupPath(owner, id)
	if err != nil {
		return nil, err
	}
	var g FieldGroup
	if _, err := s.client.send(ctx, http.MethodPatch, p, fieldGroupWire{Name: req.Name, Sort: req.Sort, Fields: req.Fields}, &g); err != nil {
		return nil, adminOnly(err)
	}
	return &g, nil
}

// DeleteGroup deletes the field group id of owner; predefined groups cannot be deleted.
//
// API docs: DELETE /api/v4/{entity}/custom_fields/groups/{id}, https://www.amocrm.ru/developers/content/crm_platform/custom-fields#custom-fields-group-delete
func (s *CustomFieldsService) DeleteGroup(ctx context.Context, owner FieldOwner, id string) error {
	p, err := groupPath(owner, id)
	if err != nil {
		return err
	}
	_, err = s.client.send(ctx, http.MethodDelete, p, nil, nil)
	return adminOnly(err)
}
