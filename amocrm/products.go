package amocrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CatalogsService reads catalogs (lists) and reads and writes their elements, such as the
// account's products: /api/v4/catalogs (docs/amocrm-reference.md#catalogs).
type CatalogsService service

// CatalogType is a catalog's type.
type CatalogType string

// Catalog types.
const (
	CatalogRegular   CatalogType = "regular"
	CatalogProducts  CatalogType = "products" // the built-in products catalog
	CatalogInvoices  CatalogType = "invoices"
	CatalogSuppliers CatalogType = "suppliers"
)

// Catalog is a catalog (a "list" in amoCRM's interface).
type Catalog struct {
	ID              int64       `json:"id"`
	Name            string      `json:"name"`
	Type            CatalogType `json:"type"`
	Sort            int64       `json:"sort"`
	CreatedBy       int64       `json:"created_by"`
	UpdatedBy       int64       `json:"updated_by"`
	CreatedAt       Timestamp   `json:"created_at"`
	UpdatedAt       Timestamp   `json:"updated_at"`
	CanAddElements  bool        `json:"can_add_elements"`
	CanShowInCards  bool        `json:"can_show_in_cards"`
	CanLinkMultiple bool        `json:"can_link_multiple"`
	CanBeDeleted    bool        `json:"can_be_deleted"`
	SDKWidgetCode   string      `json:"sdk_widget_code"`
	AccountID       int64       `json:"account_id"`
}

// CatalogListOptions filters and pages CatalogsService.List and All.
type CatalogListOptions struct {
	Type CatalogType
	// Page is the 1-based page to read (All starts there); Limit the page size, at most
	// MaxPageSize.
	Page, Limit int
}

func (o *CatalogListOptions) values() (url.Values, error) {
	q := query{}
	if o == nil {
		return q.values(), nil
	}
	if err := checkPage(o.Page, o.Limit); err != nil {
		return nil, err
	}
	q.set("type", string(o.Type))
	q.page(o.Page, o.Limit)
	return q.values(), nil
}

// List returns one page of catalogs.
//
// API docs: GET /api/v4/catalogs,
// https://www.amocrm.ru/developers/content/crm_platform/catalogs-api#lists-list
func (s *CatalogsService) List(ctx context.Context, opts *CatalogListOptions) (*Page[Catalog], error) {
	return pageOf[Catalog](ctx, s.client, "api/v4/catalogs", opts, "catalogs")
}

// All ranges over every catalog matching opts, fetching pages lazily.
//
// API docs: GET /api/v4/catalogs,
// https://www.amocrm.ru/developers/content/crm_platform/catalogs-api#lists-list
func (s *CatalogsService) All(ctx context.Context, opts *CatalogListOptions) iter.Seq2[Catalog, error] {
	return allOf[Catalog](ctx, s.client, "api/v4/catalogs", opts, "catalogs")
}

// Get returns the catalog id.
//
// API docs: GET /api/v4/catalogs/{id},
// https://www.amocrm.ru/developers/content/crm_platform/catalogs-api#list-detail
func (s *CatalogsService) Get(ctx context.Context, id int64) (*Catalog, error) {
	return getByID[Catalog](ctx, s.client, "api/v4/catalogs", "catalog", id, nil)
}

// ProductsCatalog returns the account's products catalog (type products). When the account has
// none, for instance because products are turned off, the error matches ErrNotFound.
//
// API docs: GET /api/v4/catalogs?type=products,
// https://www.amocrm.ru/developers/content/crm_platform/catalogs-api#lists-list
func (s *CatalogsService) ProductsCatalog(ctx context.Context) (*Catalog, error) {
	for c, err := range s.All(ctx, &CatalogListOptions{Type: CatalogProducts}) {
		if err != nil {
			return nil, err
		}
		if c.Type == CatalogProducts {
			return &c, nil
		}
	}
	return nil, fmt.Errorf("amocrm: the account has no products catalog: %w", ErrNotFound)
}

// Field codes of the products catalog's system fields (docs/amocrm-reference.md#catalog-elements).
const (
	FieldCodeSKU         = "SKU"
	FieldCodePrice       = "PRICE"
	FieldCodeDescription = "DESCRIPTION"
	FieldCodeGroup       = "GROUP"
	FieldCodeExternalID  = "EXTERNAL_ID"
)

// CatalogElement is an element of a catalog, such as a product
// (docs/amocrm-reference.md#catalog-elements).
type CatalogElement struct {
	ID                 int64        `json:"id"`
	Name               string       `json:"name"`
	CatalogID          int64        `json:"catalog_id"`
	CreatedBy          int64        `json:"created_by"`
	UpdatedBy          int64        `json:"updated_by"`
	CreatedAt          Timestamp    `json:"created_at"`
	UpdatedAt          Timestamp    `json:"updated_at"`
	IsDeleted          bool         `json:"is_deleted"` // null on the wire reads as false
	CurrencyID         int64        `json:"currency_id"`
	AccountID          int64        `json:"account_id"`
	CustomFieldsValues CustomFields `json:"custom_fields_values"`
}

// SKU returns the product's article (the SKU field), or "".
func (e CatalogElement) SKU() string { return e.text(FieldCodeSKU) }

// Description returns the product's description (the DESCRIPTION field), or "".
func (e CatalogElement) Description() string { return e.text(FieldCodeDescription) }

// ExternalID returns the EXTERNAL_ID field, or "".
func (e CatalogElement) ExternalID() string { return e.text(FieldCodeExternalID) }

func (e CatalogElement) text(code string) string {
	f, _ := e.CustomFieldsValues.ByCode(code)
	return f.First().String()
}

// Price returns the product's price (the PRICE field) in whole currency units, exactly, whether
// amoCRM sent it as a number or a string. ok is false when the element has no price; err reports a
// price that is not a number. Decimal.Kopecks converts it to minor units.
func (e CatalogElement) Price() (price Decimal, ok bool, err error) {
	f, found := e.CustomFieldsValues.ByCode(FieldCodePrice)
	if !found || len(f.Values) == 0 || f.Values[0].IsNull() {
		return "", false, nil
	}
	d, err := f.Values[0].Decimal()
	if err != nil {
		return "", true, fmt.Errorf("amocrm: catalog element %d: PRICE: %w", e.ID, err)
	}
	return d, true, nil
}

// ProductGroup is the group (category) a product belongs to.
type ProductGroup struct {
	ID   int64  // the enum_id of the GROUP value
	Name string // the group's name
}

// Group returns the product's group (the GROUP field).
func (e CatalogElement) Group() (ProductGroup, bool) {
	f, ok := e.CustomFieldsValues.ByCode(FieldCodeGroup)
	if !ok || len(f.Values) == 0 {
		return ProductGroup{}, false
	}
	v := f.Values[0]
	return ProductGroup{ID: v.EnumID, Name: v.String()}, true
}

// ProductFields writes the system fields of a product by their field codes. Zero fields are left
// out. Use Fields to put them in a request, next to any other custom fields.
type ProductFields struct {
	SKU         string
	Price       Decimal // whole currency units, e.g. "1250.50"
	Description string
	GroupID     int64 // enum_id of the group
	ExternalID  string
}

// Fields returns the custom field inputs for the fields that are set.
func (p ProductFields) Fields() []CustomFieldInput {
	var out []CustomFieldInput
	if p.SKU != "" {
		out = append(out, FieldByCode(FieldCodeSKU, TextValue(p.SKU)))
	}
	if p.Price != "" {
		out = append(out, FieldByCode(FieldCodePrice, DecimalValue(p.Price)))
	}
	if p.Description != "" {
		out = append(out, FieldByCode(FieldCodeDescription, TextValue(p.Description)))
	}
	if p.GroupID != 0 {
		out = append(out, FieldByCode(FieldCodeGroup, EnumValue(p.GroupID)))
	}
	if p.ExternalID != "" {
		out = append(out, FieldByCode(FieldCodeExternalID, TextValue(p.ExternalID)))
	}
	return out
}

// ElementWith names extra data to load with catalog elements.
type ElementWith string

// Values for ElementListOptions.With.
const (
	ElementWithInvoiceLink         ElementWith = "invoice_link"
	ElementWithSupplierFieldValues ElementWith = "supplier_field_values"
)

// ElementListOptions filters and pages the elements of a catalog.
type ElementListOptions struct {
	IDs []int64
	// Query searches the elements' names and fields.
	Query string
	With  []ElementWith
	// Page is the 1-based page to read (All starts there); Limit the page size, at most
	// MaxPageSize.
	Page, Limit int
}

func (o *ElementListOptions) values() (url.Values, error) {
	q := query{}
	if o == nil {
		return q.values(), nil
	}
	if err := checkPage(o.Page, o.Limit); err != nil {
		return nil, err
	}
	// The official PHP SDK filters elements by a top-level id[]; the other lists use filter[id][].
	// Which one the server reads is not documented, so both are sent.
	q.ints("filter[id]", o.IDs)
	q.ints("id", o.IDs)
	q.set("query", o.Query)
	q.with(names(o.With))
	q.page(o.Page, o.Limit)
	return q.values(), nil
}

func elementsPath(catalogID int64) (string, error) {
	if catalogID <= 0 {
		return "", fmt.Errorf("amocrm: invalid catalog id %d", catalogID)
	}
	return "api/v4/catalogs/" + strconv.FormatInt(catalogID, 10) + "/elements", nil
}

// ListElements returns one page of the elements of catalog catalogID.
//
// API docs: GET /api/v4/catalogs/{catalog_id}/elements,
// https://www.amocrm.ru/developers/content/crm_platform/catalogs-api#list-elements-list
func (s *CatalogsService) ListElements(ctx context.Context, catalogID int64, opts *ElementListOptions) (*Page[CatalogElement], error) {
	path, err := elementsPath(catalogID)
	if err != nil {
		return nil, err
	}
	return pageOf[CatalogElement](ctx, s.client, path, opts, "elements")
}

// AllElements ranges over every element of catalog catalogID matching opts, fetching pages lazily.
//
// API docs: GET /api/v4/catalogs/{catalog_id}/elements,
// https://www.amocrm.ru/developers/content/crm_platform/catalogs-api#list-elements-list
func (s *CatalogsService) AllElements(ctx context.Context, catalogID int64, opts *ElementListOptions) iter.Seq2[CatalogElement, error] {
	path, err := elementsPath(catalogID)
	if err != nil {
		return errSeq[CatalogElement](err)
	}
	return allOf[CatalogElement](ctx, s.client, path, opts, "elements")
}

// GetElement returns the element id of catalog catalogID.
//
// API docs: GET /api/v4/catalogs/{catalog_id}/elements/{id},
// https://www.amocrm.ru/developers/content/crm_platform/catalogs-api#list-element-detail
func (s *CatalogsService) GetElement(ctx context.Context, catalogID, id int64, with ...ElementWith) (*CatalogElement, error) {
	path, err := elementsPath(catalogID)
	if err != nil {
		return nil, err
	}
	return getByID[CatalogElement](ctx, s.client, path, "catalog element", id, names(with))
}

// CreateElementRequest is a new catalog element. For a product, put ProductFields{…}.Fields() in
// CustomFieldsValues.
type CreateElementRequest struct {
	Name               string             `json:"name"`
	CustomFieldsValues []CustomFieldInput `json:"custom_fields_values,omitempty"`
}

// MarshalJSON writes the element the way POST /api/v4/catalogs/{id}/elements takes it.
func (r CreateElementRequest) MarshalJSON() ([]byte, error) {
	if r.Name == "" {
		return nil, fmt.Errorf("amocrm: a catalog element needs a Name")
	}
	type plain CreateElementRequest
	return json.Marshal(plain(r))
}

// UpdateElementRequest changes the element ID; a nil Name is left alone.
type UpdateElementRequest struct {
	ID                 int64
	Name               *string
	CustomFieldsValues []CustomFieldInput
}

// MarshalJSON writes the change the way PATCH /api/v4/catalogs/{id}/elements takes it.
func (r UpdateElementRequest) MarshalJSON() ([]byte, error) {
	if r.ID <= 0 {
		return nil, fmt.Errorf("amocrm: catalog element update without a valid ID (%d)", r.ID)
	}
	return json.Marshal(struct {
		ID                 int64              `json:"id"`
		Name               *string            `json:"name,omitempty"`
		CustomFieldsValues []CustomFieldInput `json:"custom_fields_values,omitempty"`
	}{r.ID, r.Name, r.CustomFieldsValues})
}

// CreateElements adds any number of elements to catalog catalogID, in batches. Results and errors
// are as for LeadsService.Create.
//
// API docs: POST /api/v4/catalogs/{catalog_id}/elements,
// https://www.amocrm.ru/developers/content/crm_platform/catalogs-api#list-elements-add
func (s *CatalogsService) CreateElements(ctx context.Context, catalogID int64, elements []CreateElementRequest) ([]Saved, error) {
	path, err := elementsPath(catalogID)
	if err != nil {
		return nil, err
	}
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: path, key: "elements"}, elements)
	return savedOf(answers), err
}

// UpdateElements changes any number of elements of catalog catalogID, in batches. Results and
// errors are as for LeadsService.Create.
//
// API docs: PATCH /api/v4/catalogs/{catalog_id}/elements,
// https://www.amocrm.ru/developers/content/crm_platform/catalogs-api#list-elements-edit
func (s *CatalogsService) UpdateElements(ctx context.Context, catalogID int64, elements []UpdateElementRequest) ([]Saved, error) {
	path, err := elementsPath(catalogID)
	if err != nil {
		return nil, err
	}
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPatch, path: path, key: "elements"}, elements)
	return savedOf(answers), err
}

// UpdateElement changes the element id of catalog catalogID; req.ID is ignored.
//
// API docs: PATCH /api/v4/catalogs/{catalog_id}/elements/{id},
// https://www.amocrm.ru/developers/content/crm_platform/catalogs-api#list-elements-edit
func (s *CatalogsService) UpdateElement(ctx context.Context, catalogID, id int64, req UpdateElementRequest) (Saved, error) {
	path, err := elementsPath(catalogID)
	if err != nil {
		return Saved{}, err
	}
	req.ID = id
	return sendOne(ctx, s.client, idPath(path, id), req)
}

// FindBySKU returns the elements of the catalog catalogID whose SKU field equals sku exactly
// (spaces around it and letter case count). amoCRM's query is a full-text search that also matches
// other fields and longer articles, so FindBySKU narrows the search to exact matches; no match is
// an empty slice, not an error. Look at len(result) > 1 where duplicates matter.
//
// API docs: GET /api/v4/catalogs/{id}/elements?query=…, https://www.amocrm.ru/developers/content/crm_platform/catalogs-api#list-elements-list
func (s *CatalogsService) FindBySKU(ctx context.Context, catalogID int64, sku string) ([]CatalogElement, error) {
	if strings.TrimSpace(sku) == "" {
		return nil, errors.New("amocrm: FindBySKU: empty SKU")
	}
	var out []CatalogElement
	for e, err := range s.AllElements(ctx, catalogID, &ElementListOptions{Query: sku, Limit: MaxPageSize}) {
		if err != nil {
			return nil, err
		}
		if e.SKU() == sku {
			out = append(out, e)
		}
	}
	return out, nil
}
