package amocrmtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Catalogs and their elements (docs/amocrm-reference.md#catalogs).
func init() {
	registerRoutes(func(_ *Server, m *mux) {
		m.api("GET /api/v4/catalogs", listCatalogs)
		m.api("GET /api/v4/catalogs/{id}", getCatalog)
		m.api("GET /api/v4/catalogs/{id}/custom_fields", listCatalogFields)
		m.api("GET /api/v4/catalogs/{id}/elements", listElements)
		m.api("POST /api/v4/catalogs/{id}/elements", createElements)
		m.api("PATCH /api/v4/catalogs/{id}/elements", updateElements)
		m.api("GET /api/v4/catalogs/{id}/elements/{element_id}", getElement)
		m.api("PATCH /api/v4/catalogs/{id}/elements/{element_id}", updateElement)
	})
}

// Catalog is a list (catalog) of an account (docs/amocrm-reference.md#catalogs). Type
// is "products" for the built-in products catalog every account has, or
// "regular".
type Catalog struct {
	ID        int64
	AccountID int64
	Name      string
	Type      string
	Sort      int
	// Fields are the catalog's custom fields. The products catalog has SKU,
	// PRICE, DESCRIPTION and GROUP.
	Fields []CustomField
}

// Field returns the catalog's field with the given code ("PRICE").
func (c Catalog) Field(code string) (CustomField, bool) {
	for _, f := range c.Fields {
		if f.Code == code {
			return f, true
		}
	}
	return CustomField{}, false
}

// Element is an element of a catalog: a product in the products catalog
// (docs/amocrm-reference.md#catalog-elements).
type Element struct {
	ID           int64
	CatalogID    int64
	AccountID    int64
	Name         string
	CustomFields []CustomFieldValue
	CreatedBy    int64
	UpdatedBy    int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (c *call) catalog(id int64) *catalog {
	cat := c.st().Catalog(id)
	if cat == nil || cat.AccountID != c.acct.ID {
		return nil
	}
	return cat
}

func (c *call) renderCatalog(cat *catalog) obj {
	return obj{
		"id": cat.ID, "name": cat.Name, "created_by": cat.CreatedBy, "updated_by": cat.CreatedBy,
		"created_at": cat.CreatedAt, "updated_at": cat.UpdatedAt, "sort": cat.Sort, "type": cat.Type,
		"can_add_elements": true, "can_show_in_cards": true, "can_link_multiple": true,
		"can_be_deleted": cat.Type != "products", "sdk_widget_code": nil, "account_id": cat.AccountID,
		"_links": obj{"self": obj{"href": c.base + "/api/v4/catalogs/" + strconv.FormatInt(cat.ID, 10)}},
	}
}

func listCatalogs(c *call) reply {
	lq, rep := c.s.parseList(c.r.URL.Query())
	if rep != nil {
		return *rep
	}
	typ := lq.q.Get("type")
	var out []*catalog
	for _, cat := range c.st().Catalogs() {
		if cat.AccountID == c.acct.ID && (typ == "" || cat.Type == typ) {
			out = append(out, cat)
		}
	}
	sortBy(out, lq, func(cat *catalog, _ string) int64 { return cat.ID })
	return pageOf(c.r, lq, "catalogs", out, c.renderCatalog)
}

func getCatalog(c *call) reply {
	cat := c.catalog(c.pathID("id"))
	if cat == nil {
		return c.missing("catalogs")
	}
	return okReply(c.renderCatalog(cat))
}

func listCatalogFields(c *call) reply {
	cat := c.catalog(c.pathID("id"))
	if cat == nil {
		return notFound()
	}
	lq, rep := c.s.parseList(c.r.URL.Query())
	if rep != nil {
		return *rep
	}
	self := "/api/v4/catalogs/" + strconv.FormatInt(cat.ID, 10) + "/custom_fields"
	return pageOf(c.r, lq, "custom_fields", cat.Fields, func(d *fieldDef) obj {
		return renderFieldDef(d, c.acct.ID, c.base, self)
	})
}

func (c *call) elementHref(el *element) obj {
	return obj{"href": c.base + "/api/v4/catalogs/" + strconv.FormatInt(el.CatalogID, 10) + "/elements/" + strconv.FormatInt(el.ID, 10)}
}

// renderElement is the read model; is_deleted is null, as amoCRM samples
// show (docs/amocrm-reference.md#catalog-elements).
func (c *call) renderElement(el *element) obj {
	return obj{
		"id": el.ID, "name": el.Name, "created_by": el.CreatedBy, "updated_by": el.UpdatedBy,
		"created_at": el.CreatedAt, "updated_at": el.UpdatedAt, "is_deleted": nil,
		"custom_fields_values": renderCF(el.CF), "catalog_id": el.CatalogID, "account_id": el.AccountID,
		"_links": obj{"self": c.elementHref(el)},
	}
}

func listElements(c *call) reply {
	cat := c.catalog(c.pathID("id"))
	if cat == nil {
		return notFound()
	}
	lq, rep := c.s.parseList(c.r.URL.Query(), "id")
	if rep != nil {
		return *rep
	}
	// The PHP SDK sends the id filter as top-level id[]
	// (docs/amocrm-reference.md#catalog-elements); which form the server prefers is
	// UNVERIFIED, so both are accepted.
	ids, hasIDs, err := intList(lq.q, "filter[id]")
	if err != nil {
		return *filterError("filter[id]")
	}
	if more, ok, err := intList(lq.q, "id"); err != nil {
		return *filterError("id")
	} else if ok {
		ids, hasIDs = append(ids, more...), true
	}
	var out []*element
	for _, el := range c.st().Elements() {
		if el.CatalogID != cat.ID || hasIDs && !slices.Contains(ids, el.ID) {
			continue
		}
		if matchesQuery(el.ID, []string{el.Name}, el.CF, lq.query) {
			out = append(out, el)
		}
	}
	sortBy(out, lq, func(el *element, _ string) int64 { return el.ID })
	return pageOf(c.r, lq, "elements", out, c.renderElement)
}

func getElement(c *call) reply {
	cat := c.catalog(c.pathID("id"))
	if cat == nil {
		return notFound()
	}
	el := c.st().Element(c.pathID("element_id"))
	if el == nil || el.CatalogID != cat.ID {
		return c.missing("catalog_elements")
	}
	return okReply(c.renderElement(el))
}

type elementWrite struct {
	id        int64
	hasID     bool
	requestID json.RawMessage
	label     string
	name      *string
	cf        []cfUpdate
}

func (c *call) parseElement(cat *catalog, raw json.RawMessage, mode int, ch *checker) elementWrite {
	var w elementWrite
	f, ok := ch.object(raw, "")
	if !ok {
		return w
	}
	w.requestID, w.label = f.requestID()
	switch mode {
	case modeCreate:
		if f.has("id") {
			f.get("id")
			ch.add(codeNotExpected, "id", detailNotExpected)
		}
		f.require("name")
	case modeUpdate:
		f.require("id")
		fallthrough
	default:
		w.id, w.hasID = f.int("id")
		if w.hasID {
			if el := c.st().Element(w.id); el == nil || el.CatalogID != cat.ID {
				ch.add(codeNotSupported, "id", "Element not found")
			}
		}
	}
	w.name = optStr(f, "name")
	if w.name != nil && *w.name == "" {
		ch.add(codeNotSupported, "name", "This value should not be blank.")
	}
	w.cf = f.customFields(cat.Fields, c.cfLax())
	f.done()
	return w
}

func (c *call) applyElement(el *element, w elementWrite) {
	if w.name != nil {
		el.Name = *w.name
	}
	el.CF = applyCF(el.CF, w.cf)
	el.UpdatedAt, el.UpdatedBy = c.now, c.userID
}

func writeElements(mode int) func(c *call) reply {
	return func(c *call) reply {
		cat := c.catalog(c.pathID("id"))
		if cat == nil {
			return notFound()
		}
		writes, rep := parseWrites(c.body, maxBatch, detailLimit250, func(raw json.RawMessage, ch *checker) (elementWrite, string) {
			w := c.parseElement(cat, raw, mode, ch)
			return w, w.label
		})
		if rep != nil {
			return *rep
		}
		out := make([]obj, 0, len(writes))
		for i, w := range writes {
			var el *element
			if mode == modeCreate {
				el = c.st().NewElement(cat, c.userID, c.now)
			} else {
				el = c.st().Element(w.id)
			}
			c.applyElement(el, w)
			o := c.renderElement(el)
			o["request_id"] = echoRequestID(w.requestID, i)
			out = append(out, o)
		}
		return c.embeddedReply("elements", out)
	}
}

var (
	createElements = writeElements(modeCreate)
	updateElements = writeElements(modeUpdate)
)

func updateElement(c *call) reply {
	cat := c.catalog(c.pathID("id"))
	if cat == nil {
		return notFound()
	}
	el := c.st().Element(c.pathID("element_id"))
	if el == nil || el.CatalogID != cat.ID {
		return notFound()
	}
	if rep := parseObjectBody(c.body); rep != nil {
		return *rep
	}
	var ch checker
	w := c.parseElement(cat, c.body, modeUpdateOne, &ch)
	if w.hasID && w.id != el.ID {
		ch.add(codeNotSupported, "id", "id does not match the URL")
	}
	var errs batchErrors
	errs.add(0, w.label, &ch)
	if len(errs) > 0 {
		return validationReply(errs)
	}
	c.applyElement(el, w)
	return okReply(c.renderElement(el))
}

func exportCatalog(cat *catalog) Catalog {
	out := Catalog{ID: cat.ID, AccountID: cat.AccountID, Name: cat.Name, Type: cat.Type, Sort: cat.Sort}
	for _, f := range cat.Fields {
		out.Fields = append(out.Fields, exportField(f))
	}
	return out
}

func exportElement(el *element) Element {
	return Element{
		ID: el.ID, CatalogID: el.CatalogID, AccountID: el.AccountID, Name: el.Name,
		CustomFields: exportCF(el.CF), CreatedBy: el.CreatedBy, UpdatedBy: el.UpdatedBy,
		CreatedAt: unix(el.CreatedAt), UpdatedAt: unix(el.UpdatedAt),
	}
}

// Catalog returns a copy of the catalog with the given id.
func (s *Server) Catalog(id int64) (Catalog, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cat := s.st.Catalog(id)
	if cat == nil {
		return Catalog{}, false
	}
	return exportCatalog(cat), true
}

// Elements returns copies of a catalog's elements, by id.
func (s *Server) Elements(catalogID int64) []Element {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Element
	for _, el := range s.st.Elements() {
		if el.CatalogID == catalogID {
			out = append(out, exportElement(el))
		}
	}
	sortByID(out, func(e Element) int64 { return e.ID })
	return out
}

// Element returns a copy of the catalog element with the given id.
func (s *Server) Element(id int64) (Element, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	el := s.st.Element(id)
	if el == nil {
		return Element{}, false
	}
	return exportElement(el), true
}

// ProductsCatalog returns the account's built-in products catalog.
func (a *Account) ProductsCatalog() Catalog {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return exportCatalog(a.s.st.Catalog(a.s.st.Account(a.ID).ProductsID))
}

// AddCatalog seeds a catalog with its fields; Type defaults to "regular".
// The returned copy carries the assigned ids.
func (a *Account) AddCatalog(c Catalog) Catalog {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if c.Name == "" {
		panic("amocrmtest: AddCatalog: empty name")
	}
	if c.Type == "" {
		c.Type = "regular"
	}
	cat := a.s.st.NewCatalog(a.s.st.Account(a.ID), c.Name, c.Type, a.s.now().Unix())
	for _, f := range c.Fields {
		cat.Fields = append(cat.Fields, a.s.st.newField(f, "catalogs", cat.ID))
	}
	return exportCatalog(cat)
}

// AddElement seeds an element of one of the account's catalogs. It panics
// if the catalog is not the account's or a custom field value is invalid.
func (a *Account) AddElement(catalogID int64, e Element) Element {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	cat := a.s.st.Catalog(catalogID)
	if cat == nil || cat.AccountID != a.ID {
		panic(fmt.Sprintf("amocrmtest: AddElement: no catalog %d in account %s", catalogID, a.Subdomain))
	}
	ups, err := importCF(cat.Fields, e.CustomFields)
	if err != nil {
		panic("amocrmtest: AddElement: " + err.Error())
	}
	c := a.s.seedCall(a.ID)
	el := a.s.st.NewElement(cat, c.userID, c.now)
	el.Name = e.Name
	el.CF = applyCF(nil, ups)
	return exportElement(el)
}
