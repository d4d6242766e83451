package amocrm

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// TagsService reads and adds the tags of leads, contacts, companies and customers:
// /api/v4/{entity}/tags. Tag ids are per kind of entity. No endpoint removes a tag from the list;
// tags are put on and taken off entities through their updates (TagsToAdd, TagsToDelete, Tags).
type TagsService service

// TagColors are the colours a lead tag may have; tags of other entities have none.
var TagColors = []string{
	"EBEBEB", "D0D0D0", "F2DDF7", "D1A4DC", "FF8F92", "FFC8C8", "C7DB8C", "DDEBB5", "8699DA", "AABDFF",
	"FFCE5A", "FFE193", "90CDB0", "C6F4DE", "A9A5D7", "D8D5FF", "86C0FC", "832161", "6A0F49", "0C7C59",
	"10599D", "9D2B32", "247BA0",
}

func tagsPath(entity EntityType) (string, error) {
	switch entity {
	case EntityLeads, EntityContacts, EntityCompanies, EntityCustomers:
		return "api/v4/" + string(entity) + "/tags", nil
	}
	return "", fmt.Errorf("amocrm: %q has no tags: use leads, contacts, companies or customers", string(entity))
}

// TagListOptions filters and pages TagsService.List and All.
type TagListOptions struct {
	// Name selects the tag with exactly this name.
	Name string
	IDs  []int64
	// Query searches tag names.
	Query string
	// Page is the 1-based page to read (All starts there); Limit the page size, at most MaxPageSize.
	Page, Limit int
}

func (o *TagListOptions) values() (url.Values, error) {
	q := query{}
	if o == nil {
		return q.values(), nil
	}
	if err := checkPage(o.Page, o.Limit); err != nil {
		return nil, err
	}
	q.set("filter[name]", o.Name)
	q.ints("filter[id]", o.IDs)
	q.set("query", o.Query)
	q.page(o.Page, o.Limit)
	return q.values(), nil
}

// List returns one page of the tags of entity; no tags is an empty page.
//
// API docs: GET /api/v4/{entity}/tags, https://www.amocrm.ru/developers/content/crm_platform/tags-api#tags-list
func (s *TagsService) List(ctx context.Context, entity EntityType, opts *TagListOptions) (*Page[Tag], error) {
	p, err := tagsPath(entity)
	if err != nil {
		return nil, err
	}
	return pageOf[Tag](ctx, s.client, p, opts, "tags")
}

// All ranges over every tag of entity matching opts, fetching pages lazily.
//
// API docs: GET /api/v4/{entity}/tags, https://www.amocrm.ru/developers/content/crm_platform/tags-api#tags-list
func (s *TagsService) All(ctx context.Context, entity EntityType, opts *TagListOptions) iter.Seq2[Tag, error] {
	p, err := tagsPath(entity)
	if err != nil {
		return errSeq[Tag](err)
	}
	return allOf[Tag](ctx, s.client, p, opts, "tags")
}

// NewTag is a tag to add. Color is for lead tags only, one of TagColors (without '#').
type NewTag struct {
	Name  string `json:"name"`
	Color string `json:"color,omitempty"`
}

// MarshalJSON checks the tag and writes it.
func (t NewTag) MarshalJSON() ([]byte, error) {
	if strings.TrimSpace(t.Name) == "" {
		return nil, fmt.Errorf("amocrm: a tag needs a Name")
	}
	if t.Color != "" && !slices.Contains(TagColors, strings.ToUpper(strings.TrimPrefix(t.Color, "#"))) {
		return nil, fmt.Errorf("amocrm: tag colour %q is not one of amoCRM's (TagColors)", t.Color)
	}
	type plain NewTag
	p := plain(t)
	p.Color = strings.ToUpper(strings.TrimPrefix(t.Color, "#"))
	return json.Marshal(p)
}

// Create adds tags to the list of entity. A name that exists already answers with the existing
// tag's id. Results and errors are as for LeadsService.Create.
//
// API docs: POST /api/v4/{entity}/tags, https://www.amocrm.ru/developers/content/crm_platform/tags-api#tags-add
func (s *TagsService) Create(ctx context.Context, entity EntityType, tags []NewTag) ([]Saved, error) {
	p, err := tagsPath(entity)
	if err != nil {
		return nil, err
	}
	if entity != EntityLeads && slices.ContainsFunc(tags, func(t NewTag) bool { return t.Color != "" }) {
		return nil, fmt.Errorf("amocrm: only lead tags have colours, not %s tags", entity)
	}
	answers, err := writeBatches(ctx, s.client, batchPlan{method: http.MethodPost, path: p, key: "tags"}, tags)
	return savedOf(answers), err
}
