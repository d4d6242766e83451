package amocrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// EntityType names a kind of entity in links and notes paths.
type EntityType string

// Entity types.
const (
	EntityLeads           EntityType = "leads"
	EntityContacts        EntityType = "contacts"
	EntityCompanies       EntityType = "companies"
	EntityCustomers       EntityType = "customers"
	EntityCatalogElements EntityType = "catalog_elements" // products and other catalog items
)

// Link ties an entity to another: a contact or a company to a lead, a product to a lead, and so on
// (docs/amocrm-reference.md#links). In requests only the To fields and Metadata are used; the entity is
// the one in the path. Build links with LinkContact, LinkCompany, LinkLead or LinkCatalogElement.
type Link struct {
	EntityID     int64        `json:"entity_id,omitzero"`
	EntityType   EntityType   `json:"entity_type,omitempty"`
	ToEntityID   int64        `json:"to_entity_id"`
	ToEntityType EntityType   `json:"to_entity_type"`
	Metadata     LinkMetadata `json:"metadata,omitzero"`
}

// LinkMetadata is the extra data of a link: whether a contact is the main one, or a product's
// catalog, quantity and price field.
type LinkMetadata struct {
	IsMain    bool    `json:"is_main,omitzero"`    // contacts
	CatalogID int64   `json:"catalog_id,omitzero"` // catalog elements
	Quantity  Decimal `json:"quantity,omitzero"`   // catalog elements; may be fractional
	PriceID   int64   `json:"price_id,omitzero"`   // catalog elements: the price field used
	UpdatedBy int64   `json:"updated_by,omitzero"`
}

// UnmarshalJSON also reads the main_contact key some answers use for is_main, and a null metadata.
func (m *LinkMetadata) UnmarshalJSON(b []byte) error {
	type plain LinkMetadata
	var w struct {
		plain
		MainContact bool `json:"main_contact"`
	}
	if string(b) == "null" {
		*m = LinkMetadata{}
		return nil
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = LinkMetadata(w.plain)
	m.IsMain = m.IsMain || w.MainContact
	return nil
}

// LinkContact links the contact contactID; isMain makes it the main contact of a lead.
func LinkContact(contactID int64, isMain bool) Link {
	return Link{ToEntityID: contactID, ToEntityType: EntityContacts, Metadata: LinkMetadata{IsMain: isMain}}
}

// LinkCompany links the company companyID. A lead or contact has at most one company.
func LinkCompany(companyID int64) Link {
	return Link{ToEntityID: companyID, ToEntityType: EntityCompanies}
}

// LinkLead links the lead leadID (from a contact).
func LinkLead(leadID int64) Link { return Link{ToEntityID: leadID, ToEntityType: EntityLeads} }

// LinkCatalogElement links the element elementID of catalog catalogID, such as a product, with a
// quantity (empty for amoCRM's default) and the id of the price field to use (0 for none).
func LinkCatalogElement(elementID, catalogID int64, quantity Decimal, priceID int64) Link {
	return Link{ToEntityID: elementID, ToEntityType: EntityCatalogElements,
		Metadata: LinkMetadata{CatalogID: catalogID, Quantity: quantity, PriceID: priceID}}
}

// LinkFilter narrows the links of an entity; the zero LinkFilter returns them all. ToEntityID
// needs ToEntityType (docs/amocrm-reference.md#links).
type LinkFilter struct {
	ToEntityType EntityType
	ToEntityID   int64
	ToCatalogID  int64
}

func (f *LinkFilter) values() (query, error) {
	q := query{}
	if f == nil {
		return q, nil
	}
	if f.ToEntityID != 0 && f.ToEntityType == "" {
		return nil, errors.New("amocrm: a link filter by ToEntityID needs ToEntityType too")
	}
	q.set("filter[to_entity_type]", string(f.ToEntityType))
	q.setInt("filter[to_entity_id]", f.ToEntityID)
	q.setInt("filter[to_catalog_id]", f.ToCatalogID)
	return q, nil
}

// linkBody is what POST …/{id}/link and …/unlink take: the target and its metadata.
type linkBody struct {
	ToEntityID   int64        `json:"to_entity_id"`
	ToEntityType EntityType   `json:"to_entity_type"`
	Metadata     LinkMetadata `json:"metadata,omitzero"`
}

func linkBodies(links []Link) ([]linkBody, error) {
	if len(links) == 0 {
		return nil, errors.New("amocrm: no links given")
	}
	out := make([]linkBody, len(links))
	for i, l := range links {
		if l.ToEntityID <= 0 || l.ToEntityType == "" {
			return nil, fmt.Errorf("amocrm: link %d needs ToEntityID and ToEntityType", i)
		}
		if l.ToEntityType == EntityCatalogElements && l.Metadata.CatalogID <= 0 {
			return nil, fmt.Errorf("amocrm: link %d to catalog element %d needs Metadata.CatalogID", i, l.ToEntityID)
		}
		out[i] = linkBody{ToEntityID: l.ToEntityID, ToEntityType: l.ToEntityType, Metadata: l.Metadata}
	}
	return out, nil
}

func entityPath(entity EntityType, id int64, rest string) string {
	return "api/v4/" + string(entity) + "/" + strconv.FormatInt(id, 10) + rest
}

// link posts links to /api/v4/{entity}/{id}/link and returns the links amoCRM made.
func link(ctx context.Context, c *Client, entity EntityType, id int64, links []Link) ([]Link, error) {
	if id <= 0 {
		return nil, fmt.Errorf("amocrm: link: invalid %s id %d", entity, id)
	}
	body, err := linkBodies(links)
	if err != nil {
		return nil, err
	}
	var env struct {
		Embedded struct {
			Links []Link `json:"links"`
		} `json:"_embedded"`
	}
	if _, err := c.send(ctx, http.MethodPost, entityPath(entity, id, "/link"), body, &env); err != nil {
		return nil, err
	}
	return env.Embedded.Links, nil
}

// unlink posts links to /api/v4/{entity}/{id}/unlink; amoCRM answers 204.
func unlink(ctx context.Context, c *Client, entity EntityType, id int64, links []Link) error {
	if id <= 0 {
		return fmt.Errorf("amocrm: unlink: invalid %s id %d", entity, id)
	}
	body, err := linkBodies(links)
	if err != nil {
		return err
	}
	_, err = c.send(ctx, http.MethodPost, entityPath(entity, id, "/unlink"), body, nil)
	return err
}

// links reads every link of /api/v4/{entity}/{id}/links; a 204 is no links.
func links(ctx context.Context, c *Client, entity EntityType, id int64, f *LinkFilter) ([]Link, error) {
	if id <= 0 {
		return nil, fmt.Errorf("amocrm: links: invalid %s id %d", entity, id)
	}
	q, err := f.values()
	if err != nil {
		return nil, err
	}
	var out []Link
	for l, err := range listAll[Link](ctx, c, entityPath(entity, id, "/links"), q.values(), "links") {
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}
