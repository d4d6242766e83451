package amocrm

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
)

// LinksService links many entities of one type at once, and lists the links of many
// (docs/amocrm-reference.md#links). Every Link given names its entity in EntityID; the entity
// type is the method's. To link one entity, LeadsService.Link and its like are simpler.
type LinksService service

// massLinkBody is one element of POST /api/v4/{entity}/link and /unlink.
type massLinkBody struct {
	EntityID int64 `json:"entity_id"`
	linkBody
}

// massLinkPath returns /api/v4/{entity}/{action} for an entity type that has mass links.
func massLinkPath(entity EntityType, action string) (string, error) {
	switch entity {
	case EntityLeads, EntityContacts, EntityCompanies, EntityCustomers:
		return "api/v4/" + string(entity) + "/" + action, nil
	}
	return "", fmt.Errorf("amocrm: %q has no mass links; use leads, contacts, companies or customers", entity)
}

func massLinkBodies(entity EntityType, links []Link) ([]massLinkBody, error) {
	if len(links) > MaxBatchSize {
		return nil, fmt.Errorf("amocrm: %d links in one request; amoCRM takes at most %d", len(links), MaxBatchSize)
	}
	targets, err := linkBodies(links)
	if err != nil {
		return nil, err
	}
	out := make([]massLinkBody, len(links))
	for i, l := range links {
		if l.EntityID <= 0 {
			return nil, fmt.Errorf("amocrm: link %d needs the EntityID of the %s it starts from", i, entity)
		}
		if l.EntityType != "" && l.EntityType != entity {
			return nil, fmt.Errorf("amocrm: link %d starts from %s, not %s", i, l.EntityType, entity)
		}
		out[i] = massLinkBody{EntityID: l.EntityID, linkBody: targets[i]}
	}
	return out, nil
}

// Link links entities of one type to others in one request (at most MaxBatchSize links) and
// returns the links amoCRM made. Each link's EntityID names the entity it starts from; build the
// rest with LinkContact, LinkCompany, LinkLead or LinkCatalogElement. amoCRM refuses the whole
// request when one link is invalid.
//
// API docs: POST /api/v4/{entity_type}/link,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api
func (s *LinksService) Link(ctx context.Context, entity EntityType, links []Link) ([]Link, error) {
	path, err := massLinkPath(entity, "link")
	if err != nil {
		return nil, err
	}
	body, err := massLinkBodies(entity, links)
	if err != nil {
		return nil, err
	}
	var env struct {
		Embedded struct {
			Links []Link `json:"links"`
		} `json:"_embedded"`
	}
	if _, err := s.client.send(ctx, http.MethodPost, path, body, &env); err != nil {
		return nil, err
	}
	return env.Embedded.Links, nil
}

// Unlink removes links between entities of one type and others in one request (at most
// MaxBatchSize links); each link's EntityID names the entity it starts from. amoCRM answers 204.
//
// API docs: POST /api/v4/{entity_type}/unlink,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api
func (s *LinksService) Unlink(ctx context.Context, entity EntityType, links []Link) error {
	path, err := massLinkPath(entity, "unlink")
	if err != nil {
		return err
	}
	body, err := massLinkBodies(entity, links)
	if err != nil {
		return err
	}
	_, err = s.client.send(ctx, http.MethodPost, path, body, nil)
	return err
}

// LinkListOptions chooses the entities whose links LinksService.List and All read (EntityIDs,
// required) and narrows the links as LinkFilter does.
type LinkListOptions struct {
	EntityIDs []int64
	LinkFilter
}

func (o *LinkListOptions) values() (url.Values, error) {
	if o == nil || len(o.EntityIDs) == 0 {
		return nil, errors.New("amocrm: a list of links needs the EntityIDs whose links to read")
	}
	for _, id := range o.EntityIDs {
		if id <= 0 {
			return nil, fmt.Errorf("amocrm: invalid entity id %d", id)
		}
	}
	q, err := o.LinkFilter.values()
	if err != nil {
		return nil, err
	}
	q.ints("filter[entity_id]", o.EntityIDs)
	return q.values(), nil
}

// List returns one page of the links of the entities opts.EntityIDs of an entity type; no links
// is an empty page. Each Link's EntityID says whose link it is.
//
// API docs: GET /api/v4/{entity_type}/links,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api
func (s *LinksService) List(ctx context.Context, entity EntityType, opts *LinkListOptions) (*Page[Link], error) {
	path, err := massLinkPath(entity, "links")
	if err != nil {
		return nil, err
	}
	return pageOf[Link](ctx, s.client, path, opts, "links")
}

// All ranges over the links of the entities opts.EntityIDs of an entity type, fetching pages
// lazily.
//
// API docs: GET /api/v4/{entity_type}/links,
// https://www.amocrm.ru/developers/content/crm_platform/entity-links-api
func (s *LinksService) All(ctx context.Context, entity EntityType, opts *LinkListOptions) iter.Seq2[Link, error] {
	path, err := massLinkPath(entity, "links")
	if err != nil {
		return errSeq[Link](err)
	}
	return allOf[Link](ctx, s.client, path, opts, "links")
}
