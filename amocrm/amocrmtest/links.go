package amocrmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

// Link is a relation between two entities of one account
// (docs/amocrm-reference.md#links), seen from EntityType/EntityID. Metadata holds
// what was sent with it: {"is_main": true} for a contact; {"catalog_id",
// "quantity", "price_id"} for a catalog element, numbers decoded as float64.
type Link struct {
	EntityType   string
	EntityID     int64
	ToEntityType string
	ToEntityID   int64
	Metadata     map[string]any
}

// linkTargetOK lists the allowed link types (docs/amocrm-reference.md#links).
func linkTargetOK(from, to string) bool {
	switch from {
	case "leads":
		return to == "contacts" || to == "companies" || to == "catalog_elements"
	case "contacts":
		return to == "leads" || to == "companies" || to == "catalog_elements"
	case "companies":
		return to == "leads" || to == "contacts" || to == "catalog_elements"
	}
	return false
}

type linkWrite struct {
	entityID int64
	toType   string
	toID     int64
	meta     json.RawMessage
}

// parseLink reads one element of a link or unlink body. For the mass
// endpoints the element names its entity_id; otherwise fromID is the URL's.
func (c *call) parseLink(kind string, fromID int64, raw json.RawMessage, mass, unlink bool, companies map[holder]int64, ch *checker) linkWrite {
	var w linkWrite
	f, ok := ch.object(raw, "")
	if !ok {
		return w
	}
	w.entityID = fromID
	if mass {
		f.require("entity_id")
		if id, ok := f.int("entity_id"); ok {
			if c.entity(kind, id) == nil {
				ch.add(codeNotSupported, "entity_id", "Entity not found")
			}
			w.entityID = id
		}
		if t, ok := f.str("entity_type"); ok && t != kind {
			ch.add(codeNotSupported, "entity_type", detailChoice)
		}
	}
	f.require("to_entity_id", "to_entity_type")
	toID, hasTo := f.int("to_entity_id")
	toType, hasType := f.str("to_entity_type")
	w.toID, w.toType = toID, toType
	if hasType && !linkTargetOK(kind, toType) {
		ch.add(codeNotSupported, "to_entity_type", detailChoice)
		hasType = false
	}
	md, hasMD := f.sub("metadata")
	f.done()
	if !hasTo || !hasType {
		if hasMD {
			md.done()
		}
		return w
	}
	if toType == "catalog_elements" {
		w.meta = c.elementLinkMeta(toID, md, hasMD, unlink, ch)
		return w
	}
	if c.entity(toType, toID) == nil && !unlink {
		ch.add(codeNotSupported, "to_entity_id", "Entity not found")
	}
	if hasMD {
		isMain, _ := md.boolean("is_main")
		md.int("updated_by")
		md.done()
		if toType == "contacts" || kind == "contacts" {
			w.meta = marshal(obj{"is_main": isMain})
		}
	} else if toType == "contacts" || kind == "contacts" {
		w.meta = marshal(obj{"is_main": false})
	}
	if !unlink {
		c.oneCompany(kind, w.entityID, toType, toID, companies, ch)
	}
	return w
}

// holder is a lead or a contact, which may have one company.
type holder struct {
	typ string
	id  int64
}

// oneCompany refuses a link that would give a lead or a contact a second company
// (docs/amocrmtest.md#one-company), whichever side the link is written from; companies holds
// the companies earlier elements of the same request give.
func (c *call) oneCompany(kind string, id int64, toType string, toID int64, companies map[holder]int64, ch *checker) {
	var h holder
	var company int64
	switch {
	case toType == "companies" && (kind == "leads" || kind == "contacts"):
		h, company = holder{kind, id}, toID
	case kind == "companies" && (toType == "leads" || toType == "contacts"):
		h, company = holder{toType, toID}, id
	default:
		return
	}
	has, ok := companies[h]
	if !ok {
		for _, l := range c.st().LinksOf(c.acct.ID, h.typ, h.id) {
			if l.ToType == "companies" {
				has, ok = l.ToID, true
			}
		}
	}
	if ok && has != company {
		ch.add(codeNotSupported, "to_entity_id", "An entity has at most one company")
		return
	}
	companies[h] = company
}

// elementLinkMeta checks the metadata of a product link: catalog_id is required
// and must be the element's catalog, quantity may be fractional
// (docs/amocrm-reference.md#products-on-a-lead) and defaults to 1, price_id must be a
// price field of the catalog.
func (c *call) elementLinkMeta(elementID int64, md *fields, hasMD, unlink bool, ch *checker) json.RawMessage {
	el := c.st().Element(elementID)
	if el == nil || el.AccountID != c.acct.ID {
		if !unlink {
			ch.add(codeNotSupported, "to_entity_id", "Catalog element not found")
		}
		if hasMD {
			md.int("catalog_id")
			md.number("quantity")
			md.int("price_id")
			md.int("updated_by")
			md.done()
		}
		return nil
	}
	if !hasMD {
		if !unlink {
			ch.add(codeFieldMissing, "metadata.catalog_id", detailMissing)
		}
		return nil
	}
	if !unlink {
		md.require("catalog_id")
	}
	catID, hasCat := md.int("catalog_id")
	qty, hasQty := md.number("quantity")
	priceID, hasPrice := md.int("price_id")
	md.int("updated_by")
	md.done()
	if hasCat && catID != el.CatalogID {
		ch.add(codeNotSupported, "metadata.catalog_id", "The element is not in this catalog")
	}
	if hasQty {
		if q, err := qty.Float64(); err != nil || q < 0 {
			ch.add(codeInvalidType, "metadata.quantity", "This value should be a non-negative number.")
		}
	} else {
		qty = "1"
	}
	meta := obj{"catalog_id": el.CatalogID, "quantity": qty}
	if hasPrice {
		cat := c.st().Catalog(el.CatalogID)
		if d := findField(cat.Fields, priceID, ""); d == nil || (d.Type != "price" && d.Type != "numeric") {
			ch.add(codeNotSupported, "metadata.price_id", "Price field not found")
		}
		meta["price_id"] = priceID
	}
	return marshal(meta)
}

// applyLink stores (or removes) a parsed link.
func (c *call) applyLink(kind string, w linkWrite, unlink bool) obj {
	st := c.st()
	if unlink {
		st.Unlink(c.acct.ID, kind, w.entityID, w.toType, w.toID)
		return nil
	}
	if w.toType == "contacts" || kind == "contacts" {
		var md struct {
			IsMain bool `json:"is_main"`
		}
		_ = json.Unmarshal(w.meta, &md)
		if md.IsMain && kind == "leads" {
			// One main contact per lead.
			for _, l := range st.Links() {
				if l.AccountID == c.acct.ID && l.AType == kind && l.AID == w.entityID && l.BType == "contacts" && l.BID != w.toID {
					l.Meta = marshal(obj{"is_main": false})
				}
			}
		}
	}
	st.SetLink(c.acct.ID, kind, w.entityID, w.toType, w.toID, w.meta)
	return renderLink(linkView{FromType: kind, FromID: w.entityID, ToType: w.toType, ToID: w.toID, Meta: w.meta})
}

func renderLink(l linkView) obj {
	var meta any
	if l.Meta != nil {
		meta = json.RawMessage(l.Meta)
	}
	return obj{"entity_id": l.FromID, "entity_type": l.FromType, "to_entity_id": l.ToID, "to_entity_type": l.ToType, "metadata": meta}
}

func (c *call) doLinks(kind string, fromID int64, mass, unlink bool) reply {
	companies := map[holder]int64{}
	writes, rep := parseWrites(c.body, maxBatch, detailLimit250, func(raw json.RawMessage, ch *checker) (linkWrite, string) {
		return c.parseLink(kind, fromID, raw, mass, unlink, companies, ch), ""
	})
	if rep != nil {
		return *rep
	}
	if mass {
		for _, w := range writes {
			if rep := c.mayEdit(kind, c.entity(kind, w.entityID)); rep != nil {
				return *rep
			}
		}
	}
	out := make([]obj, 0, len(writes))
	for _, w := range writes {
		if o := c.applyLink(kind, w, unlink); o != nil {
			out = append(out, o)
		}
	}
	if unlink {
		return noContent()
	}
	return c.embeddedReply("links", out)
}

func linkOne(kind string, unlink bool) func(c *call) reply {
	return func(c *call) reply {
		id := c.pathID("id")
		e := c.entity(kind, id)
		if e == nil {
			return notFound()
		}
		if rep := c.mayEdit(kind, e); rep != nil {
			return *rep
		}
		return c.doLinks(kind, id, false, unlink)
	}
}

func linkMass(kind string, unlink bool) func(c *call) reply {
	return func(c *call) reply { return c.doLinks(kind, 0, true, unlink) }
}

// filterLinks applies filter[to_entity_id], filter[to_entity_type] and
// filter[to_catalog_id]. amoCRM says an id is filtered together with a type
// (docs/amocrm-reference.md#links): an id alone is refused.
func (c *call) filterLinks(links []linkView) ([]linkView, *reply) {
	q := c.r.URL.Query()
	toIDs, hasIDs, err := intList(q, "filter[to_entity_id]")
	if err != nil {
		return nil, filterError("filter[to_entity_id]")
	}
	types, hasTypes := stringList(q, "filter[to_entity_type]")
	if hasIDs && !hasTypes {
		return nil, filterError("filter[to_entity_id]")
	}
	cats, hasCats, err := intList(q, "filter[to_catalog_id]")
	if err != nil {
		return nil, filterError("filter[to_catalog_id]")
	}
	var out []linkView
	for _, l := range links {
		if hasIDs && !slices.Contains(toIDs, l.ToID) || hasTypes && !slices.Contains(types, l.ToType) {
			continue
		}
		if hasCats {
			el := c.st().Element(l.ToID)
			if l.ToType != "catalog_elements" || el == nil || !slices.Contains(cats, el.CatalogID) {
				continue
			}
		}
		out = append(out, l)
	}
	return out, nil
}

func (c *call) linksReply(links []linkView) reply {
	if len(links) == 0 {
		return noContent()
	}
	out := make([]obj, 0, len(links))
	for _, l := range links {
		out = append(out, renderLink(l))
	}
	return okReply(obj{"_links": obj{"self": obj{"href": c.base + c.r.URL.RequestURI()}}, "_embedded": obj{"links": out}})
}

func listLinksOne(kind string) func(c *call) reply {
	return func(c *call) reply {
		id := c.pathID("id")
		if c.entity(kind, id) == nil {
			return notFound()
		}
		links, rep := c.filterLinks(c.st().LinksOf(c.acct.ID, kind, id))
		if rep != nil {
			return *rep
		}
		return c.linksReply(links)
	}
}

func listLinksMass(kind string) func(c *call) reply {
	return func(c *call) reply {
		ids, ok, err := intList(c.r.URL.Query(), "filter[entity_id]")
		if err != nil || !ok || len(ids) == 0 {
			return problem(http.StatusBadRequest, "filter[entity_id] is required")
		}
		var all []linkView
		for _, id := range ids {
			if c.entity(kind, id) != nil { // another account's, or one the acting user may not see: none
				all = append(all, c.st().LinksOf(c.acct.ID, kind, id)...)
			}
		}
		links, rep := c.filterLinks(all)
		if rep != nil {
			return *rep
		}
		return c.linksReply(links)
	}
}

func exportLink(l linkView) Link {
	out := Link{EntityType: l.FromType, EntityID: l.FromID, ToEntityType: l.ToType, ToEntityID: l.ToID}
	if l.Meta != nil {
		_ = json.Unmarshal(l.Meta, &out.Metadata)
	}
	return out
}

// Links returns copies of the links of an entity ("leads", "contacts",
// "companies" or "catalog_elements"), seen from it, in the order they were
// made.
func (s *Server) Links(entityType string, entityID int64) []Link {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Link
	for _, l := range s.st.Links() {
		switch {
		case l.AType == entityType && l.AID == entityID:
			out = append(out, exportLink(linkView{FromType: l.AType, FromID: l.AID, ToType: l.BType, ToID: l.BID, Meta: l.Meta}))
		case l.BType == entityType && l.BID == entityID:
			out = append(out, exportLink(linkView{FromType: l.BType, FromID: l.BID, ToType: l.AType, ToID: l.AID, Meta: l.Meta}))
		}
	}
	return out
}

// Link seeds a link as if POST /api/v4/{EntityType}/{EntityID}/link had
// been called with l's target and metadata. It panics if the link is not
// one the API would accept.
func (a *Account) Link(l Link) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if !entityTypeOK(l.EntityType) {
		panic(fmt.Sprintf("amocrmtest: Link: unknown entity type %q", l.EntityType))
	}
	c := a.s.seedCall(a.ID)
	if c.entity(l.EntityType, l.EntityID) == nil {
		panic(fmt.Sprintf("amocrmtest: Link: no %s %d in account %s", l.EntityType, l.EntityID, a.Subdomain))
	}
	item := obj{"to_entity_id": l.ToEntityID, "to_entity_type": l.ToEntityType}
	if l.Metadata != nil {
		item["metadata"] = l.Metadata
	}
	var ch checker
	w := c.parseLink(l.EntityType, l.EntityID, marshal(item), false, false, map[holder]int64{}, &ch)
	if ch.failed() {
		panic(fmt.Sprintf("amocrmtest: Link: %s: %s", ch.errs[0].Path, ch.errs[0].Detail))
	}
	c.applyLink(l.EntityType, w, false)
}
